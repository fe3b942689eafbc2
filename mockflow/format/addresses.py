"""Resolve, then connect to what was checked: the addresses a URL may reach, and an
aiohttp resolver pinned to them.

Used by everything mockflow connects to on a file's say-so (HTTP tools, the results
webhook): the URL's host is resolved once, every address must pass ``hosts``' rules
(public, or allowed explicitly), and the connection goes to those addresses only -- no
second lookup, so DNS can't change the answer in between. aiohttp is imported only when a
connection is made (validation stays light).
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from mockflow.format.errors import MockflowError
from mockflow.format.hosts import (
    address_allowed,
    address_kind,
    effective_port,
    literal_address,
)

if TYPE_CHECKING:
    from aiohttp.abc import AbstractResolver

Resolve = Callable[[str, int], Awaitable[Sequence[str]]]
"""host, port -> addresses (text). The default asks the system resolver."""


class AddressRefused(MockflowError):
    """A URL's host can't be resolved, or resolves to an address that is not allowed; the
    message is safe to show (host and address only)."""


class ResolveFailed(AddressRefused):
    """The host could not be resolved now (may work later)."""


async def system_resolve(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def checked_addresses(what: str, url: str, explicit: Sequence[str],
                            resolve: Resolve = system_resolve
                            ) -> tuple[str, int, tuple[str, ...]]:
    """(host, port, addresses) ``url`` may connect to; raises ``AddressRefused``
    otherwise. ``explicit``: the allow-list entries that may allow a loopback, private or
    link-local address; ``what`` names the caller in messages."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = effective_port(parts)
    literal = literal_address(host)
    if literal is not None:
        found: Sequence[str] = [str(literal)]
    else:
        try:
            found = await resolve(host, port)
        except OSError as exc:
            raise ResolveFailed(f"{what}: cannot resolve {host}"
                                f" ({exc.strerror or exc})") from None
    if not found:
        raise ResolveFailed(f"{what}: {host} has no address")
    addresses: list[str] = []
    for text in found:
        address = literal_address(text)
        if address is None:
            raise AddressRefused(f"{what}: {host} resolved to '{text}', not an address")
        kind = address_kind(address)
        if kind is not None and not address_allowed(address, explicit, port):
            raise AddressRefused(
                f"{what}: {host} is {address}, a {kind} address; such addresses are"
                f" refused unless listed in allow_hosts")
        addresses.append(str(address))
    return host, port, tuple(addresses)


def pinned_resolver(host: str, addresses: tuple[str, ...]) -> AbstractResolver:
    """An aiohttp resolver that answers for ``host`` with the checked ``addresses`` only
    (any other host is an error)."""
    from aiohttp.abc import AbstractResolver, ResolveResult

    class _Pinned(AbstractResolver):
        async def resolve(self, name: str, port: int = 0,
                          family: socket.AddressFamily = socket.AF_INET
                          ) -> list[ResolveResult]:
            if name.lower() != host.lower():
                raise OSError(f"{name} is not the checked host")
            return [ResolveResult(hostname=name, host=a, port=port,
                                  family=socket.AF_INET6 if ":" in a else socket.AF_INET,
                                  proto=0, flags=socket.AI_NUMERICHOST)
                    for a in addresses]

        async def close(self) -> None:
            return None

    return _Pinned()
