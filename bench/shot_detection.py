"""Bench: the strike detector (live/workers/strikes.py) on labelled synthetic tee-box audio.

    .venv/bin/python bench/shots.py detection [--seed 2] [--clips 4] [--seconds 120]
                                              [--thresholds 12,15,18]
    .venv/bin/python bench/shot_detection.py fit [--seeds 1,3,4,5]
    .venv/bin/python bench/shot_detection.py live-strikes [--seconds 180] [--every 20]

(``bench/shot_detection.py`` takes the same options.)

``bench/tee_audio.py`` builds the set: per SNR tier (6, 10, 15, 20, 30 dB) ``--clips``
clips of ``--seconds`` with strikes (driver, wood, iron) every 10-30 s, in wind, crowd
murmur, near speech, birdsong and applause, plus confounders (a dropped club, a car
door, a clap) 0-20 dB above the background. Audio is fed in 0.1 s pieces; delay is
the audio after the strike the detector needed (the live listener adds about one
segment).

``fit`` refits the detector's model (live/workers/strike_model.json): every candidate
onset the detector hears in the sets of ``--seeds`` (at ``--threshold``, lower than
the default so the knob's lower settings are in the data too), labelled a strike when
within 30 ms of one and not one when 100 ms before to 600 ms after none, and boosted
depth-3 trees on their features (strike_features.py), in plain numpy. The model is
fitted on seeds 1, 3, 4 and 5: report others (2, 6, 7, ...). The fit also hears, in
the same seeds' backgrounds (seed + 2000) and in a near-silent room with a hum (seed +
3000), the live test camera's kind of strike (tests/ingest/strikes.py: a 40 ms noise
burst and a ring dying over ~100 ms, here at 3-5 kHz and several levels): fitted on
tee_audio's strikes alone, the model found only half of that camera's strikes.

``live-strikes`` checks exactly that: the test camera's audio (its aevalsrc) through
ffmpeg as the live path has it (AAC 96k, decoded to 16 kHz mono s16le), fed in 0.1 s
pieces; prints the strikes found within 0.5 s of the truth, of all of them.
THE FIGURES ARE ON SYNTHETIC AUDIO: measure your own footage with manage.py evalshots.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import tee_audio  # noqa: E402
from live.workers import strike_features, strikes  # noqa: E402
from live.workers.strikes import StrikeDetector  # noqa: E402

SNRS = (6, 10, 15, 20, 30)
FIT_SEEDS = "1,3,4,5"
LOUD_SNR, LOUD_SEED = 45, 1000  # fitting also hears strikes 45 dB over, from seed + 1000
CAMERA_SEED, QUIET_SEED = 2000, 3000  # and the test camera's kind of strike (see fit)
CAMERA_SNRS = (10, 20, 30, 40)


def make_set(seed, clips, seconds, snrs=SNRS):
    """{snr: [(int16 pcm, strike times, [(time, confounder kind)])]} for one seed."""
    rng = np.random.default_rng(seed)
    made = {
        snr: [tee_audio.make_clip(rng, seconds, snr)[:3] for _ in range(clips)] for snr in snrs
    }
    return {
        snr: [((pcm * 32767).astype(np.int16), s, e) for pcm, s, e in each]
        for snr, each in made.items()
    }


def run(clips_by_tier, threshold):
    hits, total, false, minutes, delays, cpu = Counter(), Counter(), Counter(), 0.0, [], 0.0
    for snr, clips in clips_by_tier.items():
        for pcm, strikes_at, events in clips:
            detector, found = StrikeDetector(threshold_db=threshold), []
            started = time.process_time()
            for i in range(0, len(pcm), 1600):
                found += [(s, detector.seconds_fed) for s in detector.feed(pcm[i : i + 1600])]
            cpu += time.process_time() - started
            used = set()
            for strike in strikes_at:
                near = [f for f in found if abs(f[0] - strike) <= 0.5 and f not in used]
                if near:
                    used.add(near[0])
                    hits[snr] += 1
                    delays.append(near[0][1] - strike)
            total[snr] += len(strikes_at)
            for f in found:
                if f in used:
                    continue
                kinds = [k for w, k in events if -0.3 < f[0] - w < (8 if k == "applause" else 1)]
                false[kinds[0] if kinds else "background"] += 1
            minutes += len(pcm) / tee_audio.RATE / 60
    return hits, total, false, minutes, delays, cpu


# The live test camera's strikes -------------------------------------------------


def camera_strike(rng):
    """tests/ingest/strikes.py's strike, varied: a ~40 ms noise burst dying fast and a
    3-5 kHz ring dying over ~100 ms (the camera's: 4.2 kHz, ring 1/3 of the burst)."""
    t = np.arange(int(0.3 * tee_audio.RATE)) / tee_audio.RATE
    burst = t < rng.uniform(0.03, 0.05)
    noise = (2 * rng.random(len(t)) - 1) * np.exp(-t * rng.uniform(40, 80)) * burst
    ring = np.sin(2 * np.pi * rng.uniform(3000, 5000) * t + rng.uniform(0, 2 * np.pi))
    ring *= rng.uniform(0.2, 0.5) * np.exp(-t * rng.uniform(25, 45))
    return (noise + ring).astype(np.float32)


def _free_times(rng, seconds, busy, count):
    """Up to ``count`` times at least 4 s from ``busy`` ones and from each other."""
    times = []
    for _ in range(count):
        for _attempt in range(30):
            when = rng.uniform(2, seconds - 3)
            if all(abs(when - other) > 4 for other in busy + times):
                times.append(when)
                break
    return sorted(times)


def make_camera_set(seed, clips, seconds):
    """Like make_set, with the camera's kind of strike added to each clip (4 s clear of
    its strikes and confounders, 10-40 dB over it), and clips of a near-silent room with
    a hum where the camera's strikes and confounders are the only sounds."""
    rng = np.random.default_rng(seed)
    made = {}
    for snr in CAMERA_SNRS:
        made[snr] = []
        for _ in range(clips):
            pcm, strikes_at, events = tee_audio.make_clip(rng, seconds, snr)[:3]
            pcm = pcm.copy()
            busy = list(strikes_at) + [when for when, _ in events]
            added = _free_times(rng, seconds, busy, int(seconds / 15))
            for at in added:
                sound = camera_strike(rng)
                energy = np.mean(sound[: int(0.05 * tee_audio.RATE)] ** 2)
                level = rng.uniform(snr - 5, snr + 5)
                tee_audio._place(pcm, sound, at, np.sqrt(0.008**2 * 10 ** (level / 10) / energy))
            made[snr].append((np.clip(pcm, -0.99, 0.99), sorted(strikes_at + added), events))
    rng = np.random.default_rng(seed - CAMERA_SEED + QUIET_SEED)
    made["quiet"] = [quiet_clip(rng, seconds) for _ in range(clips)]
    return {
        tier: [((pcm * 32767).astype(np.int16), s, e) for pcm, s, e in each]
        for tier, each in made.items()
    }


def quiet_clip(rng, seconds):
    """A near-silent room (a tee box's sound 30-50 dB down, a 100-1000 Hz hum) where the
    camera's strikes and tee_audio's confounders take turns, at like levels."""
    n = int(seconds * tee_audio.RATE)
    t = np.arange(n) / tee_audio.RATE
    room = tee_audio.wind(rng, n) + tee_audio.murmur(rng, n)
    room *= 0.008 * 10 ** (-rng.uniform(30, 50) / 20) / np.sqrt(np.mean(room**2))
    pcm = room + rng.uniform(0.005, 0.03) * np.sin(2 * np.pi * rng.uniform(100, 1000) * t)
    strikes_at, events = [], []
    for i, at in enumerate(_free_times(rng, seconds, [], int(seconds / 8))):
        if i % 3 == 2:
            kind = rng.choice(list(tee_audio.CONFOUNDERS))
            sound = tee_audio.CONFOUNDERS[kind](rng)
            sound *= rng.uniform(0.1, 0.9) / (np.abs(sound).max() or 1)
            events.append((at, kind))
        else:
            sound = camera_strike(rng) * rng.uniform(0.1, 1.0)
            strikes_at.append(at)
        tee_audio._place(pcm, sound, at, 1.0)
    return np.clip(pcm, -0.99, 0.99).astype(np.float32), strikes_at, events


def camera_pcm(seconds, every, first):
    """The live test camera's audio as the listener hears it: tests/ingest/strikes.py's
    aevalsrc, AAC 96k by ffmpeg, decoded to 16 kHz mono s16le."""
    from tests.ingest.strikes import strike_audio

    encode = subprocess.Popen(
        ["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", strike_audio(every, first),
         "-t", f"{seconds:g}", "-c:a", "aac", "-b:a", "96k", "-f", "adts", "-"],
        stdout=subprocess.PIPE,
    )  # fmt: skip
    decoded = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-f", "aac", "-i", "-",
         "-ac", "1", "-ar", str(strikes.SAMPLE_RATE), "-f", "s16le", "-"],
        stdin=encode.stdout, capture_output=True, check=True, timeout=120,
    )  # fmt: skip
    encode.stdout.close()
    encode.wait()
    strikes_at = list(np.arange(first, seconds - strikes.LOOKAHEAD_SECONDS - 0.1, every))
    return np.frombuffer(decoded.stdout, dtype=np.int16), strikes_at


