"""``session.json``: who, what, when and how one session ran (format 1, JSON Schema
``session.schema.json``).

Written when the session starts (status ``running``) and again when it ends. A session
whose process died keeps ``running`` on disk; readers (the index, ``sessions``) show it
as ``interrupted`` once no process holds its writer lock.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mockflow import __version__
from mockflow.format.compile import CompiledInterview
from mockflow.format.model import LlmModel
from mockflow.interview.moves import EndReason

SESSION_FORMAT = 1
STATUSES = ("running", "complete", "candidate_ended", "dropped", "time_up", "error",
            "interrupted")
KINDS = ("live", "console", "simulation")
HANGUPS = ("SIGTERM", "SIGHUP")  # close reasons of a console that was signalled away


def session_status(end_reason: EndReason | str | None, *, error: object = None,
                   close_reason: str | None = None) -> str:
    """How the session ended, from the engine's end reason and any error.

    - every planned question asked -> ``complete``; the candidate stopped (``/quit``,
      EOF, "let's stop") -> ``candidate_ended``, even before the first answer;
      the interview's time ran out -> ``time_up``;
    - closed without the engine ending the interview -> ``error`` when an error closed
      it, else ``dropped`` (the candidate left, the room closed);
    - a console closed by SIGTERM or SIGHUP (the terminal went away) -> ``dropped``.
    """
    if close_reason in HANGUPS:
        return "dropped"
    reason = None if end_reason is None else str(getattr(end_reason, "value", end_reason))
    if reason == EndReason.QUESTIONS_EXHAUSTED.value:
        return "complete"
    if reason == EndReason.CANDIDATE_STOP.value:
        return "candidate_ended"
    if reason == EndReason.TIME.value:
        return "time_up"
    return "error" if error is not None else "dropped"


def model_entry(provider: str, model: str | None, **extra: str | None) -> dict[str, Any]:
    entry: dict[str, Any] = {"provider": provider, "model": model}
    entry.update({k: v for k, v in extra.items() if v is not None})
    return entry


def llm_entries(models: Sequence[LlmModel]) -> list[dict[str, Any]]:
    return [model_entry(m.provider, m.model, base_url=m.base_url) for m in models]


def configured_models(compiled: CompiledInterview, *, voice: bool) -> dict[str, Any]:
    """The models the interview file configures (the voice worker uses all of them)."""
    v = compiled.interview.voice
    return {
        "llm": llm_entries([v.llm.primary, *v.llm.fallback]),
        "stt": model_entry(v.stt.provider, v.stt.model, language=v.stt.language)
        if voice else None,
        "tts": model_entry(v.tts.provider, v.tts.model, voice=v.tts.voice) if voice else None,
    }


def webhook_settings(compiled: CompiledInterview) -> dict[str, Any] | None:
    """The interview's ``results.webhook`` (never the secret: its variable's name)."""
    hook = compiled.interview.results.webhook
    if hook is None:
        return None
    return {"url": hook.url, "secret_env": hook.secret_env, "events": list(hook.events),
            "allow_hosts": list(hook.allow_hosts), "allow_http": hook.allow_http}


@dataclass(slots=True)
class SessionInfo:
    """What is known about a session from its start; ``document`` adds how it ended."""

    compiled: CompiledInterview
    session_id: str
    kind: str  # live | console | simulation
    started_at: str  # ISO 8601 UTC
    models: Mapping[str, Any]
    candidate_name: str | None = None
    candidate_identity: str | None = None
    candidate_attributes: Mapping[str, str] = field(default_factory=dict)
    room: str | None = None
    job: str | None = None
    simulation: Mapping[str, Any] | None = None
    webhook: Mapping[str, Any] | None = None
    warnings: list[str] = field(default_factory=list)
    # a voice session's audio facts (``voice`` in session.json), read when it is written
    voice: Callable[[], Mapping[str, Any]] | None = None

    def document(self, *, status: str = "running", ended_at: str | None = None,
                 duration: float | None = None, end_reason: str | None = None,
                 close_reason: str | None = None, error: object = None,
                 stats: Mapping[str, Any] | None = None,
                 history: Sequence[Mapping[str, Any]] = (),
                 judge: Mapping[str, Any] | None = None,
                 warnings: Sequence[str] = (),
                 degraded: Mapping[str, Any] | None = None,
                 model: Mapping[str, Any] | None = None) -> dict[str, Any]:
        iv = self.compiled.interview
        return {
            "format": SESSION_FORMAT,
            "mockflow": __version__,
            "session_id": self.session_id,
            "kind": self.kind,
            "interview": {"ref": self.compiled.ref, "id": iv.id, "title": iv.title},
            "candidate": {"name": self.candidate_name,
                          "identity": self.candidate_identity,
                          "attributes": dict(self.candidate_attributes)},
            "room": self.room,
            "job": self.job,
            "started_at": self.started_at,
            "ended_at": ended_at,
            "duration_seconds": None if duration is None else round(max(duration, 0.0), 3),
            "status": status,
            "end_reason": end_reason,
            "close_reason": close_reason,
            "error": None if error is None else str(error)[:2000],
            "models": dict(self.models),
            "stats": dict(stats or {}),
            "judge": None if judge is None else dict(judge),
            "history": list(history),
            "simulation": None if self.simulation is None else dict(self.simulation),
            "webhook": None if self.webhook is None else dict(self.webhook),
            "warnings": [*self.warnings, *(w for w in warnings if w not in self.warnings)],
            "degraded": None if degraded is None else dict(degraded),
            "model": None if model is None else dict(model),
            "voice": None if self.voice is None else dict(self.voice()),
        }
