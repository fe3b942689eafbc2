"""Candidate invites: least-privilege grants, short TTL, agent dispatch, name resolution,
and ``mockflow invite``: links with codes, --revoke, --token, and what it refuses."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from conftest import ROOT

from mockflow.live.invite import InviteError, candidate_attributes, mint_invite, parse_ttl
from mockflow.live.startup import AgentNameConflict, resolve_agent_name
from mockflow.results.invites import InviteState, InviteStore, well_formed

KEY, SECRET = "devkey", "devsecret-that-is-long-enough-for-hs256"


def decode(token: str) -> dict[str, object]:
    claims: dict[str, object] = jwt.decode(token, SECRET, algorithms=["HS256"],
                                           options={"verify_aud": False})
    return claims


def test_token_grants_are_least_privilege() -> None:
    now = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    invite = mint_invite(api_key=KEY, api_secret=SECRET, agent_name="backend-engineer",
                         room="r1", identity="cand-1", name="Sam",
                         attributes={"team": "Payments"}, now=now)
    claims = decode(invite.token)
    video = claims["video"]
    assert video == {
        "roomJoin": True, "room": "r1", "canPublish": True, "canSubscribe": True,
        "canPublishData": False, "canPublishSources": ["microphone"],
        "canUpdateOwnMetadata": False,
    }
    assert claims["sub"] == "cand-1" and claims["iss"] == KEY and claims["name"] == "Sam"
    assert claims["roomConfig"] == {"agents": [{"agentName": "backend-engineer"}]}
    assert claims["attributes"] == {"candidate.team": "Payments"}
    assert int(claims["exp"]) - int(claims["nbf"]) == 600  # type: ignore[call-overload]
    assert invite.expires_at == now + timedelta(minutes=10)
    assert invite.to_dict()["expires_at"] == "2026-11-24T12:10:00Z"


def test_candidate_attributes_round_trip() -> None:
    attrs = {"candidate.team": "Payments", "lk.agent.state": "x", "candidate.": "bad"}
    assert candidate_attributes(attrs) == {"team": "Payments"}


@pytest.mark.parametrize(("text", "seconds"), [("10m", 600), ("90s", 90), ("1h30m", 5400),
                                                ("24h", 86400)])
def test_parse_ttl(text: str, seconds: int) -> None:
    assert parse_ttl(text).total_seconds() == seconds


@pytest.mark.parametrize(("text", "message"), [("10 minutes", "not a duration"),
                                               ("0m", "longer than zero"),
                                               ("25h", "longer than 24h"), ("", "not a duration"),
                                               ("2d", "longer than 24h")])
def test_bad_ttl(text: str, message: str) -> None:
    with pytest.raises(InviteError, match=message):
        parse_ttl(text)


def test_agent_name_resolution() -> None:
    assert resolve_agent_name("backend-engineer", None, {}) == "backend-engineer"
    assert resolve_agent_name("backend-engineer", "be-2", {}) == "be-2"
    env = {"LIVEKIT_AGENT_NAME_OVERRIDE": "backend-engineer"}
    assert resolve_agent_name("backend-engineer", None, env) == "backend-engineer"
    with pytest.raises(AgentNameConflict, match="LIVEKIT_AGENT_NAME_OVERRIDE=other"):
        resolve_agent_name("backend-engineer", None, {"LIVEKIT_AGENT_NAME_OVERRIDE": "other"})


def _invite(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("LIVEKIT_", "MOCKFLOW_"))}
    return subprocess.run([sys.executable, "-m", "mockflow", "invite", *args],
                          capture_output=True, text=True, timeout=60, cwd=ROOT,
                          env={**base, **env})


CREDS = {"LIVEKIT_API_KEY": KEY, "LIVEKIT_API_SECRET": SECRET}
CLOUD = {"LIVEKIT_URL": "wss://example.livekit.cloud"}
BASE = ("--base-url", "https://jobs.example.com")


def test_invite_token_for_your_own_front_end() -> None:
    proc = _invite("interviews/backend.yaml", "--token", "--room", "r1", "--identity", "c1",
                   "--name", "Sam", "-a", "team=Payments", "--format", "json",
                   env={**CREDS, **CLOUD})
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert set(data) == {"token", "room", "identity", "agent_name", "expires_at"}
    assert decode(data["token"])["roomConfig"] == {"agents": [{"agentName": "backend-engineer"}]}
    assert "meet.livekit.io" not in proc.stdout  # no developer test client for candidates
    generated = _invite("interviews/backend.yaml", "--token", "--format", "json",
                        env={**CREDS, **CLOUD})
    data = json.loads(generated.stdout)
    assert data["room"].startswith("backend-engineer-")
    assert data["identity"].startswith("candidate-")


def test_invite_link_json_and_the_store(tmp_path: Path) -> None:
    proc = _invite("interviews/backend.yaml", "--name", "<b>Sam</b>", "-a", "team=Payments",
                   *BASE, "--results", str(tmp_path), "--valid-for", "2d", "--format", "json",
                   env=CLOUD)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    code = data["code"]
    assert data["url"] == f"https://jobs.example.com/i/{code}"
    assert well_formed(code)
    assert data["name"] == "<b>Sam</b>"  # data; the page escapes it
    record = InviteStore(tmp_path).get(code)
    assert record is not None and record.room == data["room"]
    assert record.attributes == {"team": "Payments"}
    assert record.expires_at - record.not_before == timedelta(days=2)
    assert "no candidate_notice.contact" not in proc.stderr  # backend.yaml has one
    text = _invite("interviews/backend.yaml", "--name", "Sam", *BASE, "--results",
                   str(tmp_path), env=CLOUD)
    assert text.returncode == 0
    assert re.search(r"^link:       https://jobs\.example\.com/i/[A-Za-z0-9_-]{22}$",
                     text.stdout, re.M)
    assert "mockflow invite --revoke" in text.stdout


def test_invite_link_base_url_from_the_environment(tmp_path: Path) -> None:
    proc = _invite("interviews/backend.yaml", "--results", str(tmp_path), "--format", "json",
                   env={**CLOUD, "MOCKFLOW_BASE_URL": "https://careers.example.com/interview"})
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["url"].startswith("https://careers.example.com/interview/i/")


def test_invite_notes_a_missing_contact(tmp_path: Path) -> None:
    proc = _invite("interviews/support-lead.yaml", *BASE, "--results", str(tmp_path),
                   env=CLOUD)
    assert proc.returncode == 0, proc.stderr
    assert "has no candidate_notice.contact" in proc.stderr


def test_revoke_by_code_or_link_without_the_file(tmp_path: Path) -> None:
    made = _invite("interviews/backend.yaml", "--name", "Sam", *BASE, "--results",
                   str(tmp_path), "--format", "json", env=CLOUD)
    data = json.loads(made.stdout)
    first = _invite("--revoke", data["url"], "--results", str(tmp_path), env={})
    assert first.returncode == 0, first.stderr
    assert "revoked: the invite for Sam" in first.stdout
    again = _invite("--revoke", data["code"], "--results", str(tmp_path), env={})
    assert again.returncode == 0 and "already revoked" in again.stdout
    assert InviteStore(tmp_path).status(data["code"]).state is InviteState.REVOKED
    unknown = _invite("--revoke", "Q" * 22, "--results", str(tmp_path), env={})
    assert unknown.returncode == 2
    assert "no invite with code" in unknown.stderr and "--results" in unknown.stderr
    garbled = _invite("--revoke", "not-a-code", "--results", str(tmp_path), env={})
    assert garbled.returncode == 2 and "is not an invite code" in garbled.stderr


@pytest.mark.parametrize(("args", "env", "message"), [
    (("--base-url", "https://jobs.example.com"), {"LIVEKIT_URL": "ws://127.0.0.1:7880"},
     "LIVEKIT_URL is ws://127.0.0.1:7880, a loopback address: the candidate's browser would"
     " look for a LiveKit server on the candidate's own computer"),
    (("--base-url", "https://jobs.example.com"), {"LIVEKIT_URL": "ws://localhost:7880"},
     "or pass --allow-local"),
    (("--base-url", "https://jobs.example.com"), {}, "LIVEKIT_URL is not set"),
    ((), CLOUD, "--base-url is needed for the link"),
    (("--base-url", "http://jobs.example.com"), CLOUD, "browsers only give a page the"
                                                       " microphone over https"),
    (("--base-url", "http://127.0.0.1:8080"), CLOUD, "is a loopback address: the link would"
                                                     " only open on this machine"),
    (("--base-url", "https://jobs.example.com", "--name", "x" * 300), CLOUD,
     "the candidate name is 300 characters; the limit is 200"),
    (("--base-url", "https://jobs.example.com", "--valid-for", "a week"), CLOUD,
     "--valid-for 'a week' is not a duration"),
    (("--base-url", "https://jobs.example.com", "--starts", "tomorrow"), CLOUD,
     "--starts 'tomorrow' is not a date and time"),
    (("--base-url", "https://jobs.example.com", "--starts", "2026-12-01T09:00"), CLOUD,
     "has no time zone"),
    (("--base-url", "https://jobs.example.com", "--results", "s3://bucket/p"), CLOUD,
     "invites are kept in a directory that every mockflow serve reads"),
])
def test_invite_link_refusals(tmp_path: Path, args: tuple[str, ...], env: dict[str, str],
                              message: str) -> None:
    if "--results" not in args:
        args = (*args, "--results", str(tmp_path))
    proc = _invite("interviews/backend.yaml", *args, env=env)
    assert proc.returncode == 2, proc.stdout
    assert message in proc.stderr
    assert not list(tmp_path.glob(".invites/*.json"))


def test_loopback_is_allowed_when_asked(tmp_path: Path) -> None:
    proc = _invite("interviews/backend.yaml", "--base-url", "http://127.0.0.1:8080",
                   "--allow-local", "--results", str(tmp_path), "--format", "json",
                   env={"LIVEKIT_URL": "ws://127.0.0.1:7880"})
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["url"].startswith("http://127.0.0.1:8080/i/")


def test_invite_cli_errors() -> None:
    no_creds = _invite("interviews/backend.yaml", "--token", env={})
    assert no_creds.returncode == 2
    assert "LIVEKIT_API_KEY and LIVEKIT_API_SECRET must be set" in no_creds.stderr
    conflict = _invite("interviews/backend.yaml", "--token",
                       env={**CREDS, "LIVEKIT_AGENT_NAME_OVERRIDE": "other"})
    assert conflict.returncode == 2 and "would rename the agent" in conflict.stderr
    bad_attr = _invite("interviews/backend.yaml", "--token", "-a", "x", env=CREDS)
    assert bad_attr.returncode == 2 and "KEY=VALUE" in bad_attr.stderr
    bad_ttl = _invite("interviews/backend.yaml", "--token", "--ttl", "forever", env=CREDS)
    assert bad_ttl.returncode == 2 and "not a duration" in bad_ttl.stderr
    no_file = _invite(env={})
    assert no_file.returncode == 2 and "give the interview file" in no_file.stderr
