"""Scoring as a stage on a finished session record: pure functions, no livekit."""
