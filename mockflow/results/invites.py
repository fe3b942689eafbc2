"""Invite codes: what a candidate's link stands for, kept where every ``serve`` sees it.

A recruiter's ``mockflow invite`` creates an invite: one interview, one room, one
candidate identity, the candidate's name and attributes, and a validity window. The link
carries only a random code; ``mockflow serve`` turns the code into short-lived LiveKit
tokens for that one identity while the invite is valid. Layout, under the results
directory (directories 0700, files 0600)::

    <results>/.invites/<h>.json       the invite, written once (atomically)
    <results>/.invites/<h>.revoked    present once revoked (``mockflow invite --revoke``)
    <results>/.invites/<h>.claim      the browser that fetched the first token (exclusive)
    <results>/.invites/rooms/<r>      the room is taken by an invite (exclusive)
    <results>/.invites/rooms/<r>.ended  the worker's mark: the room's interview is over

``h`` is the SHA-256 of the code and ``r`` the SHA-256 of the room name. Codes are 128
random bits (``secrets``), so a plain hash is enough to keep them out of the directory:
nothing short of the code opens the invite, and a copy of the directory (a backup, a
shared volume) holds no usable link. Every state change is a file of its own, created
exclusively or atomically, so any number of ``serve`` processes on hosts sharing the
directory agree without locks, and a restart loses nothing. Every request reads the
files again: a revocation counts at once, everywhere.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from mockflow.format.errors import MockflowError
from mockflow.format.limits import candidate_problems
from mockflow.results.durable import ResultsError, create_new, private_dir, replace_atomic

INVITES_DIR = ".invites"
ROOMS_DIR = "rooms"
INVITE_FORMAT = 1
CODE_BYTES = 16  # 128 bits
CODE_PATTERN = re.compile(r"[A-Za-z0-9_-]{22}")
DEFAULT_VALID_FOR = timedelta(days=7)
MAX_VALID_FOR = timedelta(days=90)
_DURATION = re.compile(r"\s*(?:(\d+)d)?\s*(?:(\d+)h)?\s*(?:(\d+)m)?\s*(?:(\d+)s)?\s*")


class InviteStoreError(MockflowError):
    """An invite can't be created, found or changed."""


class UnknownInvite(InviteStoreError):
    """No invite has this code (or the code is malformed)."""


class InviteState(StrEnum):
    VALID = "valid"
    UNKNOWN = "unknown"
    REVOKED = "revoked"
    ENDED = "ended"
    EXPIRED = "expired"
    NOT_YET = "not_yet"


