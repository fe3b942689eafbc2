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
from urllib.parse import SplitResult, urlsplit

from mockflow.format.frozen import frozen

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

DEFAULT_PORTS = {"http": 80, "https": 443}
_NUMERIC_LABEL = re.compile(r"^(?:0[xX][0-9a-fA-F]*|[0-9]+)$")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


@frozen
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


# Names that never resolve to a public address: "localhost" and its subdomains (RFC 6761)
_LOOPBACK_NAMES = ("localhost",)
# Names that, in practice, resolve to private addresses: mDNS (.local), RFC 8375
# (.home.arpa), the ICANN-reserved .internal, and common intranet suffixes.
_PRIVATE_SUFFIXES = ("local", "internal", "home.arpa", "lan", "corp", "intranet", "private",
                     "localdomain")


def name_kind(host: str) -> str | None:
    """For a host *name* (not an address): 'loopback' for localhost names, 'private' for
    names that usually resolve to a private address (a single label, .local,
    .internal, ...), else None. No lookup is made."""
    name = host.lower().rstrip(".")
    if literal_address(name) is not None or not name:
        return None
    if any(name == n or name.endswith("." + n) for n in _LOOPBACK_NAMES):
        return "loopback"
    if "." not in name or any(name.endswith("." + n) for n in _PRIVATE_SUFFIXES):
        return "private"
    return None


def is_loopback_host(host: str) -> bool:
    """A loopback address (any notation ``ipaddress`` reads) or a localhost name."""
    address = literal_address(host)
    if address is not None:
        return embedded_ipv4(address).is_loopback or address.is_loopback
    return name_kind(host) == "loopback"


@frozen
class UrlProblem:
    """One way a URL is unsafe as written. ``kind``: backslash, userinfo, notation,
    not_listed, address, loopback_name, private_name (a warning: only DNS can tell) or
    http."""

    kind: str
    message: str


def url_problems(what: str, url: str, *, explicit: tuple[str, ...],
                 allow_hosts: tuple[str, ...] | None = None,
                 allow_http: bool = False, listing: str = "allow_hosts"
                 ) -> list[UrlProblem]:
    """Every rule a URL that mockflow will connect to must pass before anything is sent
    (``what`` names it in messages: "tool 'x'", "results.webhook"). ``allow_hosts``: the
    host allow-list the URL's host must be in (tools); ``explicit``: the entries that may
    allow a loopback, private or link-local address; ``allow_http``: plain http to a host
    that is not loopback. Raises ValueError for a URL that can't be parsed."""
    unsafe = url_problem(url)
    if unsafe == "backslash":
        return [UrlProblem("backslash", f"{what} URL contains a backslash; URL parsers"
                           " disagree on where its host ends, so write '/' instead")]
    if unsafe == "userinfo":
        return [UrlProblem("userinfo", f"{what} URL carries user info (credentials before"
                           " '@'), which would be sent to whatever host follows the '@';"
                           " remove it")]
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = effective_port(parts)
    if odd_ipv4(host):
        quad = _dotted_quad(host)
        fix = f" as {quad}" if quad else " as a dotted quad such as 203.0.113.7"
        return [UrlProblem("notation", f"{what} URL host '{host}' is an IPv4 address in an"
                           f" unusual notation; write it{fix}")]
    if allow_hosts is not None and not host_allowed(url, allow_hosts):
        return [UrlProblem("not_listed", f"{what} URL host '{parts.netloc}' is not in"
                           f" {listing} ({', '.join(allow_hosts)}); add it or fix the URL")]
    address = literal_address(host)
    kind = address_kind(address) if address is not None else None
    if address is not None and kind is not None and not address_allowed(
            address, explicit, port):
        return [UrlProblem("address", f"{what} URL host '{host}' is a {kind} address; such"
                           f" addresses are refused unless {listing} lists them: add"
                           f" {listing}: ['{parts.netloc}'] if this is intended")]
    named = name_kind(host)
    loopback_listed = any(address_allowed(ipaddress.ip_address(a), explicit, port)
                          for a in ("127.0.0.1", "::1"))  # as when it is connected to
    if named == "loopback" and not loopback_listed:
        return [UrlProblem("loopback_name", f"{what} URL host '{host}' is a loopback name;"
                           f" it is refused when mockflow connects unless {listing} lists"
                           f" it: add {listing}: ['{parts.netloc}'] if this is intended")]
    problems: list[UrlProblem] = []
    if named == "private":
        example = "'10.0.0.5'" if allow_hosts is None else f"'{parts.netloc}', '10.0.0.5'"
        problems.append(UrlProblem(
            "private_name", f"{what} URL host '{host}' is a name that usually resolves to a"
            " private address; such addresses are refused when mockflow connects unless"
            f" {listing} lists the address it resolves to (e.g. {listing}: [{example}]);"
            " use a public name or list the address"))
    if parts.scheme == "http" and not allow_http and not is_loopback_host(host):
        problems.append(UrlProblem("http", f"{what} uses plain http to '{host}'; use https"
                                   " (http is only allowed for a loopback host)"))
    return problems


# The tool codes: MF125 user info, MF126 backslash, MF115 every host rule; MF521 warns
# about a name that is probably private.
_TOOL_CODES = {"backslash": "MF126", "userinfo": "MF125", "private_name": "MF521"}


def tool_url_problems(name: str, url: str, allow_hosts: tuple[str, ...],
                      explicit: tuple[str, ...]) -> list[tuple[str, str]]:
    """(code, message) for each way a tool URL is unsafe as written. Raises ValueError
    for a URL that can't be parsed."""
    found = url_problems(f"tool '{name}'", url, explicit=explicit, allow_hosts=allow_hosts)
    return [(_TOOL_CODES.get(p.kind, "MF115"), p.message) for p in found]


_WEBHOOK_CODES = {"http": "MF131", "private_name": "MF521"}


def webhook_url_problems(url: str, explicit: tuple[str, ...], allow_http: bool
                         ) -> list[tuple[str, str]]:
    """(code, message) for each way ``results.webhook.url`` is unsafe as written (the tool
    URL rules; MF130 for the host, MF131 for plain http). Raises ValueError for a URL
    that can't be parsed."""
    found = url_problems("results.webhook", url, explicit=explicit, allow_http=allow_http,
                         listing="results.webhook.allow_hosts")
    return [(_WEBHOOK_CODES.get(p.kind, "MF130"), p.message) for p in found]