def live_strikes(argv):
    parser = argparse.ArgumentParser(prog="shot_detection.py live-strikes")
    parser.add_argument("--seconds", type=float, default=180)
    parser.add_argument("--every", type=float, default=20.0)
    parser.add_argument("--first", type=float, default=8.0)
    parser.add_argument("--thresholds", default="12,15,18")
    options = parser.parse_args(argv)
    pcm, strikes_at = camera_pcm(options.seconds, options.every, options.first)
    for threshold in [float(t) for t in options.thresholds.split(",")]:
        hits, total, false, _, delays, _ = run({"camera": [(pcm, strikes_at, [])]}, threshold)
        print(
            f"threshold {threshold:g} dB: the live test camera's strikes found"
            f" {hits['camera']}/{total['camera']}, false shots {sum(false.values())}"
        )


# Fitting ------------------------------------------------------------------------


def candidates(clips_by_tier, threshold):
    """(features, label) of every candidate onset: 1 strike, 0 not, None too near to tell."""
    rows = []
    for clips in clips_by_tier.values():
        for pcm, strikes_at, _ in clips:
            detector = StrikeDetector(threshold_db=threshold)
            detector.candidates = []
            for i in range(0, len(pcm), 1600):
                detector.feed(pcm[i : i + 1600])
            for seconds, features in detector.candidates:
                offsets = seconds - np.asarray(strikes_at)
                if np.any(np.abs(offsets) < 0.03):
                    rows.append((features, 1))
                elif not np.any((offsets > -0.1) & (offsets < 0.6)):
                    rows.append((features, 0))
    return rows


