"""Who is asking: the client's address, behind trusted reverse proxies.

Behind a proxy every request comes from the proxy's address, so per-address limits
would lump all candidates together. ``--trust-proxy`` names the proxies whose
``X-Forwarded-For`` and ``X-Forwarded-Proto``/``-Host`` are believed; the client is the
right-most ``X-Forwarded-For`` hop that is not a trusted proxy (a client can prepend
anything it likes, but not what the proxies append). IPv6 clients are counted per /64,
the block one subscriber usually holds.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from mockflow.web.origins import AddressError

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(values: Sequence[str]) -> tuple[Network, ...]:
    networks: list[Network] = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise AddressError(f"--trust-proxy '{value}' is not an IP address or network;"
                               " write it like 127.0.0.1 or 10.0.0.0/8") from None
    return tuple(networks)


def _trusted(address: str, trusted: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


@dataclass(frozen=True, slots=True)
class Client:
    address: str  # the client's address as seen through trusted proxies
    scheme: str  # http or https, as the client used it
    host: str | None  # the Host the client asked for

    @property
    def key(self) -> str:
        """The rate-limit key: the address, or its /64 for IPv6."""
        try:
            ip = ipaddress.ip_address(self.address)
        except ValueError:
            return self.address
        if ip.version == 6:
            return str(ipaddress.ip_network(f"{ip}/64", strict=False))
        return str(ip)


def resolve_client(peer: str | None, headers: Mapping[str, str], *, scheme: str,
                   host: str | None, trusted: Sequence[Network]) -> Client:
    """``headers``: the request's headers (aiohttp's CIMultiDictProxy is a Mapping)."""
    get = headers.get
    address = peer or "unknown"
    if not trusted or not _trusted(address, trusted):
        return Client(address, scheme, host)
    hops = [h.strip() for h in str(get("X-Forwarded-For") or "").split(",") if h.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, trusted):
            address = hop
            break
    else:
        address = hops[0] if hops else address
    proto = str(get("X-Forwarded-Proto") or "").split(",")[0].strip().lower()
    forwarded_host = str(get("X-Forwarded-Host") or "").split(",")[0].strip()
    return Client(address, proto if proto in ("http", "https") else scheme,
                  forwarded_host or host)
