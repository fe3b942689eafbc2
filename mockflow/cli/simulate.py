"""The ``simulate`` and ``test`` commands: simulated candidates and expectations, with
progress bars and summary tables. Registered on the app in ``mockflow/cli/__init__.py``; like the
rest of the CLI, this is the only code here that prints and picks exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from mockflow.cli.common import (
    ExitCode,
    Format,
    err,
    load_or_exit,
    out,
    plural,
    problem_lines,
)
from mockflow.format.compile import CompiledInterview
from mockflow.format.errors import InputError, MockflowError
from mockflow.format.validate import check_file


def _local_results_or_exit(spec: str | None) -> None:
    """Simulations are written to a local directory; an s3:// spec is refused, never read
    as a directory name (or silently replaced by ./results)."""
    if spec and spec.startswith("s3:"):
        err(f"mockflow: error: simulations are written to a local directory, not to the"
            f" store {spec}; give --results DIR (and MOCKFLOW_RESULTS, if set, a directory)")
        raise typer.Exit(ExitCode.USAGE)


def _persona_or_exit(value: str) -> Any:
    from mockflow.simulate.persona_files import PersonaFileError, resolve_persona
    from mockflow.simulate.personas import PersonaError

    try:
        return resolve_persona(value)
    except PersonaFileError as exc:
        for line in exc.lines():
            err(line)
        err(f"{exc.path}: fix the {plural(len(exc.problems), 'problem')} above first")
        raise typer.Exit(ExitCode.PROBLEMS) from None
    except PersonaError as exc:
        err(f"mockflow: error: {exc}")
        raise typer.Exit(ExitCode.USAGE) from None


def _parse_seeds(text: str) -> list[int]:
    """``1-10``, ``3`` or ``1,4,7``."""
    seeds: list[int] = []
    try:
        for part in text.split(","):
            lo, sep, hi = part.strip().partition("-")
            if sep:
                seeds += range(int(lo), int(hi) + 1)
            else:
                seeds.append(int(lo))
    except ValueError:
        seeds = []
    if not seeds or len(seeds) > 1000 or any(s < 0 for s in seeds):
        err(f"mockflow: error: --seeds '{text}' must look like 1-10, 3 or 1,4,7"
             " (non-negative, at most 1000 seeds)")
        raise typer.Exit(ExitCode.USAGE)
    return list(dict.fromkeys(seeds))


class _Bar:
    """A rich progress bar on stderr when it is a terminal (silent otherwise)."""

    def __init__(self, total: int, label: str) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        console = Console(stderr=True)
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(),
                                 MofNCompleteColumn(), TimeElapsedColumn(), console=console,
                                 disable=not console.is_terminal, transient=True)
        self.task = self.progress.add_task(label, total=total)

    def advance(self, _: object = None) -> None:
        self.progress.advance(self.task)

    def __enter__(self) -> _Bar:
        self.progress.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.progress.stop()


def _question_lines(card: dict[str, Any]) -> list[str]:
    lines = []
    for q in card.get("questions", []):
        score = "not observed" if q.get("score") is None else f"{q['score']:g}"
        if q.get("not_answered"):
            score += " (not answered)"
        extra = []
        if q.get("follow_ups"):
            extra.append(plural(q["follow_ups"], "follow-up"))
        if q.get("hints_used"):
            extra.append(plural(len(q["hints_used"]), "hint")
                         + (f" (-{q['hint_penalty']:g})" if q.get("hint_penalty") else ""))
        if q.get("repeats"):
            extra.append(plural(q["repeats"], "repeat"))
        if (q.get("timing") or {}).get("nudged_at") is not None:
            extra.append("nudged")
        lines.append(f"  #{q['number']} {q['id']} ({q['competency']}, {q['level']}): {score}"
                     f" {q.get('outcome')}" + (f"; {', '.join(extra)}" if extra else ""))
    return lines


def _voice_lines(directory: Path) -> list[str]:
    """What a spoken run's persona said and the STT heard, turn by turn."""
    data = json.loads((directory / "session.json").read_text("utf-8")).get("voice") or {}
    lines = [f"voice: {data.get('turns_heard', 0)} turn(s) heard, cut-ins"
             f" {data.get('cut_ins', 0)}, word error rate {data.get('wer')}"]
    for turn in data.get("turns", []):
        lines.append(f"  said:  {turn.get('said', '')}")
        lines.append(f"  heard: {turn.get('heard', '')} (WER {turn.get('wer')})")
    return lines


