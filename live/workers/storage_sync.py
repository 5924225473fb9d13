"""The packager's side of object storage: which folders the uploader mirrors, what
it reports written back to the database, and the retention purge.

Runs on the packager's loop, which only does database work here: the uploads are the
uploader's thread (``live/workers/uploader.py``), and the other calls to the bucket
(the retention purge, finishing a dead host's recording) a chores thread's, so a store
that hangs never holds up a pass (and the leases it renews). Off unless
``LIVE_RECORDINGS_STORAGE=s3``, but for the retention purge.
"""

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import connections
from django.utils import timezone

from live.models import Clip, ClipState, Recording, RecordingState
from live.services import recordings, storage
from live.services.paths import live_output_dir, output_dir_for
from live.services.recording_playlists import RECORDING_PLAYLIST
from live.workers import recorder
from live.workers.uploader import CLIP_FILE, Target, Uploader, finished_text, stored_entries

logger = logging.getLogger("live.storage")

SCAN_SECONDS = 2  # how often finished recordings and clips on this disk are looked for
PURGE_SECONDS = 600  # how often LIVE_RECORDING_RETENTION_DAYS is applied


class StorageSync:
    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self.uploader = Uploader() if storage.enabled() else None
        self.next_scan = 0.0
        self.next_purge = 0.0
        self._chores = ThreadPoolExecutor(max_workers=1, thread_name_prefix="storage-chores")
        self._pending, self._pending_lock = set(), threading.Lock()

    def chores_done(self):
        with self._pending_lock:
            return not self._pending

    def later(self, key, function, *args):
        """Runs ``function`` on the chores thread, once at a time per ``key``."""
        with self._pending_lock:
            if key in self._pending:
                return
            self._pending.add(key)

        def run():
            try:
                function(*args)
            except Exception:  # the next pass tries again
                logger.exception("storage chore %s failed", key)
            finally:
                connections.close_all()  # this thread's own database connection
                with self._pending_lock:
                    self._pending.discard(key)

        self._chores.submit(run)

    def held(self, broadcast):
        """A live broadcast this packager holds: its recording goes up as it grows."""
        if self.uploader is None:
            return
        recording = recordings.recording_of(broadcast)
        if recording is not None and recording.state in recordings.ACTIVE:
            self.uploader.want(Target(broadcast.stream_name, output_dir_for(broadcast)))

    def end_pass(self):
        now = self.clock()
        if self.uploader is not None:
            self.write_outcomes()
            if now >= self.next_scan:
                self.next_scan = now + SCAN_SECONDS
                self.hand_over_finished()
        if settings.LIVE_RECORDING_RETENTION_DAYS and now >= self.next_purge:
            self.next_purge = now + PURGE_SECONDS
            self.later("purge", purge, settings.LIVE_RECORDING_RETENTION_DAYS)

    def hand_over_finished(self):
        """Finished recordings and ready clips on this disk that are not stored yet
        (after a restart, or an upload that kept failing)."""
        root = live_output_dir()
        unstored = Recording.objects.filter(
            stored_at__isnull=True, state__in=recordings.ACTIVE + (RecordingState.READY,)
        ).values_list("broadcast__stream_name", flat=True)
        for stream in unstored:
            if (root / stream / RECORDING_PLAYLIST).exists():
                self.uploader.want(Target(stream, root / stream))
        clips = Clip.objects.filter(stored_at__isnull=True, state=ClipState.READY)
        for stream in clips.values_list("stream_name", flat=True):
            if (root / stream / CLIP_FILE).exists():
                self.uploader.want(Target(stream, root / stream, kind="clip"))

    def write_outcomes(self):
        for outcome in self.uploader.outcomes():
            stream = outcome.target.stream
            if outcome.target.kind == "clip":
                if outcome.stored:
                    Clip.objects.filter(stream_name=stream).update(stored_at=timezone.now())
                continue
            found = Recording.objects.filter(broadcast__stream_name=stream)
            if outcome.stored:
                totals = {"bytes": outcome.bytes, "duration_seconds": outcome.seconds}
                found.update(stored_at=timezone.now(), storage_problem="", **totals)
                logger.info("recording %s stored (%.0f s)", stream, outcome.seconds)
            else:
                found.update(storage_problem=outcome.problem)

    def finish_absent(self, recording):
        """A stopped recording no disk here has (its media host died): finished from the
        parts in the bucket, or failed if none reached it (recorder.finish_stopped)."""
        if self.uploader is None:
            return recorder.fail_absent(recording)
        self.later(f"finish-{recording.pk}", finish_from_bucket, recording)

    def close(self):
        if self.uploader is not None:
            self.uploader.close()
        self._chores.shutdown(wait=True, cancel_futures=True)


def purge(days):
    try:
        purged = recordings.purge_recordings(days)
    except storage.StorageUnavailable as exc:
        logger.warning("retention purge postponed: object storage: %s", exc)
    else:
        if purged:
            logger.info("retention: %s recordings purged", len(purged))


def finish_from_bucket(recording):
    """Ends a recording from its parts in the bucket (its media host is gone)."""
    stream = recording.broadcast.stream_name
    try:
        listed = storage.listed(stream)
        entries = stored_entries(stream, listed)
        if entries:
            storage.upload_text(stream, RECORDING_PLAYLIST, finished_text(entries))
    except storage.StorageUnavailable as exc:
        logger.warning("recording %s: finishing from the bucket postponed: %s", stream, exc)
        return
    if not entries:
        return recorder.fail_absent(recording)
    Recording.objects.filter(pk=recording.pk, state__in=recordings.ACTIVE).update(
        state=RecordingState.READY,
        stored_at=timezone.now(),
        stopped_at=recording.broadcast.stopped_at,
        duration_seconds=sum(entry.duration for entry in entries),
        bytes=sum(listed.get(entry.uri, 0) for entry in entries),
        storage_problem="",
    )
    logger.warning("recording %s finished from the bucket: its media host is gone", stream)
