"""The strike detector (live/workers/strikes.py) on short synthetic signals (bench/tee_audio)."""

import shutil
import subprocess

import numpy as np
import pytest

from bench import tee_audio
from live.workers.strikes import LOOKAHEAD_SECONDS, SAMPLE_RATE, StrikeDetector
from tests.ingest.strikes import strike_audio


def scene(rng, sounds, seconds=12.0, level=0.008):
    """Wind and murmur at ``level`` RMS with (time, sound, dB over the background) added."""
    n = int(seconds * SAMPLE_RATE)
    background = tee_audio.wind(rng, n) + 0.5 * tee_audio.murmur(rng, n, talkers=6)
    background *= level / np.sqrt(np.mean(background**2))
    out = background.copy()
    for at, sound, snr in sounds:
        energy = np.mean(sound[: int(0.05 * SAMPLE_RATE)] ** 2)
        gain = np.sqrt(level**2 * 10 ** (snr / 10) / energy)
        i = int(at * SAMPLE_RATE)
        out[i : i + len(sound)] += gain * sound[: len(out) - i]
    return (np.clip(out, -0.99, 0.99) * 32767).astype(np.int16)


def detect(pcm, chunk=1600, **options):
    detector = StrikeDetector(**options)
    found = []
    for start in range(0, len(pcm), chunk):
        found += detector.feed(pcm[start : start + chunk])
    return found


@pytest.mark.parametrize("kind", ["driver", "wood", "iron"])
def test_a_strike_is_found_at_its_time(kind):
    rng = np.random.default_rng(7)
    sound, _ = tee_audio.strike(rng, kind)
    found = detect(scene(rng, [(5.0, sound, 20)]))
    assert len(found) == 1 and abs(found[0] - 5.0) < 0.05, found


def test_the_pieces_fed_do_not_change_what_is_found():
    rng = np.random.default_rng(8)
    pcm = scene(rng, [(4.0, tee_audio.strike(rng, "driver")[0], 20)])
    assert detect(pcm, chunk=333) == detect(pcm, chunk=16000) == detect(pcm, chunk=len(pcm))


def test_strikes_within_the_merge_window_are_one_shot():
    rng = np.random.default_rng(9)
    hits = [(4.0, tee_audio.strike(rng, "driver")[0], 25), (5.5, tee_audio.strike(rng)[0], 25)]
    found = detect(scene(rng, hits + [(9.0, tee_audio.strike(rng, "driver")[0], 25)]))
    assert [round(t) for t in found] == [4, 9]


def test_a_clap_and_a_car_door_are_not_strikes():
    rng = np.random.default_rng(10)
    clap = tee_audio.clap(rng)
    door = tee_audio.car_door(rng)
    assert detect(scene(rng, [(4.0, clap, 15), (8.0, door, 15)])) == []


def test_the_threshold_decides_how_loud_a_strike_must_be():
    rng = np.random.default_rng(11)
    pcm = scene(rng, [(5.0, tee_audio.strike(rng, "driver")[0], 12)])
    assert len(detect(pcm, threshold_db=10)) == 1
    assert detect(pcm, threshold_db=30) == []


def test_a_strike_is_known_within_the_lookahead():
    rng = np.random.default_rng(12)
    pcm = scene(rng, [(5.0, tee_audio.strike(rng, "driver")[0], 20)])
    detector = StrikeDetector()
    known_at = None
    for start in range(0, len(pcm), 160):  # 10 ms at a time
        if detector.feed(pcm[start : start + 160]):
            known_at = detector.seconds_fed
            break
    assert known_at is not None and known_at - 5.0 <= LOOKAHEAD_SECONDS + 0.05


def test_a_dropped_club_bouncing_is_not_a_strike():
    rng = np.random.default_rng(13)
    drops = [(3.0 + 4 * i, tee_audio.dropped_club(rng), 15) for i in range(3)]
    assert detect(scene(rng, drops, seconds=16.0)) == []


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")
def test_every_strike_of_the_live_test_camera_is_found():
    # The SRT test camera's audio (bench/shots.py, tests/ingest) as the listener hears
    # it: AAC, then 16 kHz mono s16le. Its strike is not tee_audio's; the model must
    # know it too (bench/shot_detection.py live-strikes runs a longer one).
    encode = subprocess.Popen(
        ["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", strike_audio(6, 3),
         "-t", "60", "-c:a", "aac", "-b:a", "96k", "-f", "adts", "-"],
        stdout=subprocess.PIPE,
    )  # fmt: skip
    decoded = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-f", "aac", "-i", "-",
         "-ac", "1", "-ar", str(SAMPLE_RATE), "-f", "s16le", "-"],
        stdin=encode.stdout, capture_output=True, check=True, timeout=30,
    )  # fmt: skip
    encode.stdout.close()
    encode.wait()
    found = detect(np.frombuffer(decoded.stdout, dtype=np.int16))
    assert [round(t) for t in found] == list(range(3, 60, 6)), found
