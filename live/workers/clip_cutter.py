"""Cutting pending clips: the packager's loop (or ``manage.py cutclips``) claims each
pending clip and cuts it with ffmpeg's concat demuxer by stream copy.

A shot's clip ends after its strike, in the future when the shot is made: it waits,
pending, until its live recording holds its end, and is cut in the same pass that
appends that segment. A shot's clip also gets ``thumb.jpg`` at the strike, and
``live/services/shots.py`` hears of it in the transaction that makes it ready.

What a clip is and which ranges are allowed: ``live/services/clips.py``.
"""

import logging
import os
import subprocess
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from live.models import Clip, ClipState
from live.services import shots
from live.services.clips import CLIP_FILE, on_arrival_clock, pieces_of
from live.services.paths import live_output_dir
from live.services.recordings import ACTIVE
from live.services.thumbnails import THUMBNAIL
from live.workers.thumbnailer import MAX_HEIGHT

logger = logging.getLogger("live.clips")

CUT_TIMEOUT_SECONDS = 60
# A cutter that died mid-cut leaves its clip "cutting": another takes it after this.
STALE_CUT_SECONDS = 90
# A clip whose live recording stopped growing (a stalled camera) is cut with what
# there is once its end is this far past.
WAIT_PAST_END_SECONDS = 30
# Pending clips looked at per pass; shots waiting for their end stay pending.
PENDING_SCAN = 50


def cut_command(list_file: Path, offset, duration, output: Path):
    return [
        "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
        "-f", "concat", "-safe", "0", "-ss", f"{offset:.3f}", "-i", str(list_file),
        "-t", f"{duration:.3f}", "-map", "0:v:0", "-map", "0:a:0?",
        "-c", "copy", "-movflags", "+faststart", "-f", "mp4", str(output),
    ]  # fmt: skip


def strike_thumbnail_command(source: Path, offset, output: Path):
    """The frame at ``offset`` seconds into ``source`` (decoded from the keyframe before)."""
    return [
        "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
        "-ss", f"{offset:.3f}", "-i", str(source), "-map", "0:v:0", "-frames:v", "1",
        "-vf", f"scale=-2:'min({MAX_HEIGHT},ih)'", "-q:v", "5",
        "-f", "image2", "-update", "1", str(output),
    ]  # fmt: skip


def clip_pieces(clip, pieces=None):
    """The recording's pieces on their arrival clock (clips.on_arrival_clock)."""
    end = clip.start + timedelta(seconds=clip.duration)
    pieces = pieces_of(clip.recording) if pieces is None else pieces
    return on_arrival_clock(clip.recording, pieces, clip.start, end)


def recorded_through(clip, pieces, now):
    """Whether the recording holds the clip's end (or never will: stopped, or stalled)."""
    end = clip.start + timedelta(seconds=clip.duration)
    if clip.recording.state not in ACTIVE or clip.recording.broadcast.stopped_at is not None:
        return clip.recording.state not in ACTIVE  # a stopped one is finished first
    if pieces and pieces[-1].end >= end:
        return True
    return now > end + timedelta(seconds=WAIT_PAST_END_SECONDS)


def cut_clip(clip, pieces=None):
    """Cuts one claimed clip; it ends ready or failed."""
    end = clip.start + timedelta(seconds=clip.duration)
    pieces = [p for p in clip_pieces(clip, pieces) if p.end > clip.start and p.start < end]
    folder = live_output_dir() / clip.stream_name
    folder.mkdir(parents=True, exist_ok=True)
    output = folder / f".{CLIP_FILE}.tmp"
    error = ""
    if not pieces:
        error = "The recording no longer holds that range."
    else:
        offset = max(0.0, (clip.start - pieces[0].start).total_seconds())
        error = _run_cut(pieces, offset, clip.duration, output)
    if error:
        output.unlink(missing_ok=True)
        Clip.objects.filter(pk=clip.pk).update(state=ClipState.FAILED, error=error[:200])
        logger.warning("clip %s failed: %s", clip.pk, error)
        return
    os.chmod(output, 0o644)  # nginx's workers read as another user
    os.replace(output, folder / CLIP_FILE)
    strike = shots.strike_of(clip)
    if strike is not None and not (folder / THUMBNAIL).exists():
        make_strike_thumbnail(folder / CLIP_FILE, strike, folder)
    now = timezone.now()
    with transaction.atomic():
        Clip.objects.filter(pk=clip.pk).update(
            state=ClipState.READY, bytes=(folder / CLIP_FILE).stat().st_size, ready_at=now
        )
        shots.clip_ready(clip, now)


