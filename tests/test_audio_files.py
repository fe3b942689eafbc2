"""Audio files as the candidate's microphone and the interviewer's speaker: bad input is a
clear error up front, turns play in real time after the interviewer, cut-ins are counted,
the speaker reports playback, and real speech goes through a bare LiveKit session."""

from __future__ import annotations

import asyncio
import stat
import wave
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from livekit import rtc
from local_voice_rig import ANSWERS, run

from mockflow.live.audio_files import (
    AudioFileError,
    decode_pcm,
    probe_turn,
    read_pcm,
    turn_files,
    write_wav,
)
from mockflow.live.file_microphone import FileMicrophone
from mockflow.live.speech_metrics import word_error_rate
from mockflow.live.wav_speaker import WavSpeaker


def _tone(seconds: float, rate: int = 16000, level: int = 8000) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (np.sin(2 * np.pi * 300 * t) * level).astype(np.int16)


def _float_stereo(path: Path, seconds: float, rate: int = 44100) -> None:
    """A 32-bit float, stereo wav (WAVE_FORMAT_IEEE_FLOAT: Python's wave can't read it)."""
    t = np.arange(int(seconds * rate)) / rate
    mono = (np.sin(2 * np.pi * 300 * t) * 0.25).astype(np.float32)
    packed = np.stack([mono, mono], axis=1).reshape(1, -1)
    with av.open(str(path), "w", format="wav") as out:
        stream = out.add_stream("pcm_f32le", rate=rate, layout="stereo")
        frame = av.AudioFrame.from_ndarray(packed, format="flt", layout="stereo")
        frame.sample_rate = rate
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            out.mux(packet)


# ------------------------------------------------------------------------ bad input


def test_zero_length_file(tmp_path: Path) -> None:
    path = tmp_path / "01.wav"
    path.write_bytes(b"")
    with pytest.raises(AudioFileError, match=r"01\.wav: is empty \(0 bytes\): record the"
                                             " answer again or remove the file"):
        probe_turn(path)


def test_header_only_wav_has_no_audio(tmp_path: Path) -> None:
    path = tmp_path / "01.wav"
    write_wav(path, np.zeros(0, dtype=np.int16), 16000)
    with pytest.raises(AudioFileError, match="has no audio samples"):
        probe_turn(path)


def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "01.wav"
    path.write_bytes(b"this is a text file, not a recording\n" * 20)
    with pytest.raises(AudioFileError, match=r"is not a readable audio file .*give a \.wav"):
        probe_turn(path)


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(AudioFileError, match="can't be read"):
        probe_turn(tmp_path / "nope.wav")
    with pytest.raises(AudioFileError, match="is not a folder"):
        turn_files(tmp_path / "nowhere")
    (tmp_path / "notes.txt").write_text("hi")
    with pytest.raises(AudioFileError, match=r"holds no \.wav files: put one \.wav file per"):
        turn_files(tmp_path)


def test_sample_rate_too_low_for_speech(tmp_path: Path) -> None:
    path = tmp_path / "01.wav"
    write_wav(path, _tone(0.5, rate=4000), 4000)
    with pytest.raises(AudioFileError, match="sample rate of 4000 Hz; speech needs 8000"):
        probe_turn(path)


def test_thirty_minute_file_is_refused_before_the_session(tmp_path: Path) -> None:
    path = tmp_path / "03.wav"
    with wave.open(str(path), "wb") as out:  # 30 minutes of 8 kHz 8-bit silence, 14 MB
        out.setnchannels(1)
        out.setsampwidth(1)
        out.setframerate(8000)
        out.writeframes(b"\x80" * (8000 * 60 * 30))
    with pytest.raises(AudioFileError, match=r"is 30:00 long; a turn may be at most 15:00:"
                                             " split the recording"):
        probe_turn(path)
    assert probe_turn(path, max_seconds=3600).duration == pytest.approx(1800)


def test_decoding_streams_and_stops_at_the_cap(tmp_path: Path) -> None:
    path = tmp_path / "long.wav"
    write_wav(path, _tone(3.0), 16000)
    total = sum(len(chunk) for chunk in decode_pcm(path, max_seconds=1.0))
    assert total == 16000


