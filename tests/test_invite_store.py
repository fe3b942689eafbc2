"""The invite store: codes, states, revocation, the first browser's claim, the worker's
mark, durability across processes and hosts that share the directory, privacy."""

from __future__ import annotations

import asyncio
import json
import os
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT

from mockflow.results.invites import (
    INVITES_DIR,
    Claim,
    InviteRecord,
    InviteState,
    InviteStore,
    InviteStoreError,
    UnknownInvite,
    code_from,
    mark_room_ended,
    parse_duration,
    well_formed,
)

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def store(root: Path) -> InviteStore:
    return InviteStore(root, clock=lambda: NOW)


def create(root: Path, **options: Any) -> tuple[str, InviteRecord]:
    options.setdefault("name", "Sam")
    return store(root).create(interview_id="backend-engineer", agent_name="backend-engineer",
                              **options)


def test_a_new_invite_is_valid_for_its_window_and_only_then(tmp_path: Path) -> None:
    code, _ = create(tmp_path, valid_for=timedelta(days=2),
                     not_before=NOW + timedelta(hours=1))
    invites = store(tmp_path)
    assert invites.status(code, NOW).state is InviteState.NOT_YET
    assert invites.status(code, NOW + timedelta(hours=1)).state is InviteState.VALID
    assert invites.status(code, NOW + timedelta(days=2, minutes=59)).valid
    assert invites.status(code, NOW + timedelta(days=2, hours=1)).state is InviteState.EXPIRED
    record = invites.get(code)
    assert record is not None
    assert record.room.startswith("backend-engineer-") and record.identity.startswith(
        "candidate-")
    assert record.expires_at == NOW + timedelta(days=2, hours=1)


def test_codes_are_unguessable_and_never_stored(tmp_path: Path) -> None:
    codes = {create(tmp_path)[0] for _ in range(50)}
    assert len(codes) == 50 and all(well_formed(c) and len(c) == 22 for c in codes)
    stored = "".join(p.read_text() for p in (tmp_path / INVITES_DIR).rglob("*") if p.is_file())
    assert not any(code in stored for code in codes)


