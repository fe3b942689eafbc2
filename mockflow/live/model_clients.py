"""OpenAI clients for the LiveKit openai plugin's models, one TLS context per process.

An openai plugin object (``LLM``, ``TTS``) built without a client makes its own
``openai.AsyncClient`` around its own HTTP client, whose TLS context loads the CA bundle
into OpenSSL: about 0.8 MiB of native memory per model object. A job builds them per
interview (the model chain: the primary and each fallback; a voice session also its
TTS), so with ``--executor thread`` a worker paid that for every model of every
interview it ran at once. Here every client in the process verifies with one context
(``mockflow.live.shared``; an ``ssl.SSLContext`` may be shared between threads and event
loops once set up), while each plugin object still gets its own client and connections
(an HTTP client belongs to the event loop that uses it), with the settings the plugin
gives its own, and closes it when the object is closed, as its own. (The plugin's
``STT`` never closes a client, its own or a given one: it keeps making its own.)
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from typing import Any, TypeVar

import openai

from mockflow.live.shared import shared

T = TypeVar("T")
TLS_KEY = ("tls", "default")


def _httpx() -> Any:
    """The HTTP library the plugin builds its clients with (the one openai uses)."""
    from livekit.plugins.openai import llm as plugin

    return vars(plugin)["httpx"]


def tls_context() -> ssl.SSLContext:
    """The process's one default verifying TLS context (the HTTP library's own default:
    its CA bundle, ``SSL_CERT_FILE`` and the like)."""
    context: ssl.SSLContext = shared(TLS_KEY, lambda: _httpx().create_ssl_context())
    return context


def openai_client(*, base_url: str | None = None,
                  api_key: str | None = None) -> openai.AsyncClient:
    """A client as the openai plugin makes its own (no retries: the model chain falls
    back instead; the plugin's timeouts and connection limits), verifying TLS with the
    process's shared context. ``api_key`` None: ``OPENAI_API_KEY``."""
    httpx = _httpx()
    return openai.AsyncClient(
        api_key=api_key, base_url=base_url, max_retries=0,
        http_client=httpx.AsyncClient(
            verify=tls_context(),
            timeout=httpx.Timeout(connect=15.0, read=5.0, write=5.0, pool=5.0),
            follow_redirects=True,
            limits=httpx.Limits(max_connections=50, max_keepalive_connections=50,
                                keepalive_expiry=120)))


def with_shared_tls(build: Callable[..., T], **kwargs: Any) -> T:
    """``build(**kwargs)`` (an openai plugin class) with a client from ``openai_client``,
    which the object then owns and closes on ``aclose`` (as the plugin's own Azure
    constructors hand over theirs). A plugin version without that ownership flag gets
    no client from here: it makes its own, as before."""
    base_url = kwargs.get("base_url")
    api_key = kwargs.get("api_key")
    made = build(**kwargs, client=openai_client(base_url=base_url, api_key=api_key))
    if getattr(made, "_owns_client", None) is not False:
        return build(**kwargs)  # unknown ownership: never leave a client unclosed
    made._owns_client = True  # type: ignore[attr-defined]  # the object closes it
    return made
