"""mockflow: structured, fair, voice-based interviews from plain YAML."""

__version__ = "0.1.0"
