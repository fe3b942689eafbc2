"""Real speech, measured: the local voice (Whisper tiny.en, Piper en_US-joe-medium) on
candidate answers synthesised at run time, through LiveKit's Silero VAD and
``stt.StreamAdapter`` (the path a session with ``voice.stt.provider: local`` takes).

The corpus: each shipped interview's strong example answers (technical, dense with the
questions' key points), spoken at several length scales (Piper has one voice shipped, so
speed stands in for a second voice); the same answers with mid-answer pauses of 1, 3, 5 and
8 s inserted as digital silence; one variant with white noise at a stated SNR; and
term-heavy speech (``_term_heavy.py``): sentences dense with each interview's vocabulary
(every question's terms as mockflow gives them to the STT, and the file's glossary), built
from the file in neutral carrier sentences.

Printed, with the machine and its load average (the figures move with load):
- ``stt_rtf`` / ``tts_rtf``: wall time / audio time, one thread each, the whole process
  pinned to one core (``--cores`` to change), measured in a speed phase where nothing else
  of this process runs; on a shared machine they include waiting for the core, so
  ``stt_rtf_cpu`` / ``tts_rtf_cpu`` give CPU time / audio time too (what an idle core
  needs). Whisper pads every utterance to a 30 s window, so a short utterance costs about
  as much as a long one: ``stt_utterance_ms`` (``_cpu_ms``) is the median time to
  recognise one answer (what an answer's end waits for); ``tts_first_chunk_ms``: text in to
  the first sentence's audio out (median over short interviewer sentences);
- per answer alone (``utterance_*``): ``utterance_wer`` with the question's key points as
  Whisper keyterms, ``seed_utterance_wer`` without; ``wer_paused`` on the paused answers,
  ``wer_noisy_<snr>db`` on the noisy ones; ``utterance_keyterm_recall`` (biased through
  Whisper's prompt, the default), ``seed_utterance_keyterm_recall`` (unbiased) and
  ``keyterm_recall_hotwords`` (faster-whisper's hotwords instead of the prompt): the share
  of key-point terms said that were heard;
- term-heavy speech, each utterance heard biased with its question's terms
  (``question_terms``) and unbiased, on the same audio: ``term_heavy_keyterm_recall`` /
  ``seed_term_heavy_keyterm_recall`` (every term said), ``term_heavy_glossary_keyterm_recall``
  / ``seed_...`` (the glossary's terms alone), ``term_heavy_wer`` / ``seed_term_heavy_wer``;
- ``vad_segments_per_pause``: how many pieces the VAD cut a paused answer into, per pause
  (each piece is recognised on its own: endpointing must wait across them);
- ``job_rss_mib`` / ``job_pss_mib``: this process with the models loaded; ``forked_pss_mib``:
  the PSS of a process forked right after loading (what loading before the fork buys: the
  weights' pages are shared, so each of the two counts about half); ``rss_after_run_mib``:
  this process after the whole run (inference buffers are each process's own);
- whole sessions (``_voice_sessions.py``): an interview cut to four questions of
  interviews/backend.yaml, each answer with one pause inside (1, 3, 5, then 8 s), and one
  question answered in white noise at ``SNR_DB``, spoken through the production voice
  pipeline with no room, once in mockflow's configuration (the file's turn settings, read
  from the compiled interview, and the keyterms the interviewer gives the STT) and once
  in a seed-style one (LiveKit's default turn handling, no keyterms), on the same audio:
  ``cut_ins`` / ``seed_cut_ins`` (the interviewer starting to speak while the candidate's
  audio still plays; ``cut_ins_<pause>s`` per pause), ``wer`` / ``seed_wer`` and
  ``keyterm_recall`` / ``seed_keyterm_recall`` (each session's words in order),
  ``first_audio_ms`` / ``seed_first_audio_ms`` (median, from the true end of a turn's audio
  to the interviewer's next audio, turns without a cut-in, every turn) and
  ``first_audio_ratio``; the same for the answers to the questions alone
  (``first_audio_answers_ms``, ``seed_first_audio_answers_ms``,
  ``first_audio_answers_ratio``: none of them says it is done, and only some cover every
  key point) and for the other turns (``first_audio_other_ms``: "Yes, I'm ready.", "I
  think I covered that; nothing to add." to a follow-up, "No questions from me");
  ``first_audio_over_delay_ms``: mockflow's median first audio minus the endpointing delay
  that applied to the turn (``session.json``'s ``endpointing_s``; turns whose delay is
  one number, i.e. answers), what the pipeline adds to the patience (the issue's bound:
  the TTS first chunk + 150 ms; LiveKit counts the delay from the VAD's end of speech,
  which Silero reports some 0.5 s into the silence);
  ``session_rss_mib`` / ``session_pss_mib`` after them (the turn detector loaded too).

What synthetic speech doesn't prove: one synthetic voice, read speech without hesitation
or accent, no room acoustics, no crosstalk; the noise is white, not a café. The figures
say how the local models treat clean, well-formed technical English, not people.

``--smoke``: one short answer, one term-heavy utterance, and one session per configuration
with one question and a 1 s pause (about a minute; the test suite runs it); ``--quick``:
one answer per interview at two speeds, three of them paused and noisy, term-heavy speech
from two questions per interview (and the whole glossary) at the first speed, and the
sessions with two-sentence answers (nine and a half minutes at load 1, eighteen at load
15: the sessions run in real time);
default: eight per interview (spread over its questions), eight paused and noisy,
term-heavy speech from eight questions per interview at both speeds, whole answers in the
sessions; ``--all``: every answer (86 today) and every question's terms. Budget about 15
CPU-seconds per answer, 4 per term-heavy utterance (twelve terms) and speed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import INTERVIEWS, fmt, machine_line, table  # noqa: E402
from _term_heavy import term_heavy_phase  # noqa: E402
from _voice_sessions import add_noise  # noqa: E402

PAUSES = (1.0, 3.0, 5.0, 8.0)
SNR_DB = 10.0
SHORT_SENTENCES = ("Got it.", "Thanks, that's clear.",
                   "How would you find out which service is slow?",
                   "Let's move on to the next question.")


@dataclass
class Answer:
    text: str
    keyterms: list[str]


@dataclass
class Heard:
    said: str
    heard: str
    keyterms: list[str]
    segments: float = 1.0  # VAD pieces (per pause, for a paused answer)


@dataclass
class Stats:
    """The speed phase: wall and CPU seconds (this process, every thread) per model."""

    stt_wall: list[float] = field(default_factory=list)  # per utterance
    stt_cpu: list[float] = field(default_factory=list)
    stt_audio: float = 0.0
    tts_wall: float = 0.0
    tts_cpu: float = 0.0
    tts_audio: float = 0.0
    first_chunks: list[float] = field(default_factory=list)


SMOKE = Answer("For the queue I would pick Kafka with idempotent consumers.",
               ["Kafka", "idempotent"])


def corpus(per_interview: int | None) -> list[Answer]:
    """Strong example answers of the shipped interviews, with the key points they say:
    ``per_interview`` of each, spread evenly over its questions (all with ``None``)."""
    from mockflow.format.validate import load_interview
    from mockflow.live.speech_metrics import keyterm_hits

    out: list[Answer] = []
    for path in sorted(INTERVIEWS.glob("*.yaml")):
        interview = load_interview(path).interview
        mine: list[Answer] = []
        for question in interview.questions:
            text = question.examples.strong if question.examples else None
            if not text:
                continue
            text = " ".join(str(text).split())
            terms = [alt for kp in question.key_points for alt in kp.phrases]
            said = [t for t, hit in zip(terms, keyterm_hits(terms, text), strict=True) if hit]
            if said:
                # every alternative goes to the STT (as mockflow will), only those said count
                mine.append(Answer(text, [*said, *[t for t in terms if t not in said]]))
        if per_interview and len(mine) > per_interview:
            step = len(mine) / per_interview
            mine = [mine[int(i * step)] for i in range(per_interview)]
        out += mine
    return out


def speed_phase(voice: Any, whisper: Any, answers: list[Answer], stats: Stats) -> None:
    """Synthesise and recognise each answer alone (nothing else running in this process),
    timing wall and CPU seconds; the CPU figure is what an idle core would need."""
    from mockflow.live.local_voice.stt import to_whisper_audio

    for answer in answers:
        w0, c0 = time.perf_counter(), time.process_time()
        pcm = voice.synthesize(answer.text)
        stats.tts_wall += time.perf_counter() - w0
        stats.tts_cpu += time.process_time() - c0
        stats.tts_audio += len(pcm) / voice.sample_rate
        from livekit import rtc

        audio = to_whisper_audio(rtc.AudioFrame(pcm.tobytes(), voice.sample_rate, 1, len(pcm)))
        w0, c0 = time.perf_counter(), time.process_time()
        whisper.transcribe(audio, keyterms=answer.keyterms)
        stats.stt_wall.append(time.perf_counter() - w0)
        stats.stt_cpu.append(time.process_time() - c0)
        stats.stt_audio += len(audio) / 16000
    for text in SHORT_SENTENCES:
        t0 = time.perf_counter()
        next(iter(voice.sentences(text)))
        stats.first_chunks.append(time.perf_counter() - t0)


async def hear(pcm: np.ndarray, rate: int, vad: Any, stt: Any) -> tuple[str, int]:
    """The audio through Silero VAD + the STT, as ``stt.StreamAdapter`` does in a session
    (fed faster than real time: the VAD counts samples, not seconds)."""
    from livekit import rtc
    from livekit.agents import stt as lk_stt

    adapter = lk_stt.StreamAdapter(stt=stt, vad=vad)
    step = rate // 50
    padded = np.concatenate([np.zeros(rate // 2, np.int16), pcm, np.zeros(rate, np.int16)])
    texts: list[str] = []
    stream = adapter.stream()
    for i in range(0, len(padded) - step + 1, step):
        stream.push_frame(rtc.AudioFrame(padded[i:i + step].tobytes(), rate, 1, step))
    stream.end_input()
    async for event in stream:
        if event.type == lk_stt.SpeechEventType.FINAL_TRANSCRIPT and event.alternatives:
            texts.append(event.alternatives[0].text)
    await stream.aclose()
    return " ".join(texts), len(texts)


def memory(pid: int | str = "self") -> tuple[float, float]:
    """(RSS, PSS) in MiB from /proc/<pid>/smaps_rollup."""
    values = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("Rss", "Pss"):
            values[key] = int(rest.split()[0]) / 1024
    return values["Rss"], values["Pss"]


def forked_pss() -> float:
    """PSS of a child forked after the models were loaded (a prewarmed job process)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: touch nothing, wait to be measured
        os.close(write_end)
        os.read(read_end, 1)
        os._exit(0)
    os.close(read_end)
    try:
        time.sleep(0.2)
        return memory(pid)[1]
    finally:
        os.write(write_end, b"x")
        os.close(write_end)
        os.waitpid(pid, 0)


