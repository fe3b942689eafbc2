"""Tool URLs and the hosts and addresses they may reach (pure functions, no network).

``validate`` uses these to refuse a URL that is unsafe as written (user info, a
backslash, an IPv4 address in an unusual notation) and the HTTP tool caller uses them to
refuse an address that is not public (loopback, link-local, private, unspecified, ... in
every notation, IPv4-mapped IPv6 included) unless the file allows that address
explicitly in ``allow_hosts``.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

DEFAULT_PORTS = {"http": 80, "https": 443}
_NUMERIC_LABEL = re.compile(r"^(?:0[xX][0-9a-fA-F]*|[0-9]+)$")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


@dataclass(frozen=True, slots=True)
class HostEntry:
    """One ``allow_hosts`` entry: a host name or address, and optionally a port."""

    host: str
    port: int | None = None

    @classmethod
    def parse(cls, text: str) -> HostEntry:
        """'api.example.com', 'api.example.com:8443', '127.0.0.1:8080', '[::1]:8080'."""
        if text.startswith("["):
            host, _, rest = text[1:].partition("]")
            port = rest[1:] if rest.startswith(":") else ""
        elif text.count(":") == 1:
            host, _, port = text.partition(":")
        else:
            host, port = text, ""
        return cls(host.lower(), int(port) if port.isdigit() else None)

    @property
    def address(self) -> IpAddress | None:
        return literal_address(self.host)


def url_problem(url: str) -> str | None:
    """Why a tool URL is unsafe to use as written, or None. A backslash is read as a '/'
    by some parsers and not by others; user info sends credentials to whatever host
    follows the '@'."""
    if "\\" in url:
        return "backslash"
    netloc = url.partition("://")[2].split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    if "@" in netloc:
        return "userinfo"
    return None


def odd_ipv4(host: str) -> bool:
    """Whether a host is an IPv4 address written other than as a plain dotted quad
    (2130706433, 0177.0.0.1, 0x7f.1, 127.1): resolvers accept these, readers don't.
    As in the WHATWG URL standard, a host whose last label is a number is an address."""
    if ":" in host:
        return False  # IPv6: read by ipaddress, no odd forms
    labels = host.rstrip(".").split(".")
    if not labels or not _NUMERIC_LABEL.match(labels[-1]):
        return False
    try:
        return str(ipaddress.IPv4Address(host)) != host
    except ValueError:
        return True


def literal_address(host: str) -> IpAddress | None:
    """The address a host names literally (brackets and an IPv6 zone stripped)."""
    text = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        return ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None


def embedded_ipv4(address: IpAddress) -> IpAddress:
    """The IPv4 address an IPv6 one carries (mapped, NAT64, 6to4, Teredo), else itself."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address in _NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if address.sixtofour is not None:
            return address.sixtofour
        if address.teredo is not None:
            return address.teredo[1]
    return address


def address_kind(address: IpAddress) -> str | None:
    """None for a public address, else what it is: 'loopback', 'private', ..."""
    inner = embedded_ipv4(address)
    for a in dict.fromkeys((inner, address)):
        if a.is_unspecified:
            return "unspecified"
        if a.is_loopback:
            return "loopback"
        if a.is_link_local:
            return "link-local"
        if a.is_multicast:
            return "multicast"
        if a.is_private:
            return "private"
        if a.is_reserved or not a.is_global:
            return "reserved"
    return None


def effective_port(parts: SplitResult) -> int:
    """The URL's port, or its scheme's default. Raises ValueError for a bad port."""
    return parts.port or DEFAULT_PORTS.get(parts.scheme, 443)


def host_allowed(url: str, allow_hosts: Iterable[str]) -> bool:
    """Whether the URL's host is in the allow-list; an entry with a port allows only that
    port, an entry without one the URL's own. Raises ValueError for a URL that can't be
    parsed."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    port = effective_port(parts)
    for entry in map(HostEntry.parse, allow_hosts):
        if entry.host == host and entry.port in (None, port):
            return True
    return False


def address_allowed(address: IpAddress, allow_hosts: Iterable[str], port: int) -> bool:
    """Whether a non-public address is allowed explicitly: written as an address in
    ``allow_hosts`` (in any notation ``ipaddress`` reads, for this port), or loopback with
    'localhost' listed."""
    inner = embedded_ipv4(address)
    for entry in map(HostEntry.parse, allow_hosts):
        if entry.port not in (None, port):
            continue
        listed = entry.address
        if listed is not None and embedded_ipv4(listed) in (address, inner):
            return True
        if entry.host == "localhost" and inner.is_loopback:
            return True
    return False


def _dotted_quad(host: str) -> str | None:
    import socket  # only for hosts that look like numbers: `validate` rarely needs it

    try:
        return socket.inet_ntoa(socket.inet_aton(host))
    except OSError:
        return None


def tool_url_problems(name: str, url: str, allow_hosts: tuple[str, ...],
                      explicit: tuple[str, ...]) -> list[tuple[str, str]]:
    """(code, message) for each way a tool URL is unsafe as written. Raises ValueError
    for a URL that can't be parsed."""
    unsafe = url_problem(url)
    if unsafe == "backslash":
        return [("MF126", f"tool '{name}' URL contains a backslash; URL parsers disagree on"
                 " where its host ends, so write '/' instead")]
    if unsafe == "userinfo":
        return [("MF125", f"tool '{name}' URL carries user info (credentials before '@'),"
                 " which would be sent to whatever host follows the '@'; remove it")]
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = effective_port(parts)
    if odd_ipv4(host):
        quad = _dotted_quad(host)
        fix = f" as {quad}" if quad else " as a dotted quad such as 203.0.113.7"
        return [("MF115", f"tool '{name}' URL host '{host}' is an IPv4 address in an unusual"
                 f" notation; write it{fix}")]
    if not host_allowed(url, allow_hosts):
        return [("MF115", f"tool '{name}' URL host '{parts.netloc}' is not in allow_hosts"
                 f" ({', '.join(allow_hosts)}); add it or fix the URL")]
    address = literal_address(host)
    kind = address_kind(address) if address is not None else None
    if address is not None and kind is not None and not address_allowed(
            address, explicit, port):
        return [("MF115", f"tool '{name}' URL host '{host}' is a {kind} address; such"
                 f" addresses are refused unless allow_hosts lists them: add"
                 f" allow_hosts: ['{parts.netloc}'] if this is intended")]
    if parts.scheme == "http" and host not in {"localhost", "127.0.0.1", "::1"}:
        return [("MF115", f"tool '{name}' uses plain http to '{host}'; use https (http is"
                 " only allowed for localhost)")]
    return []
