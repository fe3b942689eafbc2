"""Turn-taking measured on real (synthesised) speech: cut-ins on paused answers and the
first interviewer audio after an answer's true end, mockflow's defaults against a
LiveKit-default ("seed-style") configuration, in the same run.

Each answer is a shipped interview's strong example answer for its first question (or
``--question``'s; the script says whether it covers every key point of its question),
spoken by the local Piper voice with one pause of 1, 3, 5 or 8 s inserted at the
sentence boundary nearest its middle (``persona_speech.plan_answer``), after "Yes, I'm
ready." The whole interview runs through ``mockflow.testing.speech`` (Silero VAD,
LiveKit's local end-of-turn model, Whisper tiny.en, Piper, the interviewer agent, a fake
model server answering after ``--ttft`` seconds), in real time.

- mockflow: the file's defaults (detector ``model``, ``answering`` 5.5/5.5 s,
  ``conversational`` 0.8/4.0 s, instant acknowledgement, question keyterms);
- seed: detector ``model``, LiveKit's default endpointing (0.5/3.0 s) in every phase, no
  instant acknowledgement, no keyterms.

Printed per configuration and pause: ``cut_ins`` (times the interviewer started speaking
while candidate audio played) and ``first_audio_s`` (end of the candidate's last audio
to the interviewer's next speech); then the totals, the median first audio of each and
their ratio. The one flattering setting: the fake model answers in ``--ttft`` seconds (a
hosted model takes longer, which only the seed pays on its first audio, since mockflow's
first audio is the instant acknowledgement).

    .venv/bin/python scripts/measure_turn_taking.py [--pauses 1 3 5 8] [--interview ...]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mockflow.format.compile import CompiledInterview  # noqa: E402
from mockflow.format.validate import check_bytes  # noqa: E402
from mockflow.live.local_voice import LocalVoiceSettings, load_local_voice  # noqa: E402
from mockflow.live.persona_speech import PersonaVoice, Words, plan_answer  # noqa: E402
from mockflow.testing.speech import SpokenRun, spoken_interview  # noqa: E402

CONFIGS: dict[str, dict[str, Any]] = {
    "mockflow": {"turn": {"detector": "model"}, "stt": {}},
    "seed": {"turn": {"detector": "model", "min_endpointing_delay": 0.5,
                      "max_endpointing_delay": 3.0, "instant_ack": False},
             "stt": {"keyterms": False}},
}


def source(path: Path, config: dict[str, Any]) -> Any:
    def build(base_url: str) -> CompiledInterview:
        data = yaml.safe_load(path.read_text("utf-8"))
        voice = data.setdefault("voice", {})
        voice["stt"] = {"provider": "local", **config["stt"]}
        voice["tts"] = {"provider": "local"}
        voice["llm"] = {"base_url": base_url}
        voice["turn"] = dict(config["turn"])
        if ARGS.question:  # ask this question first (the warm-up stage's place)
            data["stages"][0]["questions"] = [ARGS.question]
            data["stages"][0].pop("pick", None)
            data["stages"][0].pop("competencies", None)
        result = check_bytes(yaml.safe_dump(data).encode(), path.name)
        assert result.compiled is not None, result.problems
        return result.compiled
    return build


def first_answer(path: Path, seed: int) -> tuple[str, bool]:
    """The strong example answer of the question asked first with this seed, and whether
    it covers every key point of its question (a finished answer)."""
    from mockflow.interview.completeness import AnswerCheck
    from mockflow.interview.engine import InterviewEngine
    from mockflow.interview.records import CandidateTurn

    compiled = source(path, CONFIGS["mockflow"])("http://127.0.0.1:1/v1")
    engine = InterviewEngine(compiled, seed=seed)
    engine.start()
    engine.commit(engine.propose(CandidateTurn("Yes, I'm ready.")))
    current = engine.current
    assert current is not None
    question = compiled.interview.questions_by_id[current.question_id]
    answer = question.examples.strong or question.text
    return answer, AnswerCheck.of(question).finished(answer)


async def one(path: Path, name: str, pause: float, voice: PersonaVoice,
              folder: Path) -> SpokenRun:
    answer, _ = first_answer(path, ARGS.seed)
    folder.mkdir(parents=True)
    voice.speak([Words("Yes, I'm ready.")]).write(folder / "1.wav")
    voice.speak(plan_answer(answer, mid_pauses=[pause])).write(folder / "2.wav")

    def answered(r: SpokenRun) -> bool:
        return bool(r.engine.records) and bool(r.engine.records[0].turns) \
            and r.first_audio_after(1) is not None

    return await spoken_interview(source(path, CONFIGS[name]),
                                  [folder / "1.wav", folder / "2.wav"], folder,
                                  done=answered, ttft=ARGS.ttft, seed=ARGS.seed,
                                  timeout=300)


def main() -> None:
    global ARGS
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pauses", type=float, nargs="+", default=[1, 3, 5, 8])
    parser.add_argument("--interview", type=Path, default=ROOT / "interviews" / "backend.yaml")
    parser.add_argument("--ttft", type=float, default=0.3,
                        help="the fake model's time to first token, seconds")
    parser.add_argument("--question", default=None,
                        help="the question to ask first (default: the interview's own"
                             " first), whose strong example answer is spoken")
    ARGS = parser.parse_args()
    ARGS.seed = 1
    models = load_local_voice(LocalVoiceSettings())
    assert models.tts is not None
    voice = PersonaVoice(models.tts)
    answer, finished = first_answer(ARGS.interview, ARGS.seed)
    print(f"load average {os.getloadavg()[0]:.1f}; interview {ARGS.interview.name};"
          f" fake model ttft {ARGS.ttft:g}s; the answer covers every key point: {finished};"
          f" {len(answer.split())} words")
    results: dict[str, list[tuple[float, int, float | None]]] = {n: [] for n in CONFIGS}
    with tempfile.TemporaryDirectory() as tmp:
        for pause in ARGS.pauses:
            for name in CONFIGS:
                run = asyncio.run(one(ARGS.interview, name, pause, voice,
                                      Path(tmp) / f"{name}-{pause:g}"))
                first = run.first_audio_after(1)
                results[name].append((pause, run.mic.cut_ins, first))
                print(f"{name:9s} pause={pause:g}s cut_ins={run.mic.cut_ins}"
                      f" first_audio_s={'-' if first is None else f'{first:.2f}'}"
                      f" heard={run.engine.records[0].turns[0].text[:60]!r}", flush=True)
    for name, rows in results.items():
        firsts = [f for _, _, f in rows if f is not None]
        print(f"{name}: cut_ins={sum(c for _, c, _ in rows)}"
              f" (per pause: {', '.join(f'{p:g}s:{c}' for p, c, _ in rows)})"
              f" first_audio_median_s={statistics.median(firsts):.2f}")
    ours = statistics.median(f for _, _, f in results["mockflow"] if f is not None)
    seed = statistics.median(f for _, _, f in results["seed"] if f is not None)
    print(f"first_audio_ratio={ours / seed:.2f} (mockflow / seed; < 1 is faster)")


ARGS = argparse.Namespace()

if __name__ == "__main__":
    main()
