"""Least-privilege candidate tokens that dispatch an interview's agent (livekit-api).

A candidate may join one room, publish their microphone only, publish no data, and
nothing else; the token expires soon (10 minutes unless asked otherwise, at most a day).
Its room configuration dispatches the interview's agent by name, so the worker that
serves this interview is sent to the room when the candidate joins.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from mockflow.format.errors import MockflowError
from mockflow.format.limits import candidate_problems

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

    def to_dict(self, livekit_url: str | None = None) -> dict[str, str]:
        data = {
            "token": self.token,
            "room": self.room,
            "identity": self.identity,
            "agent_name": self.agent_name,
            "expires_at": self.expires_at.isoformat().replace("+00:00", "Z"),
        }
        if livekit_url:
            data["join_url"] = join_url(livekit_url, self.token)
        return data


def parse_ttl(text: str) -> timedelta:
    """'10m', '90s', '1h', '1h30m' → timedelta; at most 24 hours."""
    match = re.fullmatch(r"\s*(?:(\d+)h)?\s*(?:(\d+)m)?\s*(?:(\d+)s)?\s*", text)
    if not match or not any(match.groups()):
        raise InviteError(f"TTL '{text}' is not a duration; write it like 10m, 90s or 1h30m")
    hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    ttl = timedelta(hours=hours, minutes=minutes, seconds=seconds)
    if ttl <= timedelta(0):
        raise InviteError("TTL must be longer than zero")
    if ttl > MAX_TTL:
        raise InviteError(f"TTL '{text}' is longer than 24h; invites are meant to be short-lived")
    return ttl


def join_url(livekit_url: str, token: str) -> str:
    """A link to LiveKit's hosted meet app for trying the invite (any client works)."""
    from urllib.parse import urlencode

    return "https://meet.livekit.io/custom?" + urlencode({"liveKitUrl": livekit_url,
                                                          "token": token})


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
