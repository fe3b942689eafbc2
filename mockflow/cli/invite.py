"""``invite`` (an invite code and its link, ``--revoke``, ``--token``) and ``serve`` (the
candidate site that honours the links)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from mockflow.cli.common import ExitCode, Format, err, load_or_exit, out
from mockflow.format.compile import CompiledInterview
from mockflow.format.model import Interview

BASE_URL_ENV = "MOCKFLOW_BASE_URL"


def _fail(message: str, code: ExitCode = ExitCode.USAGE) -> typer.Exit:
    err(f"mockflow: error: {message}")
    return typer.Exit(code)


def _invites_dir(flag: str | None, env: Mapping[str, str]) -> Path:
    """Invites live in a directory every ``serve`` reads: ``--results``, else a directory
    in ``MOCKFLOW_RESULTS``, else ./results; an s3:// store can't hold them."""
    from mockflow.results.store.backend import RESULTS_ENV, is_remote, results_target

    given = [v for v in (flag, env.get(RESULTS_ENV)) if v]
    if given and all(is_remote(v) for v in given):
        raise _fail(f"invites are kept in a directory that every mockflow serve reads, not in"
                    f" an object store ({given[0]}); pass --results DIR (a local or shared"
                    " directory)")
    return results_target(flag, env).directory


def _attributes(items: list[str] | None) -> dict[str, str]:
    attributes: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise _fail(f"--attribute '{item}' must look like KEY=VALUE")
        attributes[key] = value
    return attributes


