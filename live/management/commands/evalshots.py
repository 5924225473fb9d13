import csv
import subprocess

import numpy as np
from django.core.management.base import BaseCommand, CommandError

from live.services.cameras import InvalidCamera, clean_auto_shots_threshold
from live.workers.strikes import DEFAULT_THRESHOLD_DB, SAMPLE_RATE, StrikeDetector

MAX_LABELS_BYTES = 1_000_000
DECODE_TIMEOUT_SECONDS = 600
CHUNK_SAMPLES = SAMPLE_RATE // 10


def read_labels(path):
    """Strike times in seconds, one a row (first column); a header row is allowed."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_LABELS_BYTES + 1)
    except OSError as exc:
        raise CommandError(f"--labels: cannot read {path}: {exc.strerror or exc}")
    if len(raw) > MAX_LABELS_BYTES:
        raise CommandError(f"--labels: {path} is larger than {MAX_LABELS_BYTES} bytes.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CommandError(f"--labels: {path} is not UTF-8 text.")
    times = []
    for number, row in enumerate(csv.reader(text.splitlines()), start=1):
        if not row or not row[0].strip() or row[0].lstrip().startswith("#"):
            continue
        try:
            value = float(row[0])
        except ValueError:
            if number == 1 and not times:
                continue  # a header
            raise CommandError(f"--labels: line {number}: {row[0][:40]!r} is not seconds.")
        if not 0 <= value < 10**7:
            raise CommandError(f"--labels: line {number}: {value} is not a time in the file.")
        times.append(value)
    if not times:
        raise CommandError(f"--labels: {path} lists no strike times (seconds, one a line).")
    return sorted(times)


def decode(path):
    """The media file's first audio track as 16 kHz mono int16 samples."""
    try:
        done = subprocess.run(
            ["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-map", "0:a:0",
             "-ac", "1", "-ar", str(SAMPLE_RATE), "-f", "s16le", "-"],
            capture_output=True, timeout=DECODE_TIMEOUT_SECONDS,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise CommandError(f"--media: ffmpeg could not read {path}: {exc}")
    if done.returncode != 0:
        why = done.stderr.decode(errors="replace")
        lines = why.strip().splitlines()
        reason = lines[-1][:200] if lines else f"ffmpeg exited with {done.returncode}"
        if "matches no streams" in why:
            reason = "it has no audio track"
        raise CommandError(f"--media: cannot read {path}: {reason}")
    samples = np.frombuffer(done.stdout[: len(done.stdout) // 2 * 2], dtype="<i2")
    if len(samples) == 0:
        raise CommandError(f"--media: {path} has no audio.")
    return samples


def evaluate(samples, labels, threshold_db, tolerance):
    """Matches detections to labels (each once, within ``tolerance``): the figures."""
    detector = StrikeDetector(threshold_db=threshold_db)
    found = []  # (strike time, audio fed when it was known)
    for start in range(0, len(samples), CHUNK_SAMPLES):
        for strike in detector.feed(samples[start : start + CHUNK_SAMPLES]):
            found.append((strike, detector.seconds_fed))
    unmatched, delays, hits = list(found), [], 0
    for label in labels:
        near = [f for f in unmatched if abs(f[0] - label) <= tolerance]
        if near:
            best = min(near, key=lambda f: abs(f[0] - label))
            unmatched.remove(best)
            hits += 1
            delays.append(best[1] - label)
    minutes = len(samples) / SAMPLE_RATE / 60
    return {
        "seconds": len(samples) / SAMPLE_RATE,
        "labels": len(labels),
        "detected": len(found),
        "hits": hits,
        "false": len(unmatched),
        "precision": hits / len(found) if found else None,
        "recall": hits / len(labels),
        "false_per_10_min": len(unmatched) / minutes * 10 if minutes else 0.0,
        "delays": delays,
        "false_at": [round(f[0], 2) for f in unmatched],
        "missed": [
            label for label in labels if not any(abs(f[0] - label) <= tolerance for f in found)
        ],
    }


class Command(BaseCommand):
    help = (
        "Measure the strike detector on your own footage: precision, recall and delay "
        "against a CSV of strike times (seconds from the start of the file, one a line)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--media", required=True, help="a video or audio file ffmpeg reads")
        parser.add_argument("--labels", required=True, help="CSV: strike times in seconds")
        parser.add_argument(
            "--threshold",
            default=str(DEFAULT_THRESHOLD_DB),
            help=f"dB above the noise floor, 6 to 40 (default {DEFAULT_THRESHOLD_DB:g}), "
            "as the camera's auto_shots_threshold",
        )
        parser.add_argument(
            "--tolerance", type=float, default=0.5, help="seconds a detection may be off"
        )

    def handle(self, media, labels, threshold, tolerance, **options):
        try:
            threshold = clean_auto_shots_threshold(threshold)
        except InvalidCamera as exc:
            raise CommandError(f"--threshold: {exc}")
        if not 0 < tolerance <= 5:
            raise CommandError("--tolerance: give seconds from more than 0 to 5.")
        times = read_labels(labels)
        figures = evaluate(decode(media), times, threshold, tolerance)
        out = self.stdout.write
        out(f"{media}: {figures['seconds'] / 60:.1f} min of audio, threshold {threshold:g} dB")
        out(f"  strikes labelled {figures['labels']}, detected {figures['detected']}")
        precision = figures["precision"]
        out(f"  precision {'-' if precision is None else f'{precision:.3f}'}")
        out(f"  recall    {figures['recall']:.3f} ({figures['hits']} of {figures['labels']})")
        out(f"  false shots per 10 min {figures['false_per_10_min']:.2f}")
        if figures["delays"]:
            p50, p95 = np.percentile(figures["delays"], [50, 95])
            out(f"  delay (audio needed after the strike) p50 {p50:.2f} s, p95 {p95:.2f} s")
        if figures["missed"]:
            out("  missed at " + ", ".join(f"{t:.2f}" for t in figures["missed"][:20]))
        if figures["false_at"]:
            out("  false at " + ", ".join(f"{t:.2f}" for t in figures["false_at"][:20]))