def test_float_stereo_44k_is_mono_16k_with_a_warning(tmp_path: Path) -> None:
    _float_stereo(tmp_path / "1.wav", 0.5)
    turn = probe_turn(tmp_path / "1.wav")
    assert (turn.sample_rate, turn.channels) == (44100, 2)
    pcm = read_pcm(tmp_path / "1.wav")
    assert abs(len(pcm) - 8000) < 100 and 6000 < int(np.abs(pcm).max()) < 10000
    mic = FileMicrophone([turn])
    assert mic.warnings == ["1.wav: 2 channels, mixed down to mono",
                            "1.wav: 44100 Hz, resampled to 16000 Hz"]


def test_turns_play_in_natural_name_order(tmp_path: Path) -> None:
    for name in ("10.wav", "2.wav", "1.wav", "b.WAV", "a.wav"):
        write_wav(tmp_path / name, _tone(0.1), 16000)
    (tmp_path / "readme.txt").write_text("ignored")
    assert [t.path.name for t in turn_files(tmp_path)] == [
        "1.wav", "2.wav", "10.wav", "a.wav", "b.WAV"]


# ------------------------------------------------------------------------ the microphone


async def _frames(mic: FileMicrophone, n: int) -> list[rtc.AudioFrame]:
    return [await mic.__anext__() for _ in range(n)]


def _loud(frame: rtc.AudioFrame) -> bool:
    return bool(np.abs(np.frombuffer(frame.data, dtype=np.int16)).max() > 1000)


def test_a_turn_waits_for_the_interviewer_then_the_reply_delay(tmp_path: Path) -> None:
    write_wav(tmp_path / "1.wav", _tone(0.2), 16000)
    clock_values = iter(range(100))
    mic = FileMicrophone(turn_files(tmp_path), reply_delay=0.1,
                         clock=lambda: float(next(clock_values)))

    async def body() -> None:
        before = await _frames(mic, 5)  # the interviewer hasn't spoken: silence
        assert not any(_loud(f) for f in before)
        assert all(f.sample_rate == 16000 and f.samples_per_channel == 320 for f in before)
        mic.interviewer_started()
        mic.interviewer_finished()
        frames = await _frames(mic, 30)
        first = next(i for i, f in enumerate(frames) if _loud(f))
        assert first >= 3  # about reply_delay / 20 ms of silence first
        assert sum(_loud(f) for f in frames) == 10  # 0.2 s of tone, 20 ms frames
        assert mic.exhausted and not mic.playing
        assert len(mic.timings) == 1 and mic.timings[0].end is not None
        assert mic.timings[0].start < mic.timings[0].end
        assert not any(_loud(f) for f in await _frames(mic, 5))  # silent once out of turns
        await mic.wait_until_exhausted()

    run(body())


def test_a_due_turn_waits_while_the_interviewer_is_still_busy(tmp_path: Path) -> None:
    """After the acknowledgement has played, the reply it announced may still be on its
    way: the turn waits for it instead of starting under the next question."""
    write_wav(tmp_path / "1.wav", _tone(0.2), 16000)
    mic = FileMicrophone(turn_files(tmp_path), reply_delay=0.0)
    busy = [True]
    mic.hold_while(lambda: busy[0])

    async def body() -> None:
        mic.interviewer_started()
        mic.interviewer_finished()  # "Got it." has played; the question hasn't yet
        held = await _frames(mic, 10)
        assert not any(_loud(f) for f in held) and not mic.playing
        mic.interviewer_started()  # the question
        busy[0] = False
        mic.interviewer_finished()
        frames = await _frames(mic, 15)
        assert sum(_loud(f) for f in frames) == 10
        assert mic.cut_ins == 0

    run(body())


def test_a_hold_is_bounded(tmp_path: Path) -> None:
    write_wav(tmp_path / "1.wav", _tone(0.2), 16000)
    mic = FileMicrophone(turn_files(tmp_path), reply_delay=0.0)
    mic.hold_while(lambda: True, at_most=0.2)  # an interviewer that never settles

    async def body() -> None:
        mic.interviewer_started()
        mic.interviewer_finished()
        frames = await _frames(mic, 25)
        assert not any(_loud(f) for f in frames[:9])  # held for 0.2 s of audio
        assert sum(_loud(f) for f in frames) == 10

    run(body())


def test_interviewer_speaking_over_a_turn_is_a_cut_in(tmp_path: Path) -> None:
    write_wav(tmp_path / "1.wav", _tone(0.3), 16000)
    write_wav(tmp_path / "2.wav", _tone(0.1), 16000)
    mic = FileMicrophone(turn_files(tmp_path), reply_delay=0.0, first_turn="immediately")

    async def body() -> None:
        await _frames(mic, 3)
        assert mic.playing
        mic.interviewer_started()  # over the candidate
        mic.interviewer_finished()
        assert mic.cut_ins == 1 and mic.timings[0].cut_ins == 1
        frames = await _frames(mic, 20)
        # the interviewer had already replied: the next turn follows the first one
        assert len(mic.timings) == 2 and sum(_loud(f) for f in frames) == 12 + 5
        mic.interviewer_started()  # after the candidate finished: not a cut-in
        assert mic.cut_ins == 1

    run(body())