class Claim(StrEnum):
    NEW = "new"  # this browser is the first: the invite is now bound to it
    SAME = "same"  # the browser that holds the invite
    OTHER = "other"  # another browser holds it


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso_z(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def parse_duration(text: str, *, maximum: timedelta, what: str = "duration",
                   too_long: str = "") -> timedelta:
    """'7d', '10m', '90s', '1h30m' → timedelta, longer than zero and at most ``maximum``."""
    match = _DURATION.fullmatch(text)
    if not match or not any(match.groups()):
        raise InviteStoreError(f"{what} '{text}' is not a duration; write it like 10m, 90s or"
                               " 1h30m" + (" (or 7d)" if maximum > timedelta(days=1) else ""))
    days, hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    value = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    if value <= timedelta(0):
        raise InviteStoreError(f"{what} must be longer than zero")
    if value > maximum:
        raise InviteStoreError(f"{what} '{text}' is longer than {_say(maximum)}{too_long}")
    return value


def _say(span: timedelta) -> str:
    if span > timedelta(days=1) and span % timedelta(days=1) == timedelta(0):
        return f"{span.days}d"
    return f"{int(span.total_seconds() // 3600)}h"


def new_code() -> str:
    """A fresh invite code: 128 random bits, URL-safe (22 characters)."""
    return secrets.token_urlsafe(CODE_BYTES)


def code_hash(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


def room_hash(room: str) -> str:
    return hashlib.sha256(room.encode("utf-8")).hexdigest()


def well_formed(code: str) -> bool:
    return CODE_PATTERN.fullmatch(code) is not None


def code_from(text: str) -> str:
    """The code in ``text``: a bare code, or a link ending in ``/i/<code>``."""
    candidate = text.strip().rstrip("/")
    if "/" in candidate:
        head, _, candidate = candidate.rpartition("/")
        if not head.endswith("/i"):
            raise UnknownInvite(f"'{text}' is not an invite code or an invite link"
                                " (…/i/<code>)")
    if not well_formed(candidate):
        raise UnknownInvite(f"'{text}' is not an invite code: codes are 22 characters of"
                            " letters, digits, '-' and '_'")
    return candidate


@dataclass(frozen=True, slots=True)
class InviteRecord:
    """One invite as stored (never the code itself: its hash)."""

    code_sha256: str
    interview_id: str
    agent_name: str
    room: str
    identity: str
    created_at: datetime
    not_before: datetime
    expires_at: datetime
    name: str | None = None
    attributes: Mapping[str, str] = field(default_factory=dict)

    def document(self) -> dict[str, Any]:
        return {
            "format": INVITE_FORMAT,
            "code_sha256": self.code_sha256,
            "interview_id": self.interview_id,
            "agent_name": self.agent_name,
            "room": self.room,
            "identity": self.identity,
            "name": self.name,
            "attributes": dict(self.attributes),
            "created_at": iso_z(self.created_at),
            "not_before": iso_z(self.not_before),
            "expires_at": iso_z(self.expires_at),
        }

    @classmethod
    def from_document(cls, data: Mapping[str, Any]) -> InviteRecord:
        attributes = data.get("attributes") or {}
        name = data.get("name")
        if not isinstance(attributes, Mapping) or not (name is None or isinstance(name, str)):
            raise ValueError("name or attributes have the wrong type")
        return cls(
            code_sha256=str(data["code_sha256"]),
            interview_id=str(data["interview_id"]),
            agent_name=str(data["agent_name"]),
            room=str(data["room"]),
            identity=str(data["identity"]),
            name=name,
            attributes={str(k): str(v) for k, v in attributes.items()},
            created_at=_parse_time(data["created_at"]),
            not_before=_parse_time(data["not_before"]),
            expires_at=_parse_time(data["expires_at"]),
        )


def _parse_time(value: Any) -> datetime:
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"time without a zone: {value}")
    return moment


@dataclass(frozen=True, slots=True)
class InviteStatus:
    state: InviteState
    record: InviteRecord | None = None

    @property
    def valid(self) -> bool:
        return self.state is InviteState.VALID


class InviteStore:
    """The invites under one results directory."""

    def __init__(self, results_dir: Path, *, clock: Callable[[], datetime] = utc_now) -> None:
        self.root = Path(results_dir) / INVITES_DIR
        self.clock = clock

    # ------------------------------------------------------------------ paths

    def _path(self, digest: str, suffix: str) -> Path:
        return self.root / f"{digest}{suffix}"

    def _room_path(self, room: str, suffix: str = "") -> Path:
        return self.root / ROOMS_DIR / f"{room_hash(room)}{suffix}"

    # ------------------------------------------------------------------ creating

    def create(self, *, interview_id: str, agent_name: str, name: str | None = None,
               attributes: Mapping[str, str] | None = None,
               valid_for: timedelta = DEFAULT_VALID_FOR, not_before: datetime | None = None,
               room: str | None = None, identity: str | None = None,
               now: datetime | None = None) -> tuple[str, InviteRecord]:
        """A new invite and its code (the code is returned once and never stored)."""
        attributes = dict(attributes or {})
        problems = candidate_problems(name, attributes)
        if problems:
            raise InviteStoreError(
                "the candidate details are too large: " + "; ".join(problems)
                + ". Shorten them (templates and the scorecard only need a name and a few"
                " short attributes)")
        if name is not None and not name.strip():
            raise InviteStoreError("--name must not be blank; leave it out instead")
        if room is not None and not room.strip() or identity is not None and not identity.strip():
            raise InviteStoreError("--room and --identity must not be empty; leave them out"
                                   " to have them generated")
        if valid_for <= timedelta(0) or valid_for > MAX_VALID_FOR:
            raise InviteStoreError(f"an invite is valid for at most {_say(MAX_VALID_FOR)}")
        created = (now or self.clock()).replace(microsecond=0)
        start = (not_before or created).replace(microsecond=0)
        code = new_code()
        record = InviteRecord(
            code_sha256=code_hash(code),
            interview_id=interview_id,
            agent_name=agent_name,
            room=room or f"{interview_id}-{secrets.token_hex(6)}",
            identity=identity or f"candidate-{secrets.token_hex(6)}",
            name=name,
            attributes=attributes,
            created_at=created,
            not_before=start,
            expires_at=start + valid_for,
        )
        private_dir(self.root / ROOMS_DIR)
        # the room belongs to this invite alone: two candidates never share an interview
        if not _create_exclusive(self._room_path(record.room), record.code_sha256 + "\n"):
            raise InviteStoreError(
                f"room '{record.room}' already belongs to another invite; pass another"
                " --room, or leave it out to have one generated")
        replace_atomic(self._path(record.code_sha256, ".json"),
                       (json.dumps(record.document(), indent=2, sort_keys=True,
                                   ensure_ascii=False) + "\n").encode("utf-8"))
        return code, record

    # ------------------------------------------------------------------ reading

    def get(self, code: str) -> InviteRecord | None:
        """The invite for ``code``; None for an unknown or malformed code."""
        if not well_formed(code):
            return None
        digest = code_hash(code)
        try:
            text = self._path(digest, ".json").read_text("utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise ResultsError(f"cannot read invite {digest[:12]}: {exc.strerror or exc}"
                               ) from exc
        try:
            record = InviteRecord.from_document(json.loads(text))
        except (ValueError, KeyError, TypeError) as exc:
            raise ResultsError(f"invite {digest[:12]} in {self.root} is damaged ({exc});"
                               " revoke it and send a new one") from exc
        # the file name already matched; this keeps the comparison constant-time as well
        if not hmac.compare_digest(record.code_sha256, digest):
            return None
        return record

    def status(self, code: str, now: datetime | None = None) -> InviteStatus:
        record = self.get(code)
        if record is None:
            return InviteStatus(InviteState.UNKNOWN)
        moment = now or self.clock()
        if self._path(record.code_sha256, ".revoked").exists():
            return InviteStatus(InviteState.REVOKED, record)
        if self.room_ended(record.room):
            return InviteStatus(InviteState.ENDED, record)
        if moment >= record.expires_at:
            return InviteStatus(InviteState.EXPIRED, record)
        if moment < record.not_before:
            return InviteStatus(InviteState.NOT_YET, record)
        return InviteStatus(InviteState.VALID, record)

    # ------------------------------------------------------------------ changing

    def revoke(self, code: str, now: datetime | None = None) -> tuple[InviteRecord, bool]:
        """Revoke the invite; returns it and whether it was revoked just now (False when
        it already was). Raises ``UnknownInvite`` for a code with no invite."""
        record = self.get(code)
        if record is None:
            raise UnknownInvite(f"no invite with code '{code}' in {self.root.parent}; check"
                                " the code and --results (or MOCKFLOW_RESULTS)")
        moment = iso_z(now or self.clock())
        fresh = _create_exclusive(self._path(record.code_sha256, ".revoked"), moment + "\n")
        return record, fresh

    def claim(self, code: str, device_key: str) -> Claim:
        """Bind the invite to the first browser that asks for a token (by a random key in
        its cookie, stored hashed); later requests must come from that browser."""
        digest = code_hash(code)
        key_digest = hashlib.sha256(device_key.encode("utf-8")).hexdigest()
        path = self._path(digest, ".claim")
        if _create_exclusive(path, key_digest + "\n"):
            return Claim.NEW
        try:
            held = path.read_text("utf-8").strip()
        except OSError as exc:
            raise ResultsError(f"cannot read {path.name}: {exc.strerror or exc}") from exc
        return Claim.SAME if hmac.compare_digest(held, key_digest) else Claim.OTHER

    def holder(self, code: str, device_key: str | None) -> Claim | None:
        """Who holds the invite: None before any token was given, else SAME or OTHER for
        the browser with ``device_key`` (without changing anything)."""
        path = self._path(code_hash(code), ".claim")
        try:
            held = path.read_text("utf-8").strip()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise ResultsError(f"cannot read {path.name}: {exc.strerror or exc}") from exc
        if device_key is None:
            return Claim.OTHER
        key_digest = hashlib.sha256(device_key.encode("utf-8")).hexdigest()
        return Claim.SAME if hmac.compare_digest(held, key_digest) else Claim.OTHER

    def room_ended(self, room: str) -> bool:
        return self._room_path(room, ".ended").exists()


def mark_room_ended(results_dir: Path, room: str, now: datetime | None = None) -> None:
    """The worker's mark that ``room``'s interview is over: its invite mints no more
    tokens (``serve`` reads the same results directory)."""
    rooms = Path(results_dir) / INVITES_DIR / ROOMS_DIR
    private_dir(rooms)
    path = rooms / f"{room_hash(room)}.ended"
    if not path.exists():
        replace_atomic(path, (iso_z(now or utc_now()) + "\n").encode("utf-8"))


def _create_exclusive(path: Path, text: str) -> bool:
    """Publish ``path`` with ``text`` unless it exists: complete or absent, never half
    written (``durable.create_new``: a temporary file linked into place; ``link`` fails if
    the name exists, atomically, also on NFS). True if this call created it."""
    try:
        create_new(path, text.encode("utf-8"))
    except FileExistsError:
        return False
    return True