def pin(cores: int) -> str:
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned (no sched_setaffinity)"
    allowed = sorted(os.sched_getaffinity(0))
    os.sched_setaffinity(0, set(allowed[:cores]))
    return f"pinned to core(s) {allowed[:cores]}"


async def main_async(args: argparse.Namespace) -> dict[str, str]:
    from livekit.plugins import silero

    from mockflow.live.local_voice import LocalVoiceSettings, load_local_voice
    from mockflow.live.local_voice.stt import LocalSTT
    from mockflow.live.persona_speech import PersonaVoice, plan_answer
    from mockflow.live.speech_metrics import corpus_wer, keyterm_recall

    # --smoke checks the plumbing, not speed: no pinning (a busy core would only slow it)
    pinned = pin(args.cores) if args.cores else "not pinned"
    rss0, pss0 = memory()
    t0 = time.perf_counter()
    models = load_local_voice(LocalVoiceSettings(threads=1))
    vad = silero.VAD.load()
    load_s = time.perf_counter() - t0
    rss, pss = memory()
    # a job process forked now, models loaded and nothing run yet: what it shares
    forked = forked_pss() if not args.smoke else float("nan")
    assert models.stt is not None and models.tts is not None
    voice, whisper = models.tts, models.stt
    rate = voice.sample_rate

    per_interview = None if args.all else 1 if args.quick else 8
    answers = [SMOKE] if args.smoke else corpus(per_interview)
    speeds = (1.0,) if args.smoke else (0.9, 1.15)
    variants = 1 if args.smoke else 3 if args.quick else 8  # answers also paused and noisy
    stats = Stats()
    speed_phase(voice, whisper, answers[: 1 if args.smoke else 3 if args.quick else 8], stats)
    biased = LocalSTT(whisper, bias="prompt")
    hotwords = LocalSTT(whisper, bias="hotwords")
    plain = LocalSTT(whisper, bias="off")

    runs: dict[str, list[Heard]] = {"biased": [], "seed": [], "hotwords": [], "paused": [],
                                    "noisy": []}
    for i, answer in enumerate(answers):
        for speed in speeds:
            pcm = voice.synthesize(answer.text, speed=speed)
            compared = [("biased", biased), ("seed", plain)]
            if speed == speeds[0]:
                compared.append(("hotwords", hotwords))
            for name, stt in compared:
                stt.update_options(keyterms=answer.keyterms)
                heard, n = await hear(pcm, rate, vad, stt)
                runs[name].append(Heard(answer.text, heard, answer.keyterms, n))
        if i >= variants:
            continue
        pauses = PAUSES[: 1 if args.smoke else len(PAUSES)]
        spoken = PersonaVoice(voice).speak(plan_answer(answer.text, mid_pauses=pauses))
        biased.update_options(keyterms=answer.keyterms)
        heard, n = await hear(spoken.pcm, rate, vad, biased)
        runs["paused"].append(Heard(answer.text, heard, answer.keyterms,
                                    max(0, n - 1) / len(pauses)))
        noisy = add_noise(voice.synthesize(answer.text), SNR_DB, seed=i)
        heard, n = await hear(noisy, rate, vad, biased)
        runs["noisy"].append(Heard(answer.text, heard, answer.keyterms, n))

    def wer(name: str) -> float:
        return corpus_wer([(h.said, h.heard) for h in runs[name]])

    def recall(name: str) -> float:
        from mockflow.live.speech_metrics import keyterm_hits

        pairs = []
        for h in runs[name]:
            said = [t for t, hit in zip(h.keyterms, keyterm_hits(h.keyterms, h.said),
                                        strict=True) if hit]
            pairs.append((said, h.heard))
        return keyterm_recall(pairs)

    terms = await term_heavy_phase(
        voice, whisper, lambda pcm, rate, stt: hear(pcm, rate, vad, stt),
        [INTERVIEWS / "backend.yaml"] if args.smoke else sorted(INTERVIEWS.glob("*.yaml")),
        questions=1 if args.smoke else 2 if args.quick else None if args.all else 8,
        speeds=speeds[:1] if args.smoke or args.quick else speeds,
        utterances=1 if args.smoke else None, verbose=args.verbose)
    sessions = await sessions_phase(args, voice, whisper)
    rss_after, pss_after = memory()
    load_avg = os.getloadavg()
    figures = {
        "stt_rtf": fmt(sum(stats.stt_wall) / stats.stt_audio),
        "stt_rtf_cpu": fmt(sum(stats.stt_cpu) / stats.stt_audio),
        "tts_rtf": fmt(stats.tts_wall / stats.tts_audio),
        "tts_rtf_cpu": fmt(stats.tts_cpu / stats.tts_audio),
        "tts_first_chunk_ms": fmt(statistics.median(stats.first_chunks) * 1000, 0),
        "stt_utterance_ms": fmt(statistics.median(stats.stt_wall) * 1000, 0),
        "stt_utterance_cpu_ms": fmt(statistics.median(stats.stt_cpu) * 1000, 0),
        "utterance_wer": fmt(wer("biased")),
        "seed_utterance_wer": fmt(wer("seed")),
        "wer_hotwords": fmt(wer("hotwords")),
        "wer_paused": fmt(wer("paused")),
        f"wer_noisy_{SNR_DB:g}db": fmt(wer("noisy")),
        "utterance_keyterm_recall": fmt(recall("biased")),
        "seed_utterance_keyterm_recall": fmt(recall("seed")),
        "keyterm_recall_hotwords": fmt(recall("hotwords")),
        "keyterm_recall_paused": fmt(recall("paused")),
        f"keyterm_recall_noisy_{SNR_DB:g}db": fmt(recall("noisy")),
        "vad_segments_per_pause": fmt(statistics.mean(h.segments for h in runs["paused"]), 2),
        "job_rss_mib": fmt(rss, 0),
        "job_pss_mib": fmt(pss, 0),
        "models_rss_mib": fmt(rss - rss0, 0),
        "forked_pss_mib": fmt(forked, 0),
        "rss_after_run_mib": fmt(rss_after, 0),
        "models_load_s": fmt(load_s, 2),
        "load_average_1m": fmt(load_avg[0], 2),
    }

    print(f"local voice: Whisper {whisper.name} (int8, 1 thread) + Silero VAD via"
          f" stt.StreamAdapter; Piper {voice.name} (1 thread); {pinned}")
    print(f"corpus: {len(answers)} answers x {len(speeds)} speeds {speeds} (hotwords: the"
          f" first speed only); the first {min(variants, len(answers))} also with {PAUSES} s"
          f" pauses, and with white noise at {SNR_DB:g} dB SNR")
    print(machine_line())
    print(f"load average: {load_avg[0]:.2f} {load_avg[1]:.2f} {load_avg[2]:.2f} (whole"
          " machine, other processes included)")
    print()
    rows = [[name, len(runs[name]), fmt(wer(name)), fmt(recall(name))] for name in runs]
    print(table(rows, ["run", "answers", "WER", "keyterm recall"]))
    if args.verbose:
        for name, heard_list in runs.items():
            for h in heard_list:
                print(f"[{name}] said: {h.said}\n[{name}] heard: {h.heard}")
    figures.update(terms.figures)
    print()
    for line in terms.lines:
        print(line)
    figures.update(sessions.figures)
    figures["session_rss_mib"] = fmt(rss_after, 0)
    figures["session_pss_mib"] = fmt(pss_after, 0)
    print()
    for line in sessions.lines:
        print(line)
    del rss0, pss0
    return figures


