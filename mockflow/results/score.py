"""Scoring a stored session from code: the library form of ``mockflow rescore``.

``rescore_session(directory)`` scores a finished (or interrupted) session from its files
with the judge the interview file asks for (or the one given) and writes the result as a
new scorecard version beside the old ones (``scorecard.v2.json`` ...; nothing is
overwritten). See ``mockflow.results.rescore`` for what is read and reused.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from mockflow.results.rescore import Rescored, compiled_for, load_stored, rescore
from mockflow.scoring.judge import JudgeChoice, choose


def rescore_session(directory: Path | str, *,
                    judge: JudgeChoice | Literal["offline", "llm"] | None = None,
                    interview: Path | str | None = None,
                    env: Mapping[str, str] | None = None) -> Rescored:
    """Score the session in ``directory`` again as a new scorecard version.

    ``judge``: a ``JudgeChoice``, ``"offline"`` (the key-point scorer, no network),
    ``"llm"``, or None: what the interview file says, given the keys in ``env``
    (default: the process environment). ``interview``: the file the session ran (default:
    the copy the session keeps; it must be the same version). Raises ``ResultsError``
    when the session can't be scored and ``JudgeUnavailable`` when an LLM judge is asked
    for without its key."""
    where = Path(directory)
    path = None if interview is None else Path(interview)
    choice = judge if isinstance(judge, JudgeChoice) else choose(
        compiled_for(load_stored(where), path).interview,
        os.environ if env is None else env, mode=judge)
    return rescore(where, choice, interview=path,
                   now=datetime.now(UTC).isoformat(timespec="seconds"))
