"""The real-audio benchmark's ``--smoke`` mode runs and prints every figure (no timings
asserted: the numbers are the benchmark's business): the models alone, and whole sessions
in mockflow's configuration and the seed-style one."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT

FIGURES = ("stt_rtf", "stt_rtf_cpu", "tts_rtf", "tts_rtf_cpu", "tts_first_chunk_ms",
           "stt_utterance_ms", "stt_utterance_cpu_ms", "utterance_wer", "seed_utterance_wer",
           "wer_hotwords", "wer_paused", "wer_noisy_10db", "utterance_keyterm_recall",
           "seed_utterance_keyterm_recall", "keyterm_recall_hotwords",
           "vad_segments_per_pause", "job_rss_mib", "job_pss_mib", "load_average_1m",
           # whole sessions, mockflow against the seed-style configuration
           "cut_ins", "seed_cut_ins", "cut_ins_1s", "seed_cut_ins_1s", "wer", "seed_wer",
           "keyterm_recall", "seed_keyterm_recall", "first_audio_ms", "seed_first_audio_ms",
           "first_audio_ratio", "first_audio_answers_ms", "seed_first_audio_answers_ms",
           "first_audio_answers_ratio", "first_audio_other_ms", "seed_first_audio_other_ms",
           "first_audio_over_delay_ms",
           "session_rss_mib", "session_pss_mib")


def test_voice_real_audio_smoke() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "voice_real_audio.py"), "--smoke"],
        capture_output=True, text=True, timeout=900, cwd=ROOT)  # hang guard
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = dict(line.split("=", 1) for line in proc.stdout.splitlines()
                 if "=" in line and " " not in line)
    for key in FIGURES:
        assert key in lines, (key, proc.stdout)
        float(lines[key])  # a number (nan allowed)
    assert 0.0 <= float(lines["wer"]) <= 1.0
    assert int(lines["cut_ins"]) >= 0 and int(lines["seed_cut_ins"]) >= 0
    assert float(lines["first_audio_ms"]) > 0 or lines["first_audio_ms"] == "nan"
    assert float(lines["job_rss_mib"]) > 100  # the models really were loaded