def test_files_are_private(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        code, _ = create(tmp_path)
        store(tmp_path).revoke(code)
        store(tmp_path).claim(code, "k" * 43)
    finally:
        os.umask(old)
    root = tmp_path / INVITES_DIR
    for path in [root, *root.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), (path, oct(mode))


def test_unknown_tampered_and_malformed_codes(tmp_path: Path) -> None:
    code, _ = create(tmp_path)
    tampered = code[:-1] + ("A" if code[-1] != "A" else "B")
    invites = store(tmp_path)
    for bad in (tampered, code[:-1], code + "x", "../../etc/passwd", "", "A" * 22,
                code.upper() if code.upper() != code else code.lower()):
        assert invites.status(bad).state is InviteState.UNKNOWN, bad
        assert invites.get(bad) is None


def test_revoke_without_the_interview_file_and_twice(tmp_path: Path) -> None:
    code, _ = create(tmp_path)
    record, fresh = store(tmp_path).revoke(code)
    assert fresh and record.name == "Sam"
    assert store(tmp_path).status(code).state is InviteState.REVOKED
    assert store(tmp_path).revoke(code)[1] is False  # already revoked: not an error
    with pytest.raises(UnknownInvite, match="no invite with code .* check the code and"
                       " --results"):
        store(tmp_path).revoke("B" * 22)


def test_code_from_a_link_or_a_code() -> None:
    code = "abcdefghijklmnopqrstuv"
    assert code_from(code) == code
    assert code_from(f"https://jobs.example.com/i/{code}") == code
    assert code_from(f"https://jobs.example.com/interviews/i/{code}/") == code
    with pytest.raises(UnknownInvite, match="is not an invite code or an invite link"):
        code_from(f"https://jobs.example.com/x/{code}")
    with pytest.raises(UnknownInvite, match="codes are 22 characters"):
        code_from("short")


def test_the_first_browser_holds_the_invite(tmp_path: Path) -> None:
    code, _ = create(tmp_path)
    invites = store(tmp_path)
    assert invites.holder(code, "a" * 43) is None
    assert invites.claim(code, "a" * 43) is Claim.NEW
    assert invites.claim(code, "a" * 43) is Claim.SAME
    assert invites.claim(code, "b" * 43) is Claim.OTHER
    assert invites.holder(code, "a" * 43) is Claim.SAME
    assert invites.holder(code, None) is Claim.OTHER


def test_the_workers_mark_ends_the_invite(tmp_path: Path) -> None:
    code, record = create(tmp_path)
    mark_room_ended(tmp_path, record.room)
    mark_room_ended(tmp_path, record.room)  # idempotent
    assert store(tmp_path).status(code).state is InviteState.ENDED


def test_the_worker_callback_marks_the_room_and_never_raises(tmp_path: Path) -> None:
    from mockflow.live.worker import invite_used

    code, record = create(tmp_path)
    asyncio.run(invite_used(tmp_path, record.room)())
    assert store(tmp_path).status(code).state is InviteState.ENDED
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    asyncio.run(invite_used(blocked, "room")())  # logged, not raised


def test_a_room_belongs_to_one_invite(tmp_path: Path) -> None:
    create(tmp_path, room="r1", identity="c1")
    with pytest.raises(InviteStoreError, match="room 'r1' already belongs to another invite"):
        create(tmp_path, room="r1", identity="c2")


@pytest.mark.parametrize(("options", "message"), [
    ({"name": "x" * 201}, "the candidate name is 201 characters; the limit is 200"),
    ({"name": "   "}, "--name must not be blank"),
    ({"attributes": {f"k{i}": "v" for i in range(40)}}, "40 attributes; the limit is 32"),
    ({"room": " "}, "--room and --identity must not be empty"),
    ({"valid_for": timedelta(days=91)}, "valid for at most 90d"),
])
def test_bad_invites_are_refused(tmp_path: Path, options: dict[str, Any],
                                 message: str) -> None:
    with pytest.raises(InviteStoreError, match=message):
        create(tmp_path, **options)
    assert not list((tmp_path / INVITES_DIR).glob("*.json"))


def test_another_process_sharing_the_directory_honours_invites_and_revocations(
        tmp_path: Path) -> None:
    """What a second host (or serve after a restart) sees: a fresh process reading the
    same directory."""
    code, _ = InviteStore(tmp_path).create(interview_id="backend-engineer",
                                           agent_name="backend-engineer")
    script = ("import sys; from pathlib import Path;"
              " from mockflow.results.invites import InviteStore;"
              " print(InviteStore(Path(sys.argv[1])).status(sys.argv[2]).state.value)")

    def state() -> str:
        return subprocess.run([sys.executable, "-c", script, str(tmp_path), code],
                              capture_output=True, text=True, check=True, cwd=ROOT,
                              timeout=60).stdout.strip()

    assert state() == "valid"
    store(tmp_path).revoke(code)
    assert state() == "revoked"


def test_a_damaged_invite_file_is_named(tmp_path: Path) -> None:
    from mockflow.results.files import ResultsError

    code, record = create(tmp_path)
    path = tmp_path / INVITES_DIR / f"{record.code_sha256}.json"
    data = json.loads(path.read_text())
    del data["room"]
    path.write_text(json.dumps(data))
    with pytest.raises(ResultsError, match="is damaged .* revoke it and send a new one"):
        store(tmp_path).get(code)


@pytest.mark.parametrize(("text", "seconds"), [("7d", 604800), ("1d12h", 129600),
                                                ("90m", 5400), ("45s", 45)])
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text, maximum=timedelta(days=90)).total_seconds() == seconds


@pytest.mark.parametrize(("text", "message"), [
    ("a week", "is not a duration; write it like 10m, 90s or 1h30m \\(or 7d\\)"),
    ("0d", "must be longer than zero"), ("91d", "is longer than 90d")])
def test_bad_durations(text: str, message: str) -> None:
    with pytest.raises(InviteStoreError, match=message):
        parse_duration(text, maximum=timedelta(days=90), what="--valid-for")
