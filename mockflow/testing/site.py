"""The candidate site (``mockflow serve``'s app) on its own thread, on an ephemeral port,
for browser tests and the page screenshots::

    with site_in_thread(site) as base_url:
        page.goto(f"{base_url}/i/{code}")

Also the fake LiveKit Room the page's tests and screenshots load after the real
livekit-client (``livekit_room_fake.js``, see there), and a wav for Chromium's fake
microphone.
"""

from __future__ import annotations

import asyncio
import math
import struct
import threading
import wave
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mockflow.web.assets import STATIC_DIR
from mockflow.web.server import CandidateSite, run_site

ROOM_FAKE = Path(__file__).resolve().parent / "livekit_room_fake.js"


def speech_like_wav(path: Path, seconds: float = 2.0, rate: int = 48_000) -> Path:
    """A 16-bit mono wav for Chromium's fake microphone (it loops it): a voiced,
    syllable-like tone (180 Hz and three harmonics, four bursts a second), loud enough
    to read as speech on the page's level meter."""
    frames = bytearray()
    for i in range(int(seconds * rate)):
        t = i / rate
        envelope = 0.5 + 0.5 * math.sin(2 * math.pi * 4 * t)
        voice = sum(math.sin(2 * math.pi * 180 * k * t) / k for k in (1, 2, 3, 4))
        frames += struct.pack("<h", int(9000 * envelope * voice / 2.1))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(bytes(frames))
    return path


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
