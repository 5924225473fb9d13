"""Cutting pending clips: the packager's loop (or ``manage.py cutclips``) claims each
pending clip and cuts it with ffmpeg's concat demuxer by stream copy.

What a clip is and which ranges are allowed: ``live/services/clips.py``.
"""

import logging
import os
import subprocess
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from django.utils import timezone

from live.models import Clip, ClipState
from live.services import storage
from live.services.clips import CLIP_FILE, pieces_of
from live.services.paths import live_output_dir

logger = logging.getLogger("live.clips")

CUT_TIMEOUT_SECONDS = 60
# A cutter that died mid-cut leaves its clip "cutting": another takes it after this.
STALE_CUT_SECONDS = 90


def cut_command(list_file: Path, offset, duration, output: Path):
    return [
        "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
        "-f", "concat", "-safe", "0", "-ss", f"{offset:.3f}", "-i", str(list_file),
        "-t", f"{duration:.3f}", "-map", "0:v:0", "-map", "0:a:0?",
        "-c", "copy", "-movflags", "+faststart", "-f", "mp4", str(output),
    ]  # fmt: skip


def cut_clip(clip):
    """Cuts one claimed clip; it ends ready or failed."""
    end = clip.start + timedelta(seconds=clip.duration)
    pieces = [p for p in pieces_of(clip.recording) if p.end > clip.start and p.start < end]
    folder = live_output_dir() / clip.stream_name
    folder.mkdir(parents=True, exist_ok=True)
    output = folder / f".{CLIP_FILE}.tmp"
    error = ""
    if not pieces:
        error = "The recording no longer holds that range."
    else:
        offset = max(0.0, (clip.start - pieces[0].start).total_seconds())
        with tempfile.TemporaryDirectory() as scratch:
            list_file = Path(scratch) / "pieces.ffconcat"
            lines = ["ffconcat version 1.0"]
            try:
                for number, piece in enumerate(pieces):
                    path = _local(piece, Path(scratch) / f"{number}{piece.path.suffix}")
                    lines += [f"file '{path}'", f"duration {piece.duration:.3f}"]
            except (FileNotFoundError, storage.StorageUnavailable) as exc:
                error = f"A segment could not be read: {exc}"[:200]
            else:
                list_file.write_text("\n".join(lines) + "\n")
                error = _run_cut(list_file, offset, clip.duration, output)
    if error:
        output.unlink(missing_ok=True)
        Clip.objects.filter(pk=clip.pk).update(state=ClipState.FAILED, error=error[:200])
        logger.warning("clip %s failed: %s", clip.pk, error)
        return
    os.chmod(output, 0o644)  # nginx's workers read as another user
    os.replace(output, folder / CLIP_FILE)
    Clip.objects.filter(pk=clip.pk).update(
        state=ClipState.READY, bytes=(folder / CLIP_FILE).stat().st_size, ready_at=timezone.now()
    )


def _run_cut(list_file, offset, duration, output):
    """Runs the cut; the reason it failed, or ""."""
    try:
        done = subprocess.run(
            cut_command(list_file, offset, duration, output),
            capture_output=True,
            text=True,
            # A whole recording (export_recording) copies longer.
            timeout=max(CUT_TIMEOUT_SECONDS, duration / 10),
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"ffmpeg failed: {exc}"[:200]
    return f"ffmpeg failed: {done.stderr.strip()[-150:]}" if done.returncode != 0 else ""


def _local(piece, scratch_path: Path):
    """The piece on this disk, or fetched from the bucket into the scratch folder."""
    if piece.path.exists() or not (piece.key and storage.enabled()):
        return piece.path
    storage.download(piece.stream, piece.key, scratch_path)
    return scratch_path


def cut_pending_clips(limit=4):
    """Claims and cuts pending clips, oldest first; returns how many were cut."""
    stale = timezone.now() - timedelta(seconds=STALE_CUT_SECONDS)
    Clip.objects.filter(state=ClipState.CUTTING, created_at__lt=stale).update(
        state=ClipState.PENDING
    )
    done = 0
    for clip in Clip.objects.filter(state=ClipState.PENDING).order_by("pk")[:limit]:
        if Clip.objects.filter(pk=clip.pk, state=ClipState.PENDING).update(
            state=ClipState.CUTTING
        ):
            clip = Clip.objects.select_related("recording__broadcast").get(pk=clip.pk)
            cut_clip(clip)
            done += 1
    return done


def wait_until_cut(clip, timeout=10):  # for tests and the bench
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        clip.refresh_from_db()
        if clip.state in (ClipState.READY, ClipState.FAILED):
            return clip
        time.sleep(0.1)
    return clip
