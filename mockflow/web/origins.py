"""Addresses the page deals with: the LiveKit server's origins, loopback, the public URL.

The browser talks to two places only: the page's own origin (this server) and the
LiveKit server, over ``wss://`` for signalling and ``https://`` for the client's checks
(``/rtc/v1/validate``, and ``/settings/regions`` on LiveKit Cloud). On LiveKit Cloud
(``*.livekit.cloud``, ``*.livekit.run``) the client may then move to a region host it
reads from ``/settings/regions``, a host under the same domain, so a Cloud URL allows
that domain's subdomains (livekit-client 2.23.0, ``RegionUrlProvider``).
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from mockflow.format.errors import MockflowError

CLOUD_DOMAINS = ("livekit.cloud", "livekit.run")


class AddressError(MockflowError):
    """A LiveKit URL, base URL or origin that can't be used."""


def host_is_loopback(host: str) -> bool:
    """localhost, *.localhost, 127.0.0.0/8, ::1 and the unspecified address."""
    host = host.strip("[]").lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def livekit_origins(url: str) -> tuple[str, ...]:
    """The origins the page must reach for a LiveKit server URL (ws:// or wss://)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("ws", "wss", "http", "https") or not parts.hostname:
        raise AddressError(f"LIVEKIT_URL '{url}' is not a LiveKit server address; write it"
                           " like wss://your-project.livekit.cloud (ws:// only for a local"
                           " server)")
    secure = parts.scheme in ("wss", "https")
    netloc = parts.netloc.rsplit("@", 1)[-1].lower()
    origins = [f"{'wss' if secure else 'ws'}://{netloc}",
               f"{'https' if secure else 'http'}://{netloc}"]
    host = parts.hostname.lower()
    for domain in CLOUD_DOMAINS:
        if host.endswith("." + domain):
            origins += [f"wss://*.{domain}", f"https://*.{domain}"]
    return tuple(origins)


def check_origin(text: str) -> str:
    """An extra origin for the page's connect-src (``--connect-src``)."""
    parts = urlsplit(text.strip())
    if (parts.scheme not in ("https", "wss", "http", "ws") or not parts.netloc
            or parts.path not in ("", "/") or parts.query or parts.fragment
            or any(c in parts.netloc for c in " ;,'\"")):
        raise AddressError(f"--connect-src '{text}' is not an origin; write it like"
                           " wss://eu.example.com or https://*.example.com (scheme and"
                           " host only)")
    return f"{parts.scheme}://{parts.netloc.lower()}"


def livekit_url_loopback(url: str) -> bool:
    host = urlsplit(url.strip()).hostname
    return host is not None and host_is_loopback(host)


def check_base_url(url: str, *, allow_local: bool) -> str:
    """The public address of ``mockflow serve`` (links are ``<base>/i/<code>``)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query \
            or parts.fragment:
        raise AddressError(f"--base-url '{url}' is not a web address; write it like"
                           " https://jobs.example.com (where mockflow serve is reachable)")
    local = host_is_loopback(parts.hostname)
    if parts.scheme == "http" and not local:
        raise AddressError(f"--base-url '{url}' is plain http: browsers only give a page the"
                           " microphone over https (or on localhost). Put mockflow serve"
                           " behind an HTTPS reverse proxy (docs/candidate.md) and pass its"
                           " https:// address")
    if local and not allow_local:
        raise AddressError(f"--base-url '{url}' is a loopback address: the link would only"
                           " open on this machine. Pass the public https:// address, or"
                           " --allow-local to try the page here")
    return url.strip().rstrip("/")


def loopback_livekit_problem(url: str) -> str:
    return (f"LIVEKIT_URL is {url}, a loopback address: the candidate's browser would look"
            " for a LiveKit server on the candidate's own computer and never reach yours."
            " Set LIVEKIT_URL to the server's public wss:// address, or pass --allow-local"
            " to try it on this machine")