def test_the_interviewer_starting_again_postpones_the_turn(tmp_path: Path) -> None:
    write_wav(tmp_path / "1.wav", _tone(0.1), 16000)
    mic = FileMicrophone(turn_files(tmp_path), reply_delay=0.1)

    async def body() -> None:
        mic.interviewer_finished()  # "Got it." ...
        mic.interviewer_started()  # ... then the question, before the reply delay ran out
        frames = await _frames(mic, 15)
        assert not any(_loud(f) for f in frames) and not mic.timings
        mic.interviewer_finished()
        frames = await _frames(mic, 20)
        assert sum(_loud(f) for f in frames) == 5 and mic.cut_ins == 0

    run(body())


# ------------------------------------------------------------------------ the speaker


def test_speaker_reports_playback_and_writes_what_was_heard(tmp_path: Path) -> None:
    path = tmp_path / "interviewer.wav"

    async def body() -> None:
        speaker = WavSpeaker(path, sample_rate=16000)
        events: list[Any] = []
        speaker.on("playback_finished", events.append)
        started: list[Any] = []
        speaker.on("playback_started", started.append)
        tone = _tone(0.3)
        await speaker.capture_frame(rtc.AudioFrame(tone.tobytes(), 16000, 1, len(tone)))
        speaker.flush()
        finished = await speaker.wait_for_playout()
        assert len(started) == 1 and events == [finished]
        assert finished.playback_position == pytest.approx(0.3) and not finished.interrupted
        # the second segment is interrupted: the position says how much was heard
        long = _tone(5.0)
        await speaker.capture_frame(rtc.AudioFrame(long.tobytes(), 16000, 1, len(long)))
        speaker.flush()
        await asyncio.sleep(0.05)
        speaker.clear_buffer()
        finished = await speaker.wait_for_playout()
        assert finished.interrupted and 0.0 < finished.playback_position < 5.0
        speaker.close()
        assert [s.interrupted for s in speaker.segments] == [False, True]
        heard = speaker.segments[1].played
        return heard

    heard = run(body())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    pcm = read_pcm(path)
    # both segments, the second only as far as it was heard, on the session's timeline
    assert 0.3 + heard - 0.01 <= len(pcm) / 16000 < 5.0


# ------------------------------------------------------------ through a LiveKit session


def test_real_speech_through_a_bare_agent_session(voice_audio: Any, tmp_path: Path) -> None:
    """Silero VAD, Whisper and Piper in a real AgentSession with no room: what the
    candidate said (two turns from files) is heard, and each turn's end is detected."""
    from livekit.agents import Agent, AgentSession
    from livekit.plugins import silero

    from mockflow.live.local_voice.stt import LocalSTT
    from mockflow.live.local_voice.tts import LocalTTS
    from mockflow.testing.voice import CannedLLM

    turns = tmp_path / "turns"
    turns.mkdir()
    said = [ANSWERS["queue"], ANSWERS["short"]]
    for i, key in enumerate(("queue", "short"), 1):
        (turns / f"{i}.wav").write_bytes(voice_audio.wav(key).read_bytes())

    async def body() -> tuple[list[str], FileMicrophone, WavSpeaker, list[str]]:
        mic = FileMicrophone(turn_files(turns), reply_delay=0.3)
        speaker = WavSpeaker(tmp_path / "interviewer.wav")
        mic.follow(speaker)
        stt = LocalSTT(voice_audio.stt)
        session: AgentSession[Any] = AgentSession(
            stt=stt, vad=silero.VAD.load(), tts=LocalTTS(voice_audio.tts),
            llm=CannedLLM(["Thanks.", "Great, that's all."]),
            turn_handling={"turn_detection": "vad",
                           "endpointing": {"min_delay": 0.5, "max_delay": 3.0},
                           "preemptive_generation": {"enabled": False}})
        session.input.audio = mic
        session.output.audio = speaker
        heard: list[str] = []
        replies: list[str] = []
        both_replied = asyncio.Event()

        def added(ev: Any) -> None:
            item = ev.item
            if getattr(item, "type", "") != "message":
                return
            if item.role == "user":
                heard.append(item.text_content or "")
            elif item.role == "assistant" and heard:
                replies.append(item.text_content or "")
                if len(replies) == 2:
                    both_replied.set()

        session.on("conversation_item_added", added)
        await session.start(Agent(instructions="You are a test interviewer."))
        session.update_options(keyterms=["Kafka", "idempotent"])
        session.say("Which queue would you pick?")
        await both_replied.wait()  # each turn's end detected, and answered
        await mic.wait_until_exhausted()
        keyterms = stt.keyterms
        await session.aclose()
        speaker.close()
        return heard, mic, speaker, keyterms

    heard, mic, speaker, keyterms = run(body(), timeout=180)
    assert keyterms == ["Kafka", "idempotent"]  # session.update_options reached Whisper
    assert len(heard) == 2, heard
    for text, words in zip(said, heard, strict=True):
        assert word_error_rate(text, words) <= 0.2, (text, words)
    assert mic.cut_ins == 0 and len(mic.timings) == 2
    assert len(speaker.segments) == 3 and not any(s.interrupted for s in speaker.segments)


