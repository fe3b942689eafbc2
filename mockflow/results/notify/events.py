"""What a webhook says about a session, and when to queue one.

The payload is a summary (no transcript, no evidence quotes): the session, the
candidate as the invite named them, the machine's scores, reviewers' scores and the
number of review flags. The receiver fetches the full report if it needs more.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mockflow.results.load import load_session
from mockflow.results.notify.webhook import enqueue


def summary(root: Path, directory: Path) -> dict[str, Any]:
    """The payload of every event: the session and its current scores (the newest
    scorecard version with the reviews applied, as ``sessions`` and ``report`` show)."""
    loaded = load_session(directory)
    meta, current = loaded.session, loaded.current
    cand = meta.get("candidate") if isinstance(meta.get("candidate"), Mapping) else {}
    assert isinstance(cand, Mapping)
    iv = meta.get("interview")
    path = directory.relative_to(root).as_posix() if directory.is_relative_to(root) else None
    return {
        "session": {
            "id": loaded.session_id,
            "path": path,
            "interview": iv.get("ref") if isinstance(iv, Mapping)
            else current.scorecard.get("interview"),
            "status": meta.get("status"),
            "started_at": meta.get("started_at"),
            "ended_at": meta.get("ended_at"),
        },
        "candidate": {"name": cand.get("name"), "identity": cand.get("identity")},
        "scorecard": {
            "version": current.version,
            "overall": current.overall,
            "reviewed_overall": current.reviewed_overall,
            "scale": current.scorecard.get("scale"),
            "competencies": [{"id": c.id, "score": c.score, "reviewed": c.reviewed}
                             for c in current.competencies],
            "review_flags": len(current.flags),
        },
        "reviews": len(current.reviews),
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
    hosts = hook.get("allow_hosts")
    return enqueue(root, url=str(hook["url"]), secret_env=str(hook["secret_env"]),
                   event=event, payload=summary(root, directory),
                   allow_hosts=[str(h) for h in hosts] if isinstance(hosts, list) else (),
                   allow_http=hook.get("allow_http") is True)