def simulate_command(
    path: Annotated[str, typer.Argument(help="Interview file.")],
    persona: Annotated[str, typer.Option(help="strong, average, weak, or a persona file"
                                              " (see docs/simulate.md).")],
    seed: Annotated[int, typer.Option(min=0, help="Seed of the first run: question order"
                                                  " and the persona's variation.")] = 1,
    runs: Annotated[int, typer.Option(min=1, max=1000, help="Runs, with seeds seed,"
                                                            " seed+1, ...; shows a summary"
                                                            " table.")] = 1,
    results: Annotated[
        str | None, typer.Option(help="Results directory (env MOCKFLOW_RESULTS, default"
                                      " ./results).")
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.text,
    llm_persona: Annotated[bool, typer.Option("--llm-persona", help="Let an OpenAI model"
                                              " word the persona's answers (needs"
                                              " OPENAI_API_KEY).")] = False,
    persona_model: Annotated[str, typer.Option(help="With --llm-persona: the model.")]
    = "gpt-4o-mini",
    voice: Annotated[bool, typer.Option(
        "--voice", help="The persona speaks (the local Piper voice, with thinking pauses,"
                        " fillers and mid-answer pauses) into the file's voice pipeline,"
                        " in real time; session.json keeps what it said beside what the STT"
                        " heard. Needs the local-voice extra.")] = False,
    think_seconds: Annotated[float, typer.Option(
        min=0, max=30, help="With --voice: the longest thinking pause before an answer.")]
    = 2.0,
    pause_seconds: Annotated[float, typer.Option(
        min=0, max=30, help="With --voice: a pause this long in the middle of longer"
                            " answers (0: none).")] = 2.0,
    reply_delay: Annotated[float, typer.Option(
        min=0, max=60, help="With --voice: seconds between the interviewer finishing and"
                            " the persona starting.")] = 1.0,
) -> None:
    """A simulated candidate answers through the same session path as a real one."""
    import os

    from mockflow.results.files import SIMULATIONS_DIR, results_root

    _local_results_or_exit(results or os.environ.get("MOCKFLOW_RESULTS"))
    compiled = load_or_exit(path)
    spec = _persona_or_exit(persona)
    if voice:
        if llm_persona:
            err("mockflow: error: --voice speaks the offline persona's words; leave"
                " --llm-persona out")
            raise typer.Exit(ExitCode.USAGE)
        from mockflow.cli.voice import check_persona_voice, check_voice_setup

        check_voice_setup(compiled, os.environ, offline=True)
        check_persona_voice()
    if llm_persona and not os.environ.get("OPENAI_API_KEY"):
        err("mockflow: error: --llm-persona needs OPENAI_API_KEY (the persona is played by"
             f" {persona_model}); without it, leave --llm-persona out for the offline persona")
        raise typer.Exit(ExitCode.USAGE)
    root = results_root(results, os.environ) / SIMULATIONS_DIR  # never among real sessions
    seeds = list(range(seed, seed + runs))
    import asyncio

    from mockflow.simulate.expect import summarise
    from mockflow.simulate.runner import (  # imports livekit (seconds)
        RunResult,
        simulate_runs,
    )

    done: list[RunResult] = []
    progress = _Bar(len(seeds), f"{spec.name} × {len(seeds)} seeds")

    def finished(result: RunResult) -> None:
        done.append(result)
        progress.advance()

    async def main() -> None:
        if voice:
            from mockflow.simulate.runner import VoicePacing, simulate_voice

            pacing = VoicePacing(think_seconds=think_seconds, pause_seconds=pause_seconds,
                                 reply_delay=reply_delay)
            for run_seed in seeds:
                outcome = await simulate_voice(compiled, spec, seed=run_seed,
                                               results_root=root, pacing=pacing)
                finished(RunResult(spec.name, run_seed, outcome.scorecard,
                                   outcome.recorder.directory, outcome.requests))
            return
        writer: Any = None
        if llm_persona:
            from mockflow.live.plugins import build_persona_llm

            writer = build_persona_llm(persona_model)
        try:
            await simulate_runs(compiled, [spec], seeds, results_root=root,
                                persona_model=writer,
                                on_done=finished)
        finally:
            if writer is not None:
                await writer.aclose()

    try:
        with progress:
            asyncio.run(main())
    except MockflowError as exc:
        from mockflow.cli.errors import exit_code

        err(f"mockflow: error: {exc}")
        code = exit_code(exc)
        raise typer.Exit(ExitCode.USAGE if code == ExitCode.PROBLEMS else code) from None
    except Exception as exc:
        if not llm_persona:
            raise
        err(f"mockflow: error: the persona model ({persona_model}) failed: {exc}")
        raise typer.Exit(ExitCode.USAGE) from None
    iv = compiled.interview
    summary = summarise(iv, [r.scorecard for r in done])
    if fmt is Format.json:
        out(json.dumps({
            "interview": compiled.ref, "persona": spec.name, "grade": spec.grade,
            "behaviours": spec.behaviours,
            "runs": [{"seed": r.seed, "overall": r.scorecard["overall"]["score"],
                      "end_reason": r.scorecard["end_reason"], "results": str(r.directory),
                      "scorecard": r.scorecard if len(done) == 1 else None}
                     for r in done],
            "summary": {key: {"name": name, **s.to_dict()}
                        for key, (name, s) in summary.items()},
        }, indent=2, ensure_ascii=False))
        return
    who = spec.name if spec.name == spec.grade else f"{spec.name} ({spec.grade})"
    out(f"{iv.title}: persona {who}"
         + (f", {', '.join(f'{k} {v}' for k, v in spec.behaviours.items())}"
            if spec.behaviours else ""))
    if len(done) == 1:
        card = done[0].scorecard
        out(f"seed {done[0].seed}; end: {card['end_reason']}")
        if voice:
            for line in _voice_lines(done[0].directory):
                out(line)
        out()
        for line in _question_lines(card):
            out(line)
        out()
        overall = card["overall"]["score"]
        out(f"overall: {'not observed' if overall is None else overall}")
        for comp in card["competencies"]:
            shown = "not observed" if comp["score"] is None else comp["score"]
            out(f"  {comp['name']}: {shown}")
        out(f"results: {done[0].directory}")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{len(done)} runs, seeds {seeds[0]}-{seeds[-1]}", title_justify="left")
    for column in ("competency", "mean", "sd", "min", "max", "observed"):
        table.add_column(column, justify="left" if column == "competency" else "right")

    def num(value: float | None) -> str:
        return "—" if value is None else f"{value:.2f}"

    for key, (name, s) in summary.items():
        table.add_row(name, num(s.mean), num(s.sd), num(s.min), num(s.max),
                      f"{s.observed}/{s.runs}", style="bold" if key == "overall" else None)
    Console(width=100).print(table)
    where = sorted({str(r.directory.parent) for r in done})
    out(f"results: {plural(len(done), 'session')} in {', '.join(where)}")


def test_command(
    paths: Annotated[list[str], typer.Argument(help="Interview files with an expect section.")],
    junit: Annotated[str | None, typer.Option(help="Also write a JUnit XML report here"
                                                   " (for CI).")] = None,
    seeds: Annotated[str, typer.Option(help="Seeds to simulate: 1-10, 3 or 1,4,7.")] = "1-10",
    results: Annotated[
        str | None, typer.Option(help="Keep the simulated interviews' results here (default:"
                                      " a temporary directory, removed).")
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.text,
    require_calibrated: Annotated[bool, typer.Option(
        "--require-calibrated", help="Exit 1 when a question's scoring is not calibrated"
                                     " (for CI).")] = False,
) -> None:
    """Check expectations over seeds 1-10, and whether each question's scoring is calibrated."""
    _local_results_or_exit(results)
    import asyncio
    import tempfile
    import time

    from mockflow.simulate.expect import (
        FileReport,
        evaluate,
        junit_xml,
        personas_needed,
        report_lines,
    )
    from mockflow.simulate.readiness import question_readiness

    seed_list = _parse_seeds(seeds)
    reports: list[FileReport] = []
    usage_error = False
    jobs: list[tuple[FileReport, CompiledInterview]] = []
    for path in paths:
        report = FileReport(path, seeds=tuple(seed_list))
        reports.append(report)
        try:
            checked = check_file(path)
        except InputError as exc:
            report.error = str(exc)
            usage_error = True
            continue
        if checked.compiled is None:
            for line in problem_lines(checked):
                err(line)
            report.error = (f"not tested: fix the {plural(len(checked.errors), 'error')} that"
                            f" mockflow validate reports first")
            continue
        compiled = checked.compiled
        report.interview = compiled.ref
        report.questions = question_readiness(compiled.interview, seed_list)
        report.personas = personas_needed(compiled.interview.expect)
        if not report.personas:
            report.error = ("no expectations to test: add an expect section (see"
                            " docs/simulate.md)")
            continue
        jobs.append((report, compiled))
    if jobs:
        from mockflow.simulate.runner import simulate_runs  # imports livekit (seconds)

        total = sum(len(r.personas) * len(seed_list) for r, _ in jobs)
        progress = _Bar(total, "simulating")

        async def main(root: Path) -> None:
            for report, compiled in jobs:
                started = time.perf_counter()
                runs = await simulate_runs(compiled, list(report.personas), seed_list,
                                           results_root=root,
                                           on_done=progress.advance)
                cards = {(r.persona, r.seed): r.scorecard for r in runs}
                report.checks = evaluate(compiled.interview, cards, seed_list)
                report.seconds = time.perf_counter() - started

        try:
            with progress:
                if results is not None:
                    from mockflow.results.files import SIMULATIONS_DIR

                    asyncio.run(main(Path(results) / SIMULATIONS_DIR))
                else:
                    with tempfile.TemporaryDirectory(prefix="mockflow-test-") as tmp:
                        asyncio.run(main(Path(tmp)))
        except MockflowError as exc:
            err(f"mockflow: error: {exc}")
            raise typer.Exit(ExitCode.USAGE) from None
    if junit is not None:
        try:
            Path(junit).write_text(junit_xml(reports), encoding="utf-8")
        except OSError as exc:
            err(f"mockflow: error: cannot write {junit}: {exc.strerror or exc}")
            raise typer.Exit(ExitCode.USAGE) from None
    if fmt is Format.json:
        out(json.dumps({"passed": all(r.passed for r in reports),
                         "files": [r.to_dict() for r in reports]}, indent=2,
                        ensure_ascii=False))
    else:
        for report in reports:
            for line in report_lines(report):
                out(line)
        failed = sum(not r.passed for r in reports)
        misses = sum(len(r.misses) for r in reports)
        out(f"{plural(len(reports), 'file')} tested: {len(reports) - failed} passed,"
             f" {failed} failed ({misses} {'miss' if misses == 1 else 'misses'})")
    if usage_error:
        raise typer.Exit(ExitCode.USAGE)
    if any(not r.passed for r in reports):
        raise typer.Exit(ExitCode.PROBLEMS)
    uncalibrated = [q.id for r in reports for q in r.questions if not q.calibrated]
    if require_calibrated and uncalibrated:
        err(f"mockflow: --require-calibrated: {plural(len(uncalibrated), 'question')} not"
            " calibrated")
        raise typer.Exit(ExitCode.PROBLEMS)


