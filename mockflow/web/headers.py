"""Security headers for every response, and the page's Content-Security-Policy.

The policy allows the page's own origin for scripts, styles, images and fonts, and for
network connections its own origin plus the LiveKit server's origins
(``origins.livekit_origins``) and any ``--connect-src``: nothing else loads, nothing
inline runs, the page can't be framed and forms go nowhere.
"""

from __future__ import annotations

from collections.abc import Sequence


def content_security_policy(connect: Sequence[str]) -> str:
    sources = " ".join(["'self'", *connect])
    return "; ".join([
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "font-src 'self'",
        "media-src 'self'",
        f"connect-src {sources}",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ])


def security_headers(csp: str) -> dict[str, str]:
    return {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",  # the code is in the page's URL
        "X-Frame-Options": "DENY",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Cross-Origin-Resource-Policy": "same-origin",
        "Permissions-Policy": "microphone=(self), camera=(), geolocation=(), payment=(),"
                              " usb=(), display-capture=()",
    }