def _tree(x, g, h, rows, depth, min_leaf=5, lam=1.0):
    """A regression tree on the gradients (second order), as nested lists."""
    big_g, big_h = g[rows].sum(), h[rows].sum()
    best = (0.0, None, None)
    if depth > 0 and len(rows) >= 2 * min_leaf:
        for column in range(x.shape[1]):
            order = rows[np.argsort(x[rows, column], kind="stable")]
            values = x[order, column]
            left_g, left_h = np.cumsum(g[order]), np.cumsum(h[order])
            cuts = np.arange(min_leaf - 1, len(order) - min_leaf)
            cuts = cuts[values[cuts] < values[cuts + 1]]
            if not len(cuts):
                continue
            lg, lh = left_g[cuts], left_h[cuts]
            gain = lg**2 / (lh + lam) + (big_g - lg) ** 2 / (big_h - lh + lam)
            i = int(np.argmax(gain))
            if gain[i] - big_g**2 / (big_h + lam) > best[0]:
                split = (values[cuts[i]] + values[cuts[i] + 1]) / 2
                best = (gain[i] - big_g**2 / (big_h + lam), column, float(split))
    if best[1] is None:
        return -big_g / (big_h + lam)
    column, split = best[1], best[2]
    left = rows[x[rows, column] <= split]
    right = rows[x[rows, column] > split]
    return [
        column,
        round(split, 5),
        _tree(x, g, h, left, depth - 1, min_leaf, lam),
        _tree(x, g, h, right, depth - 1, min_leaf, lam),
    ]


def _shrunk(tree, rate):
    if isinstance(tree, list):
        return tree[:2] + [_shrunk(tree[2], rate), _shrunk(tree[3], rate)]
    return round(float(tree) * rate, 5)


def fit_trees(x, y, trees, depth, rate):
    """Gradient-boosted trees for the log-odds of a strike (logistic loss)."""
    bias = float(np.log(y.mean() / (1 - y.mean())))
    model = {"bias": bias, "trees": [], "cut": 0.0}
    logit = np.full(len(y), bias)
    everyone = np.arange(len(y))
    for _ in range(trees):
        p = 1 / (1 + np.exp(-logit))
        tree = _shrunk(_tree(x, p - y, p * (1 - p), everyone, depth), rate)
        model["trees"].append(tree)
        logit += [strike_features.score({"bias": 0.0, "trees": [tree]}, row) for row in x]
    return model