def _run_cut(pieces, offset, duration, output):
    """ffmpeg's concat over the pieces; the error, or ""."""
    with tempfile.TemporaryDirectory() as scratch:
        list_file = Path(scratch) / "pieces.ffconcat"
        lines = ["ffconcat version 1.0"]
        for piece in pieces:
            lines += [f"file '{piece.path}'", f"duration {piece.duration:.3f}"]
        list_file.write_text("\n".join(lines) + "\n")
        try:
            done = subprocess.run(
                cut_command(list_file, offset, duration, output),
                capture_output=True,
                text=True,
                timeout=CUT_TIMEOUT_SECONDS,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"ffmpeg failed: {exc}"[:200]
    return f"ffmpeg failed: {done.stderr.strip()[-150:]}" if done.returncode != 0 else ""


def early_thumbnail(clip, pieces):
    """A waiting shot's ``thumb.jpg``, made from the strike's segment as soon as it is
    recorded: off the path from the clip's last segment to ready."""
    folder = live_output_dir() / clip.stream_name
    if (folder / THUMBNAIL).exists():
        return
    strike = shots.strike_of(clip)
    if strike is None:
        return
    at = clip.start + timedelta(seconds=strike)
    piece = next((p for p in pieces if p.start <= at < p.end), None)
    if piece is None:
        return
    folder.mkdir(parents=True, exist_ok=True)
    make_strike_thumbnail(piece.path, (at - piece.start).total_seconds(), folder)


def make_strike_thumbnail(source, offset, folder):
    """``thumb.jpg`` in ``folder`` from the frame ``offset`` seconds into ``source``; a
    shot without one still plays."""
    scratch = folder / f".{THUMBNAIL}.tmp"
    try:
        done = subprocess.run(
            strike_thumbnail_command(source, offset, scratch),
            capture_output=True,
            text=True,
            timeout=CUT_TIMEOUT_SECONDS,
        )
        if done.returncode == 0 and scratch.exists():
            os.chmod(scratch, 0o644)
            os.replace(scratch, folder / THUMBNAIL)
            return
        logger.warning("thumbnail in %s failed: %s", folder.name, done.stderr.strip()[-150:])
    except (OSError, subprocess.TimeoutExpired) as exc:
        logger.warning("thumbnail in %s failed: %s", folder.name, exc)
    scratch.unlink(missing_ok=True)


def cut_pending_clips(limit=4):
    """Claims and cuts pending clips whose range is recorded, oldest first; returns how
    many were cut."""
    now = timezone.now()
    stale = now - timedelta(seconds=STALE_CUT_SECONDS)
    Clip.objects.filter(state=ClipState.CUTTING, created_at__lt=stale).update(
        state=ClipState.PENDING
    )
    done, pieces_by_recording = 0, {}
    pending = Clip.objects.filter(state=ClipState.PENDING).select_related("recording__broadcast")
    for clip in pending.order_by("pk")[:PENDING_SCAN]:
        if done >= limit:
            break
        if clip.recording_id not in pieces_by_recording:
            pieces_by_recording[clip.recording_id] = pieces_of(clip.recording)
        pieces = pieces_by_recording[clip.recording_id]
        placed = clip_pieces(clip, pieces)
        if not recorded_through(clip, placed, now):
            early_thumbnail(clip, placed)
            continue
        if Clip.objects.filter(pk=clip.pk, state=ClipState.PENDING).update(
            state=ClipState.CUTTING
        ):
            cut_clip(clip, pieces)
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