@dataclass
class Sessions:
    figures: dict[str, str]
    lines: list[str]


def session_interview(questions: int, sentences: int | None) -> tuple[Any, dict[str, Any]]:
    """A shipped interview cut to ``questions`` questions that have strong example
    answers saying their key points (their answers: the first ``sentences`` sentences),
    with the local STT and TTS and the file's own turn settings."""
    import yaml
    from _voice_sessions import SpokenAnswer

    from mockflow.format.validate import check_bytes, load_interview
    from mockflow.live.speech_metrics import keyterm_hits
    from mockflow.simulate.personas import sentences as split_sentences

    path = INTERVIEWS / "backend.yaml"
    interview = load_interview(path).interview
    answers: dict[str, SpokenAnswer] = {}
    for question in interview.questions:
        text = question.examples.strong if question.examples else None
        if not text:
            continue
        text = " ".join(str(text).split())
        if sentences:
            text = " ".join(split_sentences(text)[:sentences])
        terms = [alt for kp in question.key_points for alt in kp.phrases]
        if any(keyterm_hits(terms, text)):
            answers[question.id] = SpokenAnswer(question.id, text, terms)
        if len(answers) == questions:
            break
    data = yaml.safe_load(path.read_text("utf-8"))
    data["id"] = "voice-benchmark"
    data["stages"] = [{"id": "bench", "questions": list(answers)}]
    data.pop("expect", None)
    voice = data.setdefault("voice", {})
    voice["stt"] = {"provider": "local"}
    voice["tts"] = {"provider": "local"}
    checked = check_bytes(yaml.safe_dump(data).encode(), "voice-benchmark.yaml")
    if checked.compiled is None:
        raise SystemExit(f"the benchmark interview is invalid: {checked.problems}")
    return checked.compiled, answers


