"""The typed errors of ``mockflow new`` and ``mockflow draft`` (all ``MockflowError``s).

Each message names the thing that is wrong and says the fix; the CLI prints it and picks
the exit code (usage and environment problems 2, an invalid interview file 1).
"""

from __future__ import annotations

from mockflow.format.errors import MockflowError


class ScaffoldError(MockflowError):
    """``mockflow new`` was given options it can't build an interview from."""


class TargetExists(MockflowError):
    """The file ``mockflow new`` would write exists already (``--force`` overwrites)."""


class DraftUnavailable(MockflowError):
    """``mockflow draft`` has no model it may call: no key, no endpoint, or the optional
    ``authoring`` extra (ruamel.yaml) is not installed."""


class DraftFailed(MockflowError):
    """The drafting model failed: it timed out, answered with an error, or returned a
    draft that is malformed or doesn't validate even after one retry. Nothing is written."""


class DraftEditError(MockflowError):
    """The drafted parts can't be put into the file without changing what is already
    there (unusual formatting): nothing is written."""


class AcceptError(MockflowError):
    """``mockflow draft --accept ID`` names a question that doesn't exist or has nothing
    drafted."""
