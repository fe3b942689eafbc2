"""The local microphone and speaker for a voice interview in the terminal (agent layer).

``ConsoleAudio`` opens the default (or a named) input and output device with
``sounddevice`` (PortAudio) at 24 kHz mono in 10 ms blocks and gives the session an
``io.AudioInput`` (``.microphone``) and an ``io.AudioOutput`` (``.speaker``). Every block
the speaker plays is fed to WebRTC's echo canceller (``rtc.AudioProcessingModule``) as the
reverse stream, and every block the microphone hears is cleaned against it, so the
interviewer doesn't hear its own voice from the speakers and take it for an answer; noise
suppression and a high-pass filter are on too. The device latencies PortAudio reports are
handed to the canceller as the stream delay.

Problems are typed errors that name the fix: no PortAudio library
(``apt-get install libportaudio2``), no ``sounddevice`` package, no microphone or speaker.
``mockflow run --console --voice`` (phase 2 of the real-speech work) wires it up.
"""

from __future__ import annotations

import asyncio
import importlib
import threading
import time
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np
from livekit import rtc
from livekit.agents import utils
from livekit.agents.voice.io import AudioInput, AudioOutput, AudioOutputCapabilities

from mockflow.format.errors import MockflowError

RATE = 24000
BLOCK = RATE // 100  # 10 ms: the echo canceller's frame
PORTAUDIO_FIX = ("install the PortAudio library: apt-get install libportaudio2 (Debian,"
                 " Ubuntu), dnf install portaudio (Fedora), brew install portaudio (macOS)")


class SoundDeviceUnavailable(MockflowError):
    """No way to use the local microphone or speaker; the message says what to do."""


def load_sounddevice() -> ModuleType:
    """Import ``sounddevice`` or raise ``SoundDeviceUnavailable`` naming the fix."""
    try:
        return importlib.import_module("sounddevice")
    except OSError as exc:  # sounddevice raises OSError when libportaudio is missing
        raise SoundDeviceUnavailable(
            f"the local microphone and speaker need PortAudio, which is missing ({exc}):"
            f" {PORTAUDIO_FIX}; or play the candidate from files with --audio-in DIR"
        ) from exc
    except ImportError as exc:
        raise SoundDeviceUnavailable(
            "the local microphone and speaker need the Python package sounddevice:"
            " pip install sounddevice (livekit-agents normally brings it)") from exc


@dataclass(frozen=True, slots=True)
class Devices:
    input_name: str
    output_name: str


def check_devices(sd: ModuleType, *, input_device: int | str | None = None,
                  output_device: int | str | None = None) -> Devices:
    """The microphone and speaker to use, or ``SoundDeviceUnavailable``."""

    def find(kind: str, device: int | str | None) -> str:
        what = "microphone" if kind == "input" else "speaker"
        try:
            info = sd.query_devices(device, kind=kind)
        except Exception as exc:  # PortAudioError, ValueError: no such device
            named = f" '{device}'" if device is not None else ""
            raise SoundDeviceUnavailable(
                f"no {what}{named} found ({exc}): connect one, choose another with"
                f" --{kind}-device, or play the candidate from files with --audio-in DIR"
            ) from exc
        if not isinstance(info, dict) or int(info.get(f"max_{kind}_channels", 0)) < 1:
            raise SoundDeviceUnavailable(
                f"device {info.get('name', device) if isinstance(info, dict) else device}"
                f" has no {kind} channels: choose a {what} with --{kind}-device")
        return str(info.get("name", what))

    return Devices(find("input", input_device), find("output", output_device))


class ConsoleMicrophone(AudioInput):
    """Frames from the device thread, echo-cancelled, to the session."""

    def __init__(self) -> None:
        super().__init__(label="mockflow-console-microphone")
        self._frames = utils.aio.Chan[rtc.AudioFrame]()
        self._attached = True

    def push(self, frame: rtc.AudioFrame) -> None:
        if self._attached and not self._frames.closed:
            self._frames.send_nowait(frame)

    async def __anext__(self) -> rtc.AudioFrame:
        return await self._frames.__anext__()

    def on_attached(self) -> None:
        self._attached = True

    def on_detached(self) -> None:
        self._attached = False

    def close(self) -> None:
        self._frames.close()


