"""Candidate invites: least-privilege grants, short TTL, agent dispatch, name resolution."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from conftest import ROOT

from mockflow.live.invite import InviteError, candidate_attributes, mint_invite, parse_ttl
from mockflow.live.startup import AgentNameConflict, resolve_agent_name

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
                                               ("25h", "longer than 24h"), ("", "not a duration")])
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
    base = {k: v for k, v in os.environ.items() if not k.startswith("LIVEKIT_")}
    return subprocess.run([sys.executable, "-m", "mockflow", "invite", *args],
                          capture_output=True, text=True, timeout=60, cwd=ROOT,
                          env={**base, **env})


CREDS = {"LIVEKIT_API_KEY": KEY, "LIVEKIT_API_SECRET": SECRET}


def test_invite_cli_json() -> None:
    proc = _invite("interviews/backend.yaml", "--room", "r1", "--identity", "c1", "--name",
                   "Sam", "-a", "team=Payments", "--format", "json",
                   env={**CREDS, "LIVEKIT_URL": "wss://example.livekit.cloud"})
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert set(data) == {"token", "room", "identity", "agent_name", "expires_at", "join_url"}
    assert decode(data["token"])["roomConfig"] == {"agents": [{"agentName": "backend-engineer"}]}


def test_invite_cli_errors() -> None:
    no_creds = _invite("interviews/backend.yaml", "--room", "r", "--identity", "c", env={})
    assert no_creds.returncode == 2
    assert "LIVEKIT_API_KEY and LIVEKIT_API_SECRET must be set" in no_creds.stderr
    conflict = _invite("interviews/backend.yaml", "--room", "r", "--identity", "c",
                       env={**CREDS, "LIVEKIT_AGENT_NAME_OVERRIDE": "other"})
    assert conflict.returncode == 2 and "would rename the agent" in conflict.stderr
    bad_attr = _invite("interviews/backend.yaml", "--room", "r", "--identity", "c", "-a", "x",
                       env=CREDS)
    assert bad_attr.returncode == 2 and "KEY=VALUE" in bad_attr.stderr
    bad_ttl = _invite("interviews/backend.yaml", "--room", "r", "--identity", "c", "--ttl",
                      "forever", env=CREDS)
    assert bad_ttl.returncode == 2 and "not a duration" in bad_ttl.stderr
