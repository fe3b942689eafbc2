"""What happened in one session, for tests, benchmarks and ``session.json`` (counts
only: no candidate text)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class AgentStats:
    drafts: int = 0  # llm_node runs for a candidate turn (delivered or not)
    delivered: int = 0  # replies delivered that carried a proposed move
    discarded: int = 0  # replies (drafts) that ended without being delivered
    commits: int = 0  # engine commits of any kind
    requests: dict[str, int] = field(default_factory=dict)
    llm_failures: int = 0
    time_moves: int = 0
    acks: int = 0  # instant acknowledgements started (voice path)
    acks_cut: int = 0  # ... of which interrupted or never heard
    ack_then_request: int = 0  # the model took a turn as a request after it was acknowledged
    endpointing_changes: int = 0  # phase changes that set the session's endpointing
    keyterm_updates: int = 0  # times the STT's keyterms were replaced (a question asked)
    waits: int = 0  # turns that only asked for time, waited for without a reply
    silence_prompts: int = 0  # gentle prompts after a long silence

    def to_dict(self) -> dict[str, Any]:
        return {
            "drafts": self.drafts, "delivered": self.delivered,
            "discarded": self.discarded, "commits": self.commits,
            "requests": self.requests, "llm_failures": self.llm_failures,
            "time_moves": self.time_moves, "acks": self.acks,
            "acks_cut": self.acks_cut,
            "ack_then_request": self.ack_then_request,
            "endpointing_changes": self.endpointing_changes,
            "keyterm_updates": self.keyterm_updates,
            "waits": self.waits, "silence_prompts": self.silence_prompts,
        }
