"""Least-privilege candidate tokens that dispatch an interview's agent (livekit-api).

A candidate may join one room, publish their microphone only, publish no data, and
nothing else; the token expires soon (10 minutes unless asked otherwise, at most a day).
Its room configuration dispatches the interview's agent by name, so the worker that
serves this interview is sent to the room when the candidate joins. ``mockflow serve``
mints these for invite codes (``mockflow.results.invites``); ``mockflow invite --token``
prints one for a front end of your own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from mockflow.format.errors import MockflowError
from mockflow.format.limits import candidate_problems
from mockflow.results.invites import InviteStoreError, parse_duration

DEFAULT_TTL = timedelta(minutes=10)
MAX_TTL = timedelta(hours=24)
CANDIDATE_ATTRIBUTE_PREFIX = "candidate."


class InviteError(MockflowError):
    """Bad invite parameters (TTL, room, identity)."""


@dataclass(frozen=True, slots=True)
class Invite:
    token: str
    room: str
    identity: str
    agent_name: str
    expires_at: datetime

    def to_dict(self) -> dict[str, str]:
        return {
            "token": self.token,
            "room": self.room,
            "identity": self.identity,
            "agent_name": self.agent_name,
            "expires_at": self.expires_at.isoformat().replace("+00:00", "Z"),
        }


def parse_ttl(text: str) -> timedelta:
    """'10m', '90s', '1h', '1h30m' → timedelta; at most 24 hours."""
    try:
        return parse_duration(text, maximum=MAX_TTL, what="TTL",
                              too_long="; tokens are meant to be short-lived")
    except InviteStoreError as exc:
        raise InviteError(str(exc)) from None


def load_api() -> None:
    """Import livekit-api now (it takes a moment), so the first token comes at once."""
    from livekit import api  # noqa: F401


def mint_invite(
    *,
    api_key: str,
    api_secret: str,
    agent_name: str,
    room: str,
    identity: str,
    name: str | None = None,
    attributes: Mapping[str, str] | None = None,
    ttl: timedelta = DEFAULT_TTL,
    now: datetime | None = None,
) -> Invite:
    from livekit import api

    if not room.strip() or not identity.strip():
        raise InviteError("--room and --identity must not be empty")
    problems = candidate_problems(name, attributes or {})
    if problems:
        raise InviteError("the candidate details are too large: " + "; ".join(problems)
                          + ". Shorten them (templates and the scorecard only need a name"
                          " and a few short attributes)")
    token = (
        api.AccessToken(api_key, api_secret)
        .with_identity(identity)
        .with_ttl(ttl)
        .with_grants(
            api.VideoGrants(
                room_join=True,
                room=room,
                can_publish=True,
                can_subscribe=True,
                can_publish_data=False,
                can_publish_sources=["microphone"],
                can_update_own_metadata=False,
            )
        )
        .with_room_config(
            api.RoomConfiguration(agents=[api.RoomAgentDispatch(agent_name=agent_name)])
        )
    )
    if name:
        token = token.with_name(name)
    if attributes:
        token = token.with_attributes(
            {CANDIDATE_ATTRIBUTE_PREFIX + k: v for k, v in attributes.items()}
        )
    issued = now or datetime.now(UTC)
    return Invite(
        token=token.to_jwt(),
        room=room,
        identity=identity,
        agent_name=agent_name,
        expires_at=(issued + ttl).replace(microsecond=0),
    )


def candidate_attributes(participant_attributes: Mapping[str, str]) -> dict[str, str]:
    """The invite's candidate attributes back from a participant's attributes."""
    n = len(CANDIDATE_ATTRIBUTE_PREFIX)
    return {
        k[n:]: v for k, v in participant_attributes.items()
        if k.startswith(CANDIDATE_ATTRIBUTE_PREFIX) and len(k) > n
    }