def _starts(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise _fail(f"--starts '{text}' is not a date and time; write it like"
                    " 2026-12-01T09:00Z (ISO 8601, with a time zone)") from None
    if moment.tzinfo is None:
        raise _fail(f"--starts '{text}' has no time zone; add Z for UTC or an offset like"
                    " +01:00")
    return moment.astimezone(UTC)


def invite(
    path: Annotated[str | None, typer.Argument(
        help="Interview file (not needed with --revoke).")] = None,
    name: Annotated[str | None, typer.Option(
        help="Candidate name: shown on the page and to the interview's templates.")] = None,
    attribute: Annotated[list[str] | None, typer.Option(
        "--attribute", "-a", help="KEY=VALUE for candidate.attributes; repeat.")] = None,
    base_url: Annotated[str | None, typer.Option(
        envvar=BASE_URL_ENV, help="Public https:// address of mockflow serve; the link is"
                                  " <base-url>/i/<code>.")] = None,
    valid_for: Annotated[str, typer.Option(
        help="How long the link works, e.g. 7d, 48h (at most 90d).")] = "7d",
    starts: Annotated[str | None, typer.Option(
        help="When the link starts working (ISO 8601 with a zone, e.g. 2026-12-01T09:00Z;"
             " default now).")] = None,
    room: Annotated[str | None, typer.Option(help="Room name (default: generated).")] = None,
    identity: Annotated[str | None, typer.Option(
        help="Candidate identity (default: generated).")] = None,
    agent_name: Annotated[str | None, typer.Option(
        help="Agent to dispatch (default: the interview id).")] = None,
    results: Annotated[str | None, typer.Option(
        help="Results directory the invites are kept in (env MOCKFLOW_RESULTS, default"
             " ./results); mockflow serve must read the same one.")] = None,
    allow_local: Annotated[bool, typer.Option(
        "--allow-local", help="Allow a loopback LIVEKIT_URL or base URL (trying it on this"
                              " machine).")] = False,
    revoke: Annotated[str | None, typer.Option(
        metavar="CODE", help="Withdraw an invite (its code or its link); no file needed.")]
    = None,
    token: Annotated[bool, typer.Option(
        "--token", help="Print a LiveKit token instead of a link, for a front end of your"
                        " own (needs LIVEKIT_API_KEY and LIVEKIT_API_SECRET).")] = False,
    ttl: Annotated[str, typer.Option(
        help="With --token: the token's lifetime, e.g. 10m, 1h (at most 24h).")] = "10m",
    fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.text,
) -> None:
    """Invite a candidate: a link to the join page (mockflow serve), valid for one interview."""
    env = os.environ
    if revoke is not None:
        _revoke(revoke, _invites_dir(results, env), fmt)
        return
    if path is None:
        raise _fail("give the interview file (mockflow invite FILE --name …), or --revoke CODE")
    compiled = load_or_exit(path)
    attributes = _attributes(attribute)
    from mockflow.live.startup import AgentNameConflict, resolve_agent_name

    try:
        agent = resolve_agent_name(compiled.interview.id, agent_name, env)
    except AgentNameConflict as exc:
        raise _fail(str(exc)) from None
    if token:
        _token(compiled, agent, room, identity, name, attributes, ttl, fmt, env)
        return
    _link(compiled, agent, path, name=name, attributes=attributes, base_url=base_url,
          valid_for=valid_for, starts=_starts(starts), room=room, identity=identity,
          directory=_invites_dir(results, env), allow_local=allow_local, fmt=fmt, env=env)


def _link(compiled: CompiledInterview, agent: str, path: str, *, name: str | None,
          attributes: dict[str, str], base_url: str | None, valid_for: str,
          starts: datetime | None, room: str | None, identity: str | None, directory: Path,
          allow_local: bool, fmt: Format, env: Mapping[str, str]) -> None:
    from mockflow.results.durable import ResultsError
    from mockflow.results.invites import (
        MAX_VALID_FOR,
        InviteStore,
        InviteStoreError,
        iso_z,
        parse_duration,
    )
    from mockflow.web.origins import (
        AddressError,
        check_base_url,
        livekit_origins,
        livekit_url_loopback,
        loopback_livekit_problem,
    )

    livekit_url = env.get("LIVEKIT_URL", "")
    if not livekit_url:
        raise _fail("LIVEKIT_URL is not set: the page connects the candidate to that LiveKit"
                    " server (the one the worker uses), and mockflow checks that a browser"
                    " elsewhere can reach it. Set it like wss://your-project.livekit.cloud")
    if not base_url:
        raise _fail(f"--base-url is needed for the link: the public https:// address where"
                    f" mockflow serve is reachable, e.g. --base-url https://jobs.example.com"
                    f" (or set {BASE_URL_ENV})")
    try:
        livekit_origins(livekit_url)
        if livekit_url_loopback(livekit_url) and not allow_local:
            raise _fail(loopback_livekit_problem(livekit_url))
        base = check_base_url(base_url, allow_local=allow_local)
        window = parse_duration(valid_for, maximum=MAX_VALID_FOR, what="--valid-for")
        code, record = InviteStore(directory).create(
            interview_id=compiled.interview.id, agent_name=agent, name=name,
            attributes=attributes, valid_for=window, not_before=starts, room=room,
            identity=identity)
    except (AddressError, InviteStoreError, ResultsError) as exc:
        raise _fail(str(exc)) from None
    url = f"{base}/i/{code}"
    data: dict[str, Any] = {
        "url": url, "code": code, "interview_id": record.interview_id,
        "agent_name": record.agent_name, "room": record.room, "identity": record.identity,
        "name": record.name, "not_before": iso_z(record.not_before),
        "expires_at": iso_z(record.expires_at), "results": str(directory),
    }
    if compiled.interview.candidate_notice.contact is None:
        err(f"mockflow: note: {path} has no candidate_notice.contact, so the page can't say"
            " whom to ask for another way to be assessed or an accommodation (NYC Local"
            " Law 144 expects one; docs/candidate.md)")
    if fmt is Format.json:
        out(json.dumps(data, indent=2, ensure_ascii=False))
        return
    out(f"link:       {url}")
    out(f"interview:  {compiled.interview.title} ({record.interview_id}, agent"
        f" {record.agent_name})")
    if record.name:
        out(f"candidate:  {record.name} ({record.identity})")
    out(f"valid:      {data['not_before']} to {data['expires_at']}")
    out(f"room:       {record.room}")
    out(f"Send the link to the candidate; it is the only copy of the code. mockflow serve"
        f" --results {directory} honours it; withdraw it with: mockflow invite --revoke"
        f" {code} --results {directory}")


def _revoke(text: str, directory: Path, fmt: Format) -> None:
    from mockflow.results.durable import ResultsError
    from mockflow.results.invites import InviteStore, InviteStoreError, code_from

    try:
        code = code_from(text)
        record, fresh = InviteStore(directory).revoke(code)
    except (InviteStoreError, ResultsError) as exc:
        raise _fail(str(exc)) from None
    if fmt is Format.json:
        out(json.dumps({"revoked": True, "already_revoked": not fresh,
                        "interview_id": record.interview_id, "identity": record.identity,
                        "room": record.room}, indent=2))
        return
    who = f"{record.name} ({record.identity})" if record.name else record.identity
    if fresh:
        out(f"revoked: the invite for {who} to {record.interview_id} no longer works")
    else:
        out(f"already revoked: the invite for {who} to {record.interview_id}")


def _token(compiled: CompiledInterview, agent: str, room: str | None, identity: str | None,
           name: str | None, attributes: dict[str, str], ttl: str, fmt: Format,
           env: Mapping[str, str]) -> None:
    import secrets

    from mockflow.live.invite import InviteError, mint_invite, parse_ttl
    from mockflow.live.startup import missing_livekit

    missing = [v for v in missing_livekit(env) if v != "LIVEKIT_URL"]
    if missing:
        raise _fail(f"{' and '.join(missing)} must be set to sign tokens (the same"
                    " credentials the worker uses)")
    try:
        issued = mint_invite(
            api_key=env["LIVEKIT_API_KEY"], api_secret=env["LIVEKIT_API_SECRET"],
            agent_name=agent,
            room=room if room is not None else f"{compiled.interview.id}-{secrets.token_hex(6)}",
            identity=identity if identity is not None
            else f"candidate-{secrets.token_hex(6)}",
            name=name, attributes=attributes, ttl=parse_ttl(ttl))
    except InviteError as exc:
        raise _fail(str(exc)) from None
    data = issued.to_dict()
    if fmt is Format.json:
        out(json.dumps(data, indent=2))
        return
    out(f"room:       {data['room']}")
    out(f"identity:   {data['identity']}")
    out(f"agent:      {data['agent_name']}")
    out(f"expires at: {data['expires_at']}")
    out(f"token:      {data['token']}")


def serve(
    paths: Annotated[list[str], typer.Argument(help="Interview files to serve.")],
    host: Annotated[str, typer.Option(
        help="Address to listen on (put an HTTPS reverse proxy in front).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535,
                                      help="Port (0 picks a free one).")] = 8080,
    results: Annotated[str | None, typer.Option(
        help="Results directory the invites are in (env MOCKFLOW_RESULTS, default"
             " ./results).")] = None,
    allow_local: Annotated[bool, typer.Option(
        "--allow-local", help="Allow a loopback LIVEKIT_URL (trying it on this machine).")]
    = False,
    trust_proxy: Annotated[list[str] | None, typer.Option(
        "--trust-proxy", metavar="ADDR", help="A reverse proxy (address or network) whose"
        " X-Forwarded-For/-Proto are believed; repeat.")] = None,
    connect_src: Annotated[list[str] | None, typer.Option(
        "--connect-src", metavar="ORIGIN", help="Another origin the page may connect to"
        " (a LiveKit host the URL doesn't cover); repeat.")] = None,
    token_ttl: Annotated[str, typer.Option(
        help="Lifetime of each candidate token (the candidate must join within it).")]
    = "10m",
) -> None:
    """Serve the candidate join page and its token endpoint for invites to these interviews."""
    env = os.environ
    interviews: list[Interview] = []
    for path in paths:
        compiled = load_or_exit(path)
        if any(i.id == compiled.interview.id for i in interviews):
            raise _fail(f"{path}: interview id '{compiled.interview.id}' is served twice;"
                        " each file needs its own id")
        interviews.append(compiled.interview)
    from mockflow.live.startup import missing_livekit

    missing = missing_livekit(env)
    if missing:
        raise _fail(f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set:"
                    " serve signs each candidate's token with the LiveKit key and sends the"
                    " browser to LIVEKIT_URL (set them as for mockflow run)")
    directory = _invites_dir(results, env)
    from mockflow.live.invite import InviteError, parse_ttl
    from mockflow.web.assets import AssetsMissing
    from mockflow.web.clients import parse_networks
    from mockflow.web.origins import (
        AddressError,
        check_origin,
        livekit_origins,
        livekit_url_loopback,
        loopback_livekit_problem,
    )
    from mockflow.web.server import CandidateSite, SiteConfig

    url = env["LIVEKIT_URL"]
    try:
        livekit_origins(url)
        if livekit_url_loopback(url) and not allow_local:
            raise _fail(loopback_livekit_problem(url))
        config = SiteConfig(
            livekit_url=url, api_key=env["LIVEKIT_API_KEY"],
            api_secret=env["LIVEKIT_API_SECRET"], results_dir=directory,
            token_ttl=parse_ttl(token_ttl),
            trusted_proxies=parse_networks(trust_proxy or []),
            connect_src=tuple(check_origin(o) for o in connect_src or []))
        site = CandidateSite(interviews, config)
    except (AddressError, InviteError, AssetsMissing) as exc:
        raise _fail(str(exc)) from None
    _run_site(site, host, port, [i.id for i in interviews], directory)


def _run_site(site: Any, host: str, port: int, ids: list[str], directory: Path) -> None:
    import asyncio
    import logging
    import signal

    from mockflow.web.server import run_site

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")

    def ready(bound_host: str, bound_port: int) -> None:
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        err(f"mockflow: serving the candidate page for {', '.join(ids)} on"
            f" http://{shown}:{bound_port}/i/<code>; invites from {directory}; Ctrl-C stops")

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await run_site(site, host, port, ready=ready, stop=stop)

    try:
        asyncio.run(main())
    except OSError as exc:
        raise _fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
