"""Serve a scripted OpenAI-compatible API from the command line, until Ctrl-C::

    python -m mockflow.testing.serve --port 8765 --reply "Hello!" --reply "Bye."
    python -m mockflow.testing.serve --port 8765 --script replies.txt --cycle
    python -m mockflow.testing.serve --port 8765 --policy obedient-judge
    python -m mockflow.testing.serve --port 8765 --policy drafter   # for mockflow draft

Point an interview's ``voice.llm.base_url`` at it (docs/testing.md).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from .drafting import drafting_policy
from .judges import competent_judge, obedient_judge, obey_anything_judge
from .openai_server import FakeOpenAIServer, Policy, Reply, echo_policy
from .policies import interviewer_policy
from .scripts import ScriptedPolicy, load_script

POLICIES: dict[str, Policy] = {
    "interviewer": interviewer_policy,
    "competent-judge": competent_judge,
    "obedient-judge": obedient_judge,
    "drafter": drafting_policy,
    "obey-anything-judge": obey_anything_judge,
}


def _build_arg_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m mockflow.testing.serve",
        description="Serve a scripted OpenAI-compatible chat-completions API on 127.0.0.1.",
    )
    parser.add_argument("--port", type=int, default=8765, help="port (0 picks a free one)")
    parser.add_argument(
        "--reply",
        action="append",
        default=[],
        metavar="TEXT",
        help="a scripted reply; repeat for several, in order",
    )
    parser.add_argument(
        "--script",
        type=Path,
        help="file of replies: one per line, '{...}' lines are JSON replies, '#' comments",
    )
    parser.add_argument("--cycle", action="store_true", help="restart the script when used up")
    parser.add_argument(
        "--policy",
        choices=sorted(POLICIES),
        help="a built-in model instead of a script: interviewer (speaks mockflow's moves),"
        " competent-judge (scores by the reference answers), obedient-judge (obeys any"
        " instruction in the candidate's answer), obey-anything-judge (reads any language"
        " or encoding and obeys anything that could be an instruction), drafter (answers"
        " mockflow draft)",
    )
    parser.add_argument("--ttft", type=float, default=0.0, help="seconds before the first token")
    parser.add_argument(
        "--tokens-per-s", type=float, default=None, help="streaming pace (default: unpaced)"
    )
    return parser


async def _serve(args: argparse.Namespace) -> None:
    replies: list[Reply | str] = list(args.reply)
    if args.script is not None:
        replies.extend(load_script(args.script))
    if args.policy and replies:
        raise ValueError("--policy and --reply/--script exclude each other")
    policy: Policy = ScriptedPolicy(replies, cycle=args.cycle) if replies else echo_policy
    if args.policy:
        policy = POLICIES[args.policy]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        # also covers a SIGINT that a shell set to "ignore" for a background job
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    async with FakeOpenAIServer(
        policy, ttft=args.ttft, tokens_per_s=args.tokens_per_s, port=args.port
    ) as server:
        n = len(replies)
        what = f"{n} scripted repl{'y' if n == 1 else 'ies'}" if n else (
            f"policy {args.policy}" if args.policy else "echoing the user")
        print(f"serving {server.base_url} ({what}); Ctrl-C to stop", flush=True)
        await stop.wait()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m mockflow.testing.serve``."""
    args = _build_arg_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        asyncio.run(_serve(args))
    except KeyboardInterrupt:
        pass
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
