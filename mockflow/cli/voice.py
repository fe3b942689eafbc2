"""``mockflow run FILE --console --voice`` (and ``--audio-in DIR``, ``--audio-out FILE.wav``):
an interview by voice in this terminal, with no LiveKit server.

Everything that can be checked before livekit loads is checked first, each a message that
names the thing and the fix, exit code 2: the options that go together, the keys a
hosted STT/TTS needs, the ``local-voice`` extra, the audio files (each one probed: empty,
unreadable, too long, a sample rate speech can't have) and where ``--audio-out`` goes.
Then the voice pipeline runs (``mockflow.live.voice_console``); problems found only then
(no PortAudio, no sound device, a weight file that is not the pinned one) are typed
errors that the CLI's one error map turns into exit code 2 (``mockflow.cli.errors``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from mockflow.cli.common import ExitCode, err, out
from mockflow.format.compile import CompiledInterview

if TYPE_CHECKING:
    from mockflow.live.audio_files import TurnFile
    from mockflow.results.store.backend import ResultsTarget

MAX_REPLY_DELAY = 60.0


@dataclass(frozen=True, slots=True)
class VoiceOptions:
    audio_in: str | None = None
    audio_out: str | None = None
    reply_delay: float | None = None
    input_device: str | None = None
    output_device: str | None = None


def _fail(message: str) -> typer.Exit:
    err(f"mockflow: error: {message}")
    return typer.Exit(ExitCode.USAGE)


def check_options(options: VoiceOptions) -> None:
    """The voice options that only make sense together; exit 2 otherwise."""
    if options.audio_out is not None and options.audio_in is None:
        raise _fail("--audio-out records the interviewer of a session played from files:"
                    " give --audio-in DIR too (with the local microphone the interviewer"
                    " plays on your speakers)")
    if options.reply_delay is not None:
        if options.audio_in is None:
            raise _fail("--reply-delay is the pause before each audio file's turn: it needs"
                        " --audio-in DIR")
        if not 0 <= options.reply_delay <= MAX_REPLY_DELAY:
            raise _fail(f"--reply-delay {options.reply_delay:g} is out of range: give 0 to"
                        f" {MAX_REPLY_DELAY:g} seconds")
    if options.audio_in is not None and (options.input_device or options.output_device):
        raise _fail("--input-device/--output-device choose the sound devices; with"
                    " --audio-in the candidate is played from files: leave them out")


def check_voice_setup(compiled: CompiledInterview, env: Mapping[str, str], *,
                      offline: bool) -> None:
    """Keys a hosted STT/TTS needs and the local-voice extra; exit 2 naming the fix."""
    from mockflow.live.startup import (
        LOCAL_VOICE_INSTALL,
        missing_local_voice,
        missing_provider_keys,
    )

    voice = compiled.interview.voice
    missing = missing_provider_keys(voice, env)
    for key, users in missing.items():
        needed = [u for u in users if not (offline and u.startswith("voice.llm"))]
        if needed:
            err(f"mockflow: error: {key} is not set; it is needed by {', '.join(needed)}"
                " (or practise offline with voice.stt and voice.tts provider: local in the"
                " interview file)")
            raise typer.Exit(ExitCode.USAGE)
    local = missing_local_voice(voice)
    if local:
        raise _fail(f"the local voice (voice.stt/tts provider local) needs"
                    f" {', '.join(local)}, not installed: {LOCAL_VOICE_INSTALL}")


def check_persona_voice() -> None:
    """A spoken persona's voice is the local Piper voice, whatever the file's TTS."""
    from mockflow.format.model import TtsConfig, VoiceConfig
    from mockflow.live.startup import LOCAL_VOICE_INSTALL, missing_local_voice

    local = missing_local_voice(VoiceConfig(tts=TtsConfig(provider="local")))
    if local:
        raise _fail(f"simulate --voice speaks the persona with the local voice, which needs"
                    f" {', '.join(local)}, not installed: {LOCAL_VOICE_INSTALL}")


def check_audio_in(folder: str) -> list[TurnFile]:
    """Every .wav file of ``folder``, probed before anything loads (``AudioFileError``,
    exit 2, names the file and the fix)."""
    from mockflow.live.audio_files import turn_files

    return turn_files(Path(folder))


def check_audio_out(path: str) -> Path:
    target = Path(path)
    if target.is_dir():
        raise _fail(f"--audio-out {path} is a folder: give a file name such as"
                    f" {target / 'interviewer.wav'}")
    if target.suffix.lower() != ".wav":
        raise _fail(f"--audio-out {path} must be a .wav file name (the interviewer is"
                    " written as 16-bit mono WAV)")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise _fail(f"--audio-out {path}: folder {parent} doesn't exist: create it first")
    if not os.access(parent, os.W_OK):
        raise _fail(f"--audio-out {path}: folder {parent} is not writable: choose another")
    return target


def with_local_voice(compiled: CompiledInterview) -> CompiledInterview:
    """``--local-voice``: the interview as written, heard by the local Whisper and spoken by
    the local Piper voice whatever its ``voice.stt`` / ``voice.tts`` name (practice with
    no keys); exit 2 when the interview isn't in English (the local STT's only language)."""
    from dataclasses import replace

    from mockflow.format.model import (
        LOCAL_STT_MODELS,
        LOCAL_TTS_MODELS,
        LOCAL_TTS_VOICES,
        TtsConfig,
    )

    interview = compiled.interview
    voice = interview.voice
    language = voice.stt.language or interview.interviewer.language
    if language.split("-")[0].lower() != "en":
        raise _fail(f"--local-voice: the local speech-to-text ({LOCAL_STT_MODELS[0]})"
                    f" understands English only, but the interview's language is"
                    f" '{language}': leave out --local-voice and use the file's own voice")
    local = replace(voice, stt=replace(voice.stt, provider="local", model=LOCAL_STT_MODELS[0]),
                    tts=TtsConfig(provider="local", model=LOCAL_TTS_MODELS[0],
                                  voice=LOCAL_TTS_VOICES[0], speed=voice.tts.speed))
    return replace(compiled, interview=replace(interview, voice=local))


def run_voice_console(compiled: CompiledInterview, target: ResultsTarget, *, offline: bool,
                      judge_offline: bool, candidate_name: str | None, seed: int,
                      source: bytes | None, options: VoiceOptions) -> None:
    """The voice interview in this terminal (see the module doc)."""
    check_options(options)
    check_voice_setup(compiled, os.environ, offline=offline)
    turns = check_audio_in(options.audio_in) if options.audio_in is not None else None
    audio_out = check_audio_out(options.audio_out) if options.audio_out is not None else None

    from mockflow.cli.console_start import destination
    from mockflow.format.templates import Candidate
    from mockflow.scoring.judge import choose

    judge = choose(compiled.interview, os.environ, mode="offline" if judge_offline else None)
    iv = compiled.interview
    who = ("offline (built in, deterministic)" if offline
           else f"{iv.voice.llm.primary.provider} {iv.voice.llm.primary.model}")
    out(f"mockflow voice console — {iv.title}")
    out(f"interviewer: {who}; speech: {iv.voice.stt.provider} STT, {iv.voice.tts.provider}"
        f" TTS, turn detector {iv.voice.turn.detector}")
    if turns is not None:
        out(f"candidate: {len(turns)} audio file(s) from {options.audio_in}, each"
            f" {options.reply_delay if options.reply_delay is not None else 1.0:g} s after"
            " the interviewer stops")
    else:
        out("candidate: your microphone (headphones help: the echo canceller does most,"
            " not all, of the work). Ctrl-C ends the interview.")
    if audio_out is not None:
        out(f"interviewer audio: {audio_out}")
    out(f"results: {destination(target, iv.results.store)}")
    out("loading the voice models ...")

    import asyncio
    import signal

    from mockflow.live.console import summary_lines
    from mockflow.live.voice_console import run_voice_interview  # imports livekit

    name = iv.interviewer.name
    candidate = Candidate(name=candidate_name)

    def line(who_spoke: str, text: str) -> None:
        out(f"{name}: {text}" if who_spoke == "interviewer" else f"you (heard): {text}")

    def notice(text: str) -> None:
        err(f"mockflow: {text}")

    async def main() -> Any:
        model = _model(compiled, offline=offline)
        io = _io(turns, audio_out, options)
        stop = asyncio.Event()
        agents: list[Any] = []

        def leave(reason: str) -> None:  # Ctrl-C, a SIGTERM: the candidate has gone
            if agents and agents[0].close_reason is None:
                agents[0].close_reason = reason
            stop.set()

        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            loop.add_signal_handler(sig, leave, sig.name)
        try:
            return await run_voice_interview(
                compiled, io=io, model=model, results_root=target.directory, seed=seed,
                candidate=candidate, judge=judge, interview_source=source,
                store=target.store, checkpoint=target.checkpoint, stop=stop, on_line=line,
                on_notice=notice, on_agent=agents.append)
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                loop.remove_signal_handler(sig)
            await model.aclose()

    from mockflow.format.errors import MockflowError
    from mockflow.results.store.uploads import UploadWorker

    uploads = UploadWorker(target.directory).start() if target.store else None
    try:
        outcome = asyncio.run(main())
    except MockflowError as exc:
        from mockflow.cli.errors import report_failure

        raise typer.Exit(report_failure(exc)) from None
    finally:
        from mockflow.cli.run import stop_uploads

        stop_uploads(uploads, target)
    for text in summary_lines(outcome):
        out(text)
    if audio_out is not None:
        out(f"interviewer audio: {audio_out}")


def _model(compiled: CompiledInterview, *, offline: bool) -> Any:
    if offline:
        from mockflow.live.offline_llm import OfflineInterviewerLLM

        return OfflineInterviewerLLM()
    from mockflow.live.plugins import build_llm

    return build_llm(compiled.interview.voice)


def _io(turns: list[TurnFile] | None, audio_out: Path | None, options: VoiceOptions) -> Any:
    """The candidate's audio in and the interviewer's out (inside the event loop: the
    sound devices start with it)."""
    from mockflow.live.voice_console import VoiceIO

    if turns is not None:
        from mockflow.live.audio_files import DEFAULT_REPLY_DELAY
        from mockflow.live.file_microphone import FileMicrophone
        from mockflow.live.wav_speaker import WavSpeaker

        delay = DEFAULT_REPLY_DELAY if options.reply_delay is None else options.reply_delay
        mic = FileMicrophone(turns, reply_delay=delay)
        speaker = WavSpeaker(audio_out)
        return VoiceIO(mic, speaker, "files", "file" if audio_out is not None else "none",
                       reply_delay=delay, close=speaker.close)
    from mockflow.live.console_audio import ConsoleAudio

    audio = ConsoleAudio(input_device=_device(options.input_device),
                         output_device=_device(options.output_device))
    audio.start()
    assert audio.speaker is not None
    return VoiceIO(audio.microphone, audio.speaker, "microphone", "speaker",
                   close=audio.close)


def _device(value: str | None) -> int | str | None:
    return int(value) if value is not None and value.isdigit() else value
