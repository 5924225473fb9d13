"""Automatic shots: the packager listens to each ``auto_shots`` camera's recorded sound.

Per pass and live broadcast whose camera has ``auto_shots`` on, the segments newly
listed in its recording (``recording.m3u8``, the ones clips are cut from) are
decoded to 16 kHz mono PCM by one short ffmpeg job (``-f s16le``; the segment
heard last goes first, so the AAC decoder starts warm and its first frame makes
no false edge), and fed to that broadcast's ``StrikeDetector``. Each strike
becomes ``record_shot(camera, at, source="audio")``, with ``at`` on the same clock
the clip cutter cuts by (``on_arrival_clock``), so the clip is around the strike.

Reading the recording rather than the camera keeps the listener out of the ingest
path, one code path for every ingest, like the ladder and the thumbnails. The
cost: a strike is heard once the segment holding it (and 0.51 s after it,
strikes.LOOKAHEAD_SECONDS) is
finished, so about one segment after the strike. A camera without a recording
(``record`` off) is not listened to: a shot is cut from the recording.
"""

import logging
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import numpy as np
from django.utils import timezone

from live.models import Recording, RecordingState, Shot, ShotSource
from live.services.clips import on_arrival_clock, pieces_of
from live.services.shots import MERGE_SECONDS, ShotError, record_shot
from live.workers.ffmpeg_job import Job
from live.workers.strikes import SAMPLE_RATE, StrikeDetector

logger = logging.getLogger("live.packager")

DECODE_TIMEOUT_SECONDS = 20
# A packager that starts on a broadcast already long recorded listens from here on.
MAX_BACKLOG_PIECES = 4


@dataclass
class Heard:
    """A stretch of the audio fed to the detector and where it is on the clock."""

    fed_from: float  # seconds of audio fed before it
    seconds: float
    start: object  # datetime of its first sample


@dataclass
class Listener:
    broadcast_id: int
    threshold_db: float
    detector: StrikeDetector
    next_piece: int = -1  # index in the recording's pieces of the next to hear
    job: Job | None = None
    batch: list = field(default_factory=list)  # (piece index, piece) in the running job
    warm: object = None  # the piece decoded first, thrown away (its samples)
    heard: list = field(default_factory=list)


def decode_command(list_file: Path, output: Path):
    return [
        "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
        "-f", "concat", "-safe", "0", "-i", str(list_file),
        "-map", "0:a:0", "-ac", "1", "-ar", str(SAMPLE_RATE), "-f", "s16le", str(output),
    ]  # fmt: skip