class ConsoleSpeaker(AudioOutput):
    """The interviewer's audio, buffered for the device thread; reports playback."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(label="mockflow-console-speaker",
                         capabilities=AudioOutputCapabilities(pause=True), sample_rate=RATE)
        self._loop = loop
        self._lock = threading.Lock()
        self._buffer = bytearray()
        self._pushed = 0.0  # seconds given in this segment
        self._played = 0  # samples played in this segment
        self._playing = False
        self._flushed = False
        self._paused = False

    def pause(self) -> None:
        """Hold the interviewer where it is (silence on the device) until ``resume``:
        LiveKit pauses it when the candidate may be interrupting."""
        super().pause()
        with self._lock:
            self._paused = True

    def resume(self) -> None:
        super().resume()
        with self._lock:
            self._paused = False

    async def capture_frame(self, frame: rtc.AudioFrame) -> None:
        await super().capture_frame(frame)
        with self._lock:
            if not self._playing:
                self._playing, self._flushed, self._pushed, self._played = True, False, 0.0, 0
                self._paused = False
                self.on_playback_started(created_at=time.time())
            self._buffer += bytes(frame.data)
            self._pushed += frame.duration

    def flush(self) -> None:
        super().flush()
        with self._lock:
            self._flushed = self._playing
            done = self._playing and not self._buffer
        if done:
            self._finish(False)

    def clear_buffer(self) -> None:
        with self._lock:
            self._buffer.clear()
            playing = self._playing
        if playing:
            self._finish(True)

    def _finish(self, interrupted: bool) -> None:
        with self._lock:
            if not self._playing:
                return
            self._playing = False
            position = min(self._pushed, self._played / RATE)
        self.on_playback_finished(playback_position=position, interrupted=interrupted)

    def read_into(self, out: np.ndarray) -> None:
        """Fill ``out`` (int16, one block) from the buffer: called on the device thread."""
        need = out.size * 2
        with self._lock:
            if self._paused:
                out[:] = 0
                return
            chunk = bytes(self._buffer[:need])
            del self._buffer[:need]
            self._played += len(chunk) // 2
            ended = self._playing and self._flushed and not self._buffer
        out[:] = 0
        out[: len(chunk) // 2] = np.frombuffer(chunk, dtype=np.int16)
        if ended:
            self._loop.call_soon_threadsafe(self._finish, False)


class ConsoleAudio:
    """The local microphone and speaker with echo cancellation (see the module doc).

    ``start()`` from the event loop, then set ``session.input.audio = audio.microphone``
    and ``session.output.audio = audio.speaker`` before ``session.start()``; ``close()``
    at the end.
    """

    def __init__(self, *, input_device: int | str | None = None,
                 output_device: int | str | None = None, echo_cancellation: bool = True,
                 sounddevice: ModuleType | None = None) -> None:
        self._sd = sounddevice if sounddevice is not None else load_sounddevice()
        self.devices = check_devices(self._sd, input_device=input_device,
                                     output_device=output_device)
        self._input_device, self._output_device = input_device, output_device
        self._apm = rtc.AudioProcessingModule(
            echo_cancellation=echo_cancellation, noise_suppression=True,
            high_pass_filter=True, auto_gain_control=True)
        self.microphone = ConsoleMicrophone()
        self.speaker: ConsoleSpeaker | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._streams: list[Any] = []
        self._input_delay = self._output_delay = 0.0

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self.speaker = ConsoleSpeaker(self._loop)
        sd = self._sd
        try:
            self._streams = [
                sd.InputStream(callback=self._on_input, dtype="int16", channels=1,
                               device=self._input_device, samplerate=RATE, blocksize=BLOCK),
                sd.OutputStream(callback=self._on_output, dtype="int16", channels=1,
                                device=self._output_device, samplerate=RATE,
                                blocksize=BLOCK),
            ]
            for stream in self._streams:
                stream.start()
        except Exception as exc:
            self.close()
            raise SoundDeviceUnavailable(
                f"the sound device could not be opened at {RATE} Hz mono ({exc}): choose"
                " another with --input-device/--output-device, or play the candidate from"
                " files with --audio-in DIR") from exc

    def _delay_ms(self) -> int:
        return int((self._input_delay + self._output_delay) * 1000)

    def _on_input(self, indata: np.ndarray, frames: int, times: Any, _status: Any) -> None:
        self._input_delay = max(0.0, times.currentTime - times.inputBufferAdcTime)
        try:
            self._apm.set_stream_delay_ms(self._delay_ms())
        except RuntimeError:
            pass  # the canceller refuses some delays; it adapts on its own
        samples = np.ascontiguousarray(indata[:, 0], dtype=np.int16)
        loop = self._loop
        for start in range(0, frames - BLOCK + 1, BLOCK):
            frame = rtc.AudioFrame(data=samples[start:start + BLOCK].tobytes(),
                                   sample_rate=RATE, num_channels=1, samples_per_channel=BLOCK)
            self._apm.process_stream(frame)  # in place: the speaker's echo removed
            if loop is not None:
                loop.call_soon_threadsafe(self.microphone.push, frame)

    def _on_output(self, outdata: np.ndarray, frames: int, times: Any, _status: Any) -> None:
        self._output_delay = max(0.0, times.outputBufferDacTime - times.currentTime)
        block = np.zeros(frames, dtype=np.int16)
        if self.speaker is not None:
            self.speaker.read_into(block)
        outdata[:, 0] = block
        for start in range(0, frames - BLOCK + 1, BLOCK):
            self._apm.process_reverse_stream(rtc.AudioFrame(
                data=block[start:start + BLOCK].tobytes(), sample_rate=RATE, num_channels=1,
                samples_per_channel=BLOCK))

    def close(self) -> None:
        for stream in self._streams:
            try:
                stream.stop()
                stream.close()
            except Exception:  # closing a broken device must not hide the real error
                pass
        self._streams = []
        self.microphone.close()
