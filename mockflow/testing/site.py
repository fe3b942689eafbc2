"""The candidate site (``mockflow serve``'s app) on its own thread, on an ephemeral port,
for browser tests and the page screenshots::

    with site_in_thread(site) as base_url:
        page.goto(f"{base_url}/i/{code}")

Also the fake LiveKit Room the page's tests and screenshots load after the real
livekit-client (``livekit_room_fake.js``, see there).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mockflow.web.assets import STATIC_DIR
from mockflow.web.server import CandidateSite, run_site

ROOM_FAKE = Path(__file__).resolve().parent / "livekit_room_fake.js"


def livekit_with_fake_room() -> bytes:
    """The pinned livekit-client bundle with its Room replaced by the fake."""
    real = (STATIC_DIR / "vendor" / "livekit-client.umd.js").read_bytes()
    return real + b"\n" + ROOM_FAKE.read_bytes()


@contextmanager
def site_in_thread(site: CandidateSite, host: str = "127.0.0.1",
                   start_timeout: float = 30.0) -> Iterator[str]:
    """Serve ``site`` until the block exits; yields ``http://host:port``."""
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    bound: list[int] = []
    failed: list[BaseException] = []
    ready = threading.Event()

    def listening(_host: str, port: int) -> None:
        bound.append(port)
        ready.set()

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(run_site(site, host, 0, ready=listening, stop=stop))
        except BaseException as exc:  # reported to the caller
            failed.append(exc)
            ready.set()
        finally:
            loop.close()

    thread = threading.Thread(target=run, name="candidate-site", daemon=True)
    thread.start()
    if not ready.wait(start_timeout):
        raise TimeoutError("the candidate site did not start")
    if failed:
        raise failed[0]
    try:
        yield f"http://{host}:{bound[0]}"
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=10)