class ShotListeners:
    """The packager's listeners, one per live broadcast with ``auto_shots`` on."""

    def __init__(self):
        self.listeners: dict[int, Listener] = {}
        self.seen: set[int] = set()
        self.scratch = Path(tempfile.mkdtemp(prefix="teecam-shot-listener-"))

    def tick(self, broadcast):
        """Once a pass per live broadcast this packager holds."""
        camera = broadcast.camera
        if not camera.auto_shots:
            return
        self.seen.add(broadcast.pk)
        listener = self.listeners.get(broadcast.pk)
        if listener is None or listener.threshold_db != camera.auto_shots_threshold:
            resume = -1
            if listener is not None:  # a new threshold: hear on from where it was
                running = listener.job is not None
                resume = listener.batch[0][0] if running else listener.next_piece
                self._drop(broadcast.pk)
            listener = Listener(
                broadcast.pk,
                camera.auto_shots_threshold,
                StrikeDetector(threshold_db=camera.auto_shots_threshold),
                next_piece=resume,
            )
            self.listeners[broadcast.pk] = listener
        try:
            self._listen(listener, broadcast)
        except Exception:  # one camera's trouble must not stop the packager's pass
            logger.exception("broadcast %s: listening for strikes failed", broadcast.pk)

    def end_pass(self):
        """Listeners of broadcasts no longer live here (or switched off) stop."""
        for broadcast_id in set(self.listeners) - self.seen:
            self._drop(broadcast_id)
        self.seen = set()

    def close(self):
        for broadcast_id in list(self.listeners):
            self._drop(broadcast_id)
        shutil.rmtree(self.scratch, ignore_errors=True)

    def _drop(self, broadcast_id):
        listener = self.listeners.pop(broadcast_id, None)
        if listener is not None and listener.job is not None:
            listener.job.cancel()

    # One listener -----------------------------------------------------------------

    def _listen(self, listener, broadcast):
        recording = (
            Recording.objects.filter(broadcast=broadcast, state=RecordingState.RECORDING)
            .select_related("broadcast")
            .first()
        )
        if recording is None:
            return
        if listener.job is not None:
            done = listener.job.poll()
            if done is None:
                return
            job, listener.job = listener.job, None
            if done:
                self._hear(listener, broadcast, recording, job)
            else:  # those segments go unheard; the next job starts after them
                listener.detector = StrikeDetector(threshold_db=listener.threshold_db)
                listener.heard = []
        pieces = pieces_of(recording)
        if listener.next_piece < 0:
            listener.next_piece = max(0, len(pieces) - MAX_BACKLOG_PIECES)
        new = list(enumerate(pieces))[listener.next_piece :]
        if not new:
            return
        warm = pieces[listener.next_piece - 1] if listener.next_piece > 0 else None
        listed = ([warm] if warm is not None else []) + [piece for _, piece in new]
        list_file = self.scratch / f"{broadcast.pk}.ffconcat"
        lines = ["ffconcat version 1.0"]
        for piece in listed:
            lines += [f"file '{piece.path}'", f"duration {piece.duration:.3f}"]
        list_file.write_text("\n".join(lines) + "\n")
        output = self.scratch / f"{broadcast.pk}.pcm"
        listener.batch, listener.warm = new, warm
        listener.next_piece = new[-1][0] + 1
        logger.debug("broadcast %s: hearing pieces %s-%s", broadcast.pk, new[0][0], new[-1][0])
        listener.job = Job(
            decode_command(list_file, output.with_suffix(".tmp")),
            [(output.with_suffix(".tmp"), output)],
            DECODE_TIMEOUT_SECONDS,
            f"broadcast {broadcast.pk} strike listener",
        )

    def _hear(self, listener, broadcast, recording, job):
        output = job.outputs[0][1]
        pcm = np.fromfile(output, dtype="<i2")
        output.unlink(missing_ok=True)
        skip = round(listener.warm.duration * SAMPLE_RATE) if listener.warm else 0
        pcm = pcm[skip:]
        # The batch's pieces on the cutter's clock (judged around them, as the cutter does).
        everything = pieces_of(recording)
        first, last = listener.batch[0][0], listener.batch[-1][0]
        moved = on_arrival_clock(
            recording, everything, everything[first].start, everything[last].end
        )
        clock = moved[first : last + 1]
        detector = listener.detector
        for index, piece in enumerate(clock):
            begin = round(sum(p.duration for p in clock[:index]) * SAMPLE_RATE)
            end = None if index == len(clock) - 1 else begin + round(piece.duration * SAMPLE_RATE)
            samples = pcm[begin:end]
            listener.heard.append(
                Heard(detector.seconds_fed, len(samples) / SAMPLE_RATE, piece.start)
            )
            listener.heard = listener.heard[-16:]
            for strike in detector.feed(samples):
                self._shoot(listener, broadcast, strike)

    def _shoot(self, listener, broadcast, strike):
        stretch = next((h for h in reversed(listener.heard) if h.fed_from <= strike), None)
        if stretch is None:
            return
        at = stretch.start + timedelta(seconds=strike - stretch.fed_from)
        # One shot per strike, whoever told it first: a marshal's tap or the API (the
        # listener hears a strike a segment late, so they usually come first), or this
        # listener already (a packager that took the broadcast over hears its last
        # seconds again). A hidden one counts: staff took that strike out.
        merge = timedelta(seconds=MERGE_SECONDS)
        if Shot.objects.filter(
            camera=broadcast.camera, at__range=(at - merge, at + merge)
        ).exists():
            return
        try:
            shot = record_shot(broadcast.camera, at, source=ShotSource.AUDIO, actor="audio")
        except ShotError as exc:
            logger.warning("broadcast %s: strike at %s not kept: %s", broadcast.pk, at, exc)
            return
        logger.info(
            "broadcast %s: strike heard at %s (shot %s, %.1f s later)",
            broadcast.pk,
            at.isoformat(),
            shot.pk,
            (timezone.now() - at).total_seconds(),
        )
