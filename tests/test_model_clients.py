"""The openai plugin's model objects verify TLS with one context per process
(``mockflow.live.model_clients``): a job's models no longer load the CA bundle each.

Checked by behaviour, over real TLS on loopback: a server whose certificate only the
shared context trusts (its CA added to that context alone) answers the models a job
builds, from two threads with their own event loops, as in ``--executor thread``.
"""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from livekit.plugins import openai

from mockflow.format.model import LlmConfig, LlmModel, TtsConfig, VoiceConfig
from mockflow.live import shared
from mockflow.live.model_chain import GuardedLLM
from mockflow.live.model_clients import TLS_KEY, tls_context
from mockflow.live.plugins import build_llm, build_tts


def _certificate(tmp: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (its own CA): (cert, key) files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mockflow test")])
    now = datetime.datetime.now(datetime.UTC)
    builder = x509.CertificateBuilder().subject_name(name).issuer_name(name)
    builder = builder.public_key(key.public_key()).serial_number(x509.random_serial_number())
    builder = builder.not_valid_before(now - datetime.timedelta(days=1))
    builder = builder.not_valid_after(now + datetime.timedelta(days=1))
    loopback = x509.IPAddress(ipaddress.ip_address("127.0.0.1"))
    builder = builder.add_extension(x509.SubjectAlternativeName([loopback]), critical=False)
    builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None),
                                    critical=True)
    cert = builder.sign(key, hashes.SHA256())
    cert_path, key_path = tmp / "cert.pem", tmp / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[str]:
    """An OpenAI-compatible ``GET /v1/models`` over TLS on loopback; its base URL."""
    cert, key = _certificate(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    port: list[int] = []

    async def models(_: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [
            {"id": "gpt-4o-mini", "object": "model", "created": 0, "owned_by": "test"}]})

    async def start() -> web.AppRunner:
        app = web.Application()
        app.router.add_get("/v1/models", models)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
        await site.start()
        port.append(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]
        return runner

    runner: list[web.AppRunner] = []

    def serve() -> None:
        asyncio.set_event_loop(loop)
        runner.append(loop.run_until_complete(start()))
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert ready.wait(30)
    shared.forget(TLS_KEY)
    tls_context().load_verify_locations(cafile=str(cert))  # only the shared one trusts it
    try:
        yield f"https://127.0.0.1:{port[0]}/v1"
    finally:
        shared.forget(TLS_KEY)
        asyncio.run_coroutine_threadsafe(runner[0].cleanup(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(30)
        loop.close()


def _interview_models(base_url: str) -> list[Any]:
    """What one job builds (the chain's primary and fallback, the voice TTS), asks the
    server through each model's client, then closes them; the clients' states."""

    async def job() -> list[Any]:
        chain = build_llm(VoiceConfig(llm=LlmConfig(
            LlmModel(model="gpt-4o-mini", base_url=base_url),
            (LlmModel(model="gpt-4o", base_url=base_url),))))
        tts = build_tts(TtsConfig(voice="verse"))
        assert isinstance(tts, openai.TTS)
        primary, fallback = (g.inner for g in chain.guarded[:2]
                             if isinstance(g, GuardedLLM))
        assert isinstance(primary, openai.LLM) and isinstance(fallback, openai.LLM)
        assert primary._client is not fallback._client  # its own client and connections
        answers = [[m.id for m in (await model._client.models.list()).data]
                   for model in (primary, fallback)]
        await chain.aclose()
        await tts.aclose()
        return [answers, primary._client.is_closed(), fallback._client.is_closed(),
                tts._client.is_closed()]

    return asyncio.run(job())


def test_models_verify_with_the_process_context_and_close_their_clients(
        tls_server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-fake")
    results: list[Any] = []
    threads = [threading.Thread(target=lambda: results.append(_interview_models(tls_server)))
               for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert results == [[[["gpt-4o-mini"], ["gpt-4o-mini"]], True, True, True]] * 2
    assert shared.load_count(TLS_KEY) == 1


def test_a_model_built_without_the_shared_context_does_not_trust_the_server(
        tls_server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The check above can fail: the plugin's own client (its own context) refuses."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-fake")

    async def own() -> None:
        model = openai.LLM(model="gpt-4o-mini", base_url=tls_server)
        try:
            with pytest.raises(Exception, match="(?i)connection|certificate"):
                await model._client.models.list()
        finally:
            await model.aclose()

    asyncio.run(own())
