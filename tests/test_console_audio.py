"""The local microphone and speaker, without a sound device: the errors that name the fix
(no PortAudio, no sounddevice, no device), and the plumbing between a device's callbacks,
the echo canceller and the session, driven through a stand-in ``sounddevice`` module."""

from __future__ import annotations

import asyncio
import sys
import types
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from livekit import rtc
from local_voice_rig import run

from mockflow.live.console_audio import (
    BLOCK,
    RATE,
    ConsoleAudio,
    SoundDeviceUnavailable,
    load_sounddevice,
)


def test_missing_portaudio_names_the_package(monkeypatch: pytest.MonkeyPatch,
                                             tmp_path: Path) -> None:
    # what sounddevice itself does when libportaudio2 is not installed
    (tmp_path / "sounddevice.py").write_text("raise OSError('PortAudio library not found')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "sounddevice", raising=False)
    with pytest.raises(SoundDeviceUnavailable) as caught:
        load_sounddevice()
    message = str(caught.value)
    assert "PortAudio library not found" in message
    assert "apt-get install libportaudio2" in message and "--audio-in DIR" in message


def test_missing_sounddevice_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sounddevice", None)
    with pytest.raises(SoundDeviceUnavailable, match="pip install sounddevice"):
        load_sounddevice()


class _PortAudioError(Exception):
    pass


def _module(devices: list[dict[str, Any]]) -> types.ModuleType:
    """A stand-in for sounddevice with the given devices (none: a machine without audio)."""
    sd = types.ModuleType("sounddevice")
    streams: list[Any] = []

    def query_devices(device: Any = None, kind: str | None = None) -> dict[str, Any]:
        key = f"max_{kind}_channels"
        for i, info in enumerate(devices):
            if device in (None, i, info["name"]) and info.get(key, 0) > 0:
                return info
        raise _PortAudioError("Error querying device -1")

    class Stream:
        def __init__(self, *, callback: Any, **settings: Any) -> None:
            self.callback, self.settings, self.started = callback, settings, False
            streams.append(self)

        def start(self) -> None:
            self.started = True

        def stop(self) -> None:
            self.started = False

        def close(self) -> None:
            pass

    sd.query_devices = query_devices  # type: ignore[attr-defined]
    sd.InputStream = Stream  # type: ignore[attr-defined]
    sd.OutputStream = Stream  # type: ignore[attr-defined]
    sd.streams = streams  # type: ignore[attr-defined]
    return sd


def test_no_sound_device_names_the_fix() -> None:
    with pytest.raises(SoundDeviceUnavailable, match=r"no microphone found \(Error querying"
                                                     r" device -1\): connect one"):
        ConsoleAudio(sounddevice=_module([]))
    speakers_only = _module([{"name": "HDMI", "max_input_channels": 0,
                              "max_output_channels": 2}])
    with pytest.raises(SoundDeviceUnavailable, match="no microphone found"):
        ConsoleAudio(sounddevice=speakers_only)
    mic_only = _module([{"name": "USB mic", "max_input_channels": 1,
                         "max_output_channels": 0}])
    with pytest.raises(SoundDeviceUnavailable, match="no speaker found"):
        ConsoleAudio(sounddevice=mic_only)
    with pytest.raises(SoundDeviceUnavailable, match="no microphone 'Studio' found"):
        ConsoleAudio(sounddevice=mic_only, input_device="Studio")


class _Times:
    currentTime = 1.0
    inputBufferAdcTime = 0.99
    outputBufferDacTime = 1.02


def test_device_callbacks_feed_the_session_and_report_playback() -> None:
    sd = _module([{"name": "Headset", "max_input_channels": 1, "max_output_channels": 1}])

    async def body() -> None:
        audio = ConsoleAudio(sounddevice=sd)
        assert audio.devices.input_name == "Headset"
        audio.start()
        mic_stream, out_stream = sd.streams  # type: ignore[attr-defined]
        assert mic_stream.settings["samplerate"] == RATE and mic_stream.started
        speaker = audio.speaker
        assert speaker is not None
        finished: list[Any] = []
        speaker.on("playback_finished", finished.append)
        tone = (np.sin(np.arange(BLOCK * 3) / 10) * 6000).astype(np.int16)
        await speaker.capture_frame(rtc.AudioFrame(tone.tobytes(), RATE, 1, len(tone)))
        speaker.flush()
        played = np.zeros((BLOCK * 2, 1), dtype=np.int16)
        out_stream.callback(played, BLOCK * 2, _Times(), None)  # the device plays 20 ms
        assert np.array_equal(played[:, 0], tone[: BLOCK * 2]) and not finished
        out_stream.callback(played, BLOCK * 2, _Times(), None)  # the rest, then silence
        await asyncio.sleep(0)
        assert len(finished) == 1 and not finished[0].interrupted
        assert finished[0].playback_position == pytest.approx(0.03)
        heard = (np.random.default_rng(1).normal(0, 3000, (BLOCK * 2, 1))).astype(np.int16)
        mic_stream.callback(heard, BLOCK * 2, _Times(), None)
        frames = [await audio.microphone.__anext__() for _ in range(2)]
        assert all(f.sample_rate == RATE and f.samples_per_channel == BLOCK for f in frames)
        audio.close()
        assert not mic_stream.started

    run(body())


def test_a_paused_speaker_plays_silence_and_resumes_where_it_was() -> None:
    sd = _module([{"name": "Headset", "max_input_channels": 1, "max_output_channels": 1}])

    async def body() -> None:
        audio = ConsoleAudio(sounddevice=sd)
        audio.start()
        _, out_stream = sd.streams  # type: ignore[attr-defined]
        speaker = audio.speaker
        assert speaker is not None and speaker.can_pause
        finished: list[Any] = []
        speaker.on("playback_finished", finished.append)
        tone = (np.sin(np.arange(BLOCK * 3) / 10) * 6000).astype(np.int16)
        await speaker.capture_frame(rtc.AudioFrame(tone.tobytes(), RATE, 1, len(tone)))
        speaker.flush()
        played = np.zeros((BLOCK, 1), dtype=np.int16)
        out_stream.callback(played, BLOCK, _Times(), None)
        assert np.array_equal(played[:, 0], tone[:BLOCK])
        speaker.pause()
        out_stream.callback(played, BLOCK, _Times(), None)  # paused: silence, nothing lost
        assert not played.any()
        speaker.resume()
        played = np.zeros((BLOCK * 2, 1), dtype=np.int16)
        out_stream.callback(played, BLOCK * 2, _Times(), None)
        assert np.array_equal(played[:, 0], tone[BLOCK:])
        await asyncio.sleep(0)
        assert len(finished) == 1 and not finished[0].interrupted
        audio.close()

    run(body())
