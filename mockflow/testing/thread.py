"""The fake OpenAI server on its own thread, for synchronous callers (the judge's sync
client, command-line tests)::

    with serve_in_thread(competent_judge) as server:
        judge = LlmJudge("fake", role, base_url=server.base_url)
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from mockflow.testing.openai_server import FakeOpenAIServer, Policy


@contextmanager
def serve_in_thread(policy: Policy | None = None, *, start_timeout: float = 10.0,
                    **options: Any) -> Iterator[FakeOpenAIServer]:
    """A started ``FakeOpenAIServer`` served from a daemon thread until the block exits."""
    loop = asyncio.new_event_loop()
    server = FakeOpenAIServer(policy, **options)
    ready = threading.Event()
    failed: list[BaseException] = []

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(server.start())
        except BaseException as exc:  # reported to the caller below
            failed.append(exc)
            ready.set()
            return
        ready.set()
        loop.run_forever()
        loop.run_until_complete(server.stop())
        loop.close()

    thread = threading.Thread(target=run, name="fake-openai-server", daemon=True)
    thread.start()
    if not ready.wait(start_timeout):
        raise TimeoutError("the fake OpenAI server did not start")
    if failed:
        thread.join()
        raise failed[0]
    try:
        yield server
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