def fit(argv):
    parser = argparse.ArgumentParser(prog="shot_detection.py fit")
    parser.add_argument("--seeds", default=FIT_SEEDS)
    parser.add_argument("--clips", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--threshold", type=float, default=10.0)
    parser.add_argument("--loud-clips", type=int, default=2)
    parser.add_argument("--camera-clips", type=int, default=1)
    parser.add_argument("--trees", type=int, default=60)
    parser.add_argument("--depth", type=int, default=3)
    parser.add_argument("--rate", type=float, default=0.2)
    parser.add_argument("--out", default=str(strikes.MODEL_PATH))
    options = parser.parse_args(argv)
    seeds = [int(s) for s in options.seeds.split(",")]
    # Hearing the candidates needs no model: every one is kept, whatever it scores.
    StrikeDetector.model = {"bias": 0.0, "trees": [], "cut": 0.0}
    rows = []
    for seed in seeds:
        rows += candidates(make_set(seed, options.clips, options.seconds), options.threshold)
        if options.loud_clips:  # strikes far over a quiet tee box, which the bench has not
            loud = make_set(seed + LOUD_SEED, options.loud_clips, options.seconds, (LOUD_SNR,))
            rows += candidates(loud, options.threshold)
        if options.camera_clips:  # the live test camera's kind of strike (see the top)
            camera = make_camera_set(seed + CAMERA_SEED, options.camera_clips, options.seconds)
            rows += candidates(camera, options.threshold)
        print(f"seed {seed}: {len(rows)} candidates so far", file=sys.stderr)
    x = np.array([features for features, _ in rows])
    y = np.array([label for _, label in rows], dtype=float)
    model = fit_trees(x, y, options.trees, options.depth, options.rate)
    model = {
        "fitted": f"bench/shot_detection.py fit --seeds {options.seeds} --clips {options.clips}"
        f" --seconds {options.seconds:g} --threshold {options.threshold:g}"
        f" --loud-clips {options.loud_clips} --camera-clips {options.camera_clips}"
        f" --trees {options.trees} --depth {options.depth} --rate {options.rate:g}",
        "candidates": len(y),
        "strikes": int(y.sum()),
        "features": list(strike_features.NAMES),
        **model,
    }
    Path(options.out).write_text(json.dumps(model, separators=(",", ":")) + "\n")
    print(f"{options.out}: {len(y)} candidates, {int(y.sum())} at strikes", file=sys.stderr)


def main():
    if sys.argv[1:2] == ["fit"]:
        return fit(sys.argv[2:])
    if sys.argv[1:2] == ["live-strikes"]:
        return live_strikes(sys.argv[2:])
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--clips", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--thresholds", default="12,15,18")
    options = parser.parse_args()
    if str(options.seed) in FIT_SEEDS.split(","):
        print(
            f"seed {options.seed} is one the model was fitted on: report another", file=sys.stderr
        )
    clips = make_set(options.seed, options.clips, options.seconds)
    print(f"seed {options.seed}, load {os.getloadavg()[0]:.1f}; synthetic audio")
    print(
        "| threshold dB | recall | "
        + " | ".join(f"{s} dB" for s in SNRS)
        + " | false shots / 10 min | false by cause | delay p50 / p95 s | CPU s per audio min |"
    )
    print("|---" * (6 + len(SNRS)) + "|")
    for threshold in [float(t) for t in options.thresholds.split(",")]:
        hits, total, false, minutes, delays, cpu = run(clips, threshold)
        recall = sum(hits.values()) / sum(total.values())
        tiers = " | ".join(f"{hits[s] / total[s]:.2f}" for s in SNRS)
        causes = ", ".join(f"{k} {v}" for k, v in false.most_common())
        p50, p95 = np.percentile(delays, [50, 95]) if delays else (0, 0)
        print(
            f"| {threshold:g} | {recall:.3f} | {tiers} | {sum(false.values()) / minutes * 10:.2f}"
            f" | {causes} | {p50:.2f} / {p95:.2f} | {cpu / minutes:.2f} |"
        )


if __name__ == "__main__":
    main()