async def sessions_phase(args: argparse.Namespace, voice: Any, whisper: Any) -> Sessions:
    """Whole sessions, mockflow's configuration against the seed-style one, on the same
    audio (``_voice_sessions``): one with a pause of 1, 3, 5 and 8 s inside the answers
    (one pause per answer, in that order), one with white noise at ``SNR_DB``."""
    from _voice_sessions import AudioCache, run_session, temp_folder

    from mockflow.live.persona_speech import PersonaVoice
    from mockflow.live.speech_metrics import corpus_wer, keyterm_recall

    pauses = [1.0] if args.smoke else list(PAUSES)
    sentences = 1 if args.smoke else 2 if args.quick else None
    compiled, answers = session_interview(len(pauses), sentences)
    results: dict[str, list[Any]] = {"mockflow": [], "seed": []}
    with temp_folder() as tmp:
        cache = AudioCache(PersonaVoice(voice), Path(tmp))
        variants: list[tuple[Any, dict[str, Any], list[float], float | None]] = [
            (compiled, answers, pauses, None)]
        if not args.smoke:  # one question, its answer in white noise, no pause
            variants.append((*session_interview(1, sentences), [], SNR_DB))
        for interview, spoken, variant_pauses, snr in variants:
            for config in ("mockflow", "seed"):
                results[config].append(await run_session(
                    interview, config, spoken, variant_pauses, cache,
                    Path(tmp) / "results", snr_db=snr, whisper=whisper))

    def picked(config: str, noisy: bool | None = None) -> list[Any]:
        runs = results[config]
        return runs if noisy is None else runs[1:] if noisy else runs[:1]

    def answered(config: str, noisy: bool | None = None) -> list[Any]:
        return [t for run in picked(config, noisy) for t in run.answers()]

    # Each session's words as one text: what the candidate said against what the STT
    # heard, in order. Turn by turn would blame the recogniser for the turn-taking: after
    # a cut-in the rest of an answer is heard as a later turn.
    def wer(config: str, noisy: bool | None = None) -> float:
        return corpus_wer([(" ".join(t.said for t in run.turns),
                            " ".join(t.heard for t in run.turns))
                           for run in picked(config, noisy)])

    def recall(config: str) -> float:
        return keyterm_recall([([k for t in run.answers() for k in t.keyterms],
                                " ".join(t.heard for t in run.turns))
                               for run in picked(config)])

    def first_ms(config: str, kinds: tuple[str, ...] = ("ready", "answer", "other")) -> float:
        times = [t.first_audio for run in results[config] for t in run.turns
                 if t.first_audio is not None and t.kind in kinds]
        return statistics.median(times) * 1000 if times else float("nan")

    def cut_ins(config: str, pause: float | None = None) -> int:
        return sum(t.cut_ins for t in answered(config, False)
                   if pause is None or t.pause == pause)

    mine, seed = first_ms("mockflow"), first_ms("seed")
    # what the pipeline adds to the patience: first audio minus the delay that applied
    over = [t.first_audio - t.delay for run in results["mockflow"] for t in run.turns
            if t.first_audio is not None and t.delay is not None]
    mine_answers, seed_answers = first_ms("mockflow", ("answer",)), first_ms("seed", ("answer",))
    mine_other, seed_other = (first_ms("mockflow", ("ready", "other")),
                              first_ms("seed", ("ready", "other")))
    figures = {
        "cut_ins": str(cut_ins("mockflow")), "seed_cut_ins": str(cut_ins("seed")),
        **{f"cut_ins_{p:g}s": str(cut_ins("mockflow", p)) for p in pauses},
        **{f"seed_cut_ins_{p:g}s": str(cut_ins("seed", p)) for p in pauses},
        "wer": fmt(wer("mockflow")), "seed_wer": fmt(wer("seed")),
        "keyterm_recall": fmt(recall("mockflow")), "seed_keyterm_recall": fmt(recall("seed")),
        "first_audio_ms": fmt(mine, 0), "seed_first_audio_ms": fmt(seed, 0),
        "first_audio_ratio": fmt(mine / seed if seed else float("nan")),
        "first_audio_answers_ms": fmt(mine_answers, 0),
        "seed_first_audio_answers_ms": fmt(seed_answers, 0),
        "first_audio_answers_ratio": fmt(mine_answers / seed_answers if seed_answers
                                         else float("nan")),
        "first_audio_over_delay_ms": fmt(statistics.median(over) * 1000 if over
                                         else float("nan"), 0),
        "first_audio_other_ms": fmt(mine_other, 0),
        "seed_first_audio_other_ms": fmt(seed_other, 0),
    }
    if not args.smoke:
        figures[f"wer_session_noisy_{SNR_DB:g}db"] = fmt(wer("mockflow", True))
        figures[f"seed_wer_session_noisy_{SNR_DB:g}db"] = fmt(wer("seed", True))
    turn = compiled.interview.voice.turn
    given = results["mockflow"][0].keyterms_given
    lines = [
        f"whole sessions: {len(answers)} questions of interviews/backend.yaml"
        f" ({', '.join(answers)}), one pause per answer {pauses} s"
        + ("" if args.smoke else f"; then one question with white noise at {SNR_DB:g} dB"
                                 " SNR"),
        f"mockflow: the file's turn settings {turn}; keyterms the interviewer gave the STT:"
        f" {given[:6] if given else 'none (the interviewer sets none)'}",
        "seed-style: LiveKit's default turn handling (AgentSession defaults), STT without"
        " keyterms; same interviewer agent (offline model), VAD, Whisper, Piper, audio",
        "flattering to both: the offline interviewer answers at once (no LLM latency);"
        " synthetic, fluent speech; the candidate never talks over the interviewer. The"
        " seed-style run keeps mockflow's agent, so its instant acknowledgement too (first"
        " audio compares turn handling, not the agent). WER and keyterm recall: each"
        " session's words as one text (a cut-in moves words to a later turn)",
    ]
    rows = []
    for config in ("mockflow", "seed"):
        for run in results[config]:
            for t in run.turns:
                rows.append([config, t.kind, "-" if t.pause is None else f"{t.pause:g}",
                             t.cut_ins, "-" if t.first_audio is None
                             else f"{t.first_audio * 1000:.0f}",
                             fmt(corpus_wer([(t.said, t.heard)]))])
    lines.append(table(rows, ["config", "turn", "pause s", "cut-ins", "first audio ms",
                              "WER"]))
    return Sessions(figures, lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--smoke", action="store_true", help="one short answer (seconds)")
    mode.add_argument("--quick", action="store_true", help="one answer per interview")
    mode.add_argument("--all", action="store_true", help="every answer of every interview")
    parser.add_argument("--cores", type=int, default=None,
                        help="cores to pin the process to (default 1; none with --smoke;"
                             " 0: don't pin)")
    parser.add_argument("--verbose", action="store_true", help="print what was heard")
    args = parser.parse_args()
    if args.cores is None:
        args.cores = 0 if args.smoke else 1
    figures = asyncio.run(main_async(args))
    print()
    for key, value in figures.items():
        print(f"{key}={value}")


if __name__ == "__main__":
    main()
