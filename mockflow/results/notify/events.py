"""What a webhook says about a session, and when to queue one.

The payload is a summary (no transcript, no evidence quotes): the session, the
candidate as the invite named them, the machine's scores, reviewers' scores and the
number of review flags. The receiver fetches the full report if it needs more.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mockflow.results.index import summarise
from mockflow.results.load import load_session
from mockflow.results.notify.webhook import enqueue
from mockflow.results.reviews import reviewed_scores


def summary(root: Path, directory: Path) -> dict[str, Any]:
    loaded = load_session(directory)
    row = summarise(root, directory) if directory.is_relative_to(root) else None
    meta, card = loaded.session, loaded.scorecard
    latest = reviewed_scores(loaded.reviews)
    cand = meta.get("candidate") if isinstance(meta.get("candidate"), Mapping) else {}
    assert isinstance(cand, Mapping)
    iv = meta.get("interview")
    return {
        "session": {
            "id": loaded.session_id,
            "path": None if row is None else row.path,
            "interview": iv.get("ref") if isinstance(iv, Mapping) else card.get("interview"),
            "status": meta.get("status"),
            "started_at": meta.get("started_at"),
            "ended_at": meta.get("ended_at"),
        },
        "candidate": {"name": cand.get("name"), "identity": cand.get("identity")},
        "scorecard": {
            "overall": (card.get("overall") or {}).get("score"),
            "reviewed_overall": None if row is None else row.reviewed_overall,
            "scale": card.get("scale"),
            "competencies": [
                {"id": c.get("id"), "score": c.get("score"),
                 "reviewed": latest[c["id"]][0] if c.get("id") in latest else None}
                for c in card.get("competencies") or [] if isinstance(c, Mapping)],
            "review_flags": 0 if row is None else len(row.flags),
        },
        "reviews": len(loaded.reviews),
    }


def webhook_config(session: Mapping[str, Any]) -> Mapping[str, Any] | None:
    hook = session.get("webhook")
    return hook if isinstance(hook, Mapping) and hook.get("url") else None


def queue_event(root: Path, directory: Path, event: str) -> Path | None:
    """Queue ``event`` for the session's webhook, if it has one that wants it."""
    loaded = load_session(directory)
    hook = webhook_config(loaded.session)
    if hook is None or event not in (hook.get("events") or ()):
        return None
    return enqueue(root, url=str(hook["url"]), secret_env=str(hook["secret_env"]),
                   event=event, payload=summary(root, directory))