def test_a_file_that_vanishes_before_its_turn_is_skipped_with_a_warning(
        tmp_path: Path) -> None:
    write_wav(tmp_path / "1.wav", _tone(0.1), 16000)
    write_wav(tmp_path / "2.wav", _tone(0.1), 16000)
    mic = FileMicrophone(turn_files(tmp_path), reply_delay=0.0, first_turn="immediately")
    (tmp_path / "1.wav").unlink()  # checked, then gone before it plays

    async def body() -> None:
        frames = await _frames(mic, 3)
        assert not any(_loud(f) for f in frames)
        assert len(mic.timings) == 1 and mic.timings[0].end is not None
        assert len(mic.warnings) == 1
        assert mic.warnings[0].startswith("1.wav: stopped playing (")
        assert "the rest of the turn was skipped" in mic.warnings[0]
        mic.interviewer_started()
        mic.interviewer_finished()
        frames = await _frames(mic, 8)
        assert sum(_loud(f) for f in frames) == 5  # the next turn still plays

    run(body())


def test_a_paused_speaker_holds_its_place_and_the_file_keeps_the_gap(tmp_path: Path) -> None:
    """LiveKit pauses the interviewer when the candidate may be interrupting and resumes
    it if they weren't: playback ends only once all of it has been heard, and the wav has
    the silence of the pause where it happened."""
    path = tmp_path / "interviewer.wav"
    clock = [0.0]

    async def body() -> tuple[Any, Any]:
        speaker = WavSpeaker(path, sample_rate=16000, now=lambda: clock[0])
        assert speaker.can_pause
        tone = _tone(1.0)
        await speaker.capture_frame(rtc.AudioFrame(tone.tobytes(), 16000, 1, len(tone)))
        speaker.flush()
        clock[0] = 0.4
        speaker.pause()  # 0.4 s heard
        clock[0] = 3.0
        speaker.resume()  # the rest, 0.6 s, from 3.0
        clock[0] = 3.6  # what the loop's timer waits for in real time
        finished = await speaker.wait_for_playout()
        speaker.close()
        return finished, speaker.segments[0]

    finished, segment = run(body())
    assert not finished.interrupted and finished.playback_position == pytest.approx(1.0)
    assert segment.played == pytest.approx(1.0)
    pcm = read_pcm(path)
    assert len(pcm) / 16000 == pytest.approx(3.6, abs=0.01)
    loud = np.abs(pcm) > 1000
    assert loud[: int(0.39 * 16000)].mean() > 0.5  # before the pause
    assert not loud[int(0.45 * 16000): int(2.95 * 16000)].any()  # the pause
    assert loud[int(3.05 * 16000):].mean() > 0.5  # the rest, after it


def test_a_paused_speaker_interrupted_reports_what_was_heard(tmp_path: Path) -> None:
    clock = [0.0]

    async def body() -> Any:
        speaker = WavSpeaker(None, sample_rate=16000, now=lambda: clock[0])
        tone = _tone(2.0)
        await speaker.capture_frame(rtc.AudioFrame(tone.tobytes(), 16000, 1, len(tone)))
        speaker.flush()
        clock[0] = 0.5
        speaker.pause()
        clock[0] = 5.0  # a real interruption: LiveKit clears the paused speech
        speaker.clear_buffer()
        return await speaker.wait_for_playout()

    finished = run(body())
    assert finished.interrupted and finished.playback_position == pytest.approx(0.5)
