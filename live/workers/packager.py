"""The packager: one ffmpeg per live SRT or RTSP broadcast, and health for all ingest.

``manage.py livepackager`` runs ``Packager().run()``. Each pass reconciles the
database with the running processes:

- a live SRT/RTSP broadcast whose lease this packager holds (or can take
  because it lapsed) gets exactly one ffmpeg writing a live HLS window into
  ``<data dir>/hls/<stream name>/``; one that dies is restarted with backoff;
- a broadcast that stopped, or whose lease was lost, has its ffmpeg stopped;
- every live ingest broadcast (RTMP and WHIP too, whose HLS nginx-rtmp and
  ``manage.py runwhip`` write) gets its health written back from the age of its
  newest segment, and is ended after the reconnect window without one.

Children get SIGKILL from the kernel if the packager dies (PR_SET_PDEATHSIG),
and their pids are kept in the lease, so a ``kill -9`` of the packager leaves
no ffmpeg behind and the next packager reaps any that survived.

This module holds the loop with its leases and the restarts of its children.
The rest is beside it: ``ffmpeg_command`` (the command line, the transcode
switch), ``child_processes`` (starting, marking, logging, stopping and reaping
children), ``hls_output`` (the folders on disk) and ``ingest_health``.
"""

import logging
import os
import signal
import socket
import time
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from live.models import Broadcast, PackagerLease, WorkerKind
from live.services.heartbeats import Heartbeat
from live.services import recordings
from live.workers import clip_cutter, hls_output, recorder
from live.workers.child_processes import (
    Child,
    find_marked_processes,
    kill_orphan,
    start_marked_child,
    terminate,
)
from live.workers.ffmpeg_command import ffmpeg_command, switch_to_transcode
from live.services.paths import LOG_SUFFIX, output_dir_for
from live.workers.ingest_health import write_health
from live.workers.leases import Leases
from live.workers.media_jobs import MediaJobs
from live.workers.shot_listener import ShotListeners
from live.workers.storage_sync import StorageSync
from live.services.media import PLAYLIST
from live.workers.simulcast import Simulcaster
from live.workers.samples import take_samples_safely
from live.services.sources import (
    PACKAGED_SOURCES,
    facts_of,
    ingest_sources,
    redact_camera_url,
)

# Re-exported: what tests and tools import from here, from before the split.
from live.workers.child_processes import (  # noqa: F401
    CHILD_MARKER,
    SCOPE_MARKER,
    copy_redacted,
    packager_scope,
    secrets_of,
)
from live.workers.ffmpeg_command import needs_transcode  # noqa: F401
from live.workers.hls_output import trim_segments  # noqa: F401

logger = logging.getLogger("live.packager")

MAX_BACKOFF_SECONDS = 10


@dataclass
class Restart:
    failures: int = 0
    not_before: float = 0.0
    transcode: bool = False


class Packager:
    def __init__(self, poll_seconds=0.5, owner=None, lease_seconds=None):
        self.poll_seconds = poll_seconds
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.leases = Leases(self.owner, lease_seconds or settings.LIVE_PACKAGER_LEASE_SECONDS)
        self.children: dict[int, Child] = {}
        self.restarts: dict[int, Restart] = {}
        # The stream key each child listens with: a rotated key restarts it, so the
        # old key stops working at once for SRT too.
        self.child_secrets: dict[int, str] = {}
        self.stopping = False
        self.simulcast = Simulcaster(self.owner, self.lease_seconds)
        self.media_jobs = MediaJobs()  # ladder rungs and thumbnails (media_jobs.py)
        # Uploads to object storage, in a thread of its own (storage_sync.py, uploader.py).
        self.storage = StorageSync()
        self.shot_listeners = ShotListeners()  # auto_shots cameras (shot_listener.py)

    # The loop -----------------------------------------------------------

    def run(self, max_seconds=None):
        signal.signal(signal.SIGTERM, self._request_stop)
        signal.signal(signal.SIGINT, self._request_stop)
        deadline = time.monotonic() + max_seconds if max_seconds else None
        logger.info("packager %s starting", self.owner)
        self.reap_orphans()
        try:
            heartbeat = Heartbeat(WorkerKind.PACKAGER)
            while not self.stopping and (deadline is None or time.monotonic() < deadline):
                close_old_connections()
                heartbeat.beat()
                try:
                    self.reconcile()
                except Exception:  # a bad pass must not kill every stream
                    logger.exception("packager pass failed; retrying")
                time.sleep(self.poll_seconds)
        finally:
            self.shutdown()

    def _request_stop(self, signum, frame):
        self.stopping = True

    def shutdown(self):
        for broadcast_id in list(self.children):
            self.stop_child(broadcast_id)
        self.simulcast.shutdown()
        self.media_jobs.close()
        self.storage.close()
        self.shot_listeners.close()
        PackagerLease.objects.filter(owner=self.owner).delete()
        logger.info("packager %s stopped", self.owner)

    def reconcile(self):
        now = timezone.now()
        live = list(
            Broadcast.objects.filter(
                stopped_at__isnull=True, source__in=ingest_sources()
            ).select_related("camera", "recording")
        )
        live_ids = {broadcast.pk for broadcast in live}
        # Ended broadcasts: their ffmpeg stops, and so does the lease of those
        # without one (RTMP), so leases do not pile up.
        for broadcast_id in set(self.children) | set(self.renewed):
            if broadcast_id not in live_ids:
                self.stop_child(broadcast_id)
                self.release(broadcast_id)
        disk_trouble = recordings.disk_problem() if live else None
        for broadcast in live:
            if not self.leases.feeds_here(broadcast) or not self.hold_lease(broadcast, now):
                if broadcast.pk in self.children:
                    self.stop_child(broadcast.pk)
                continue
            if broadcast.source in PACKAGED_SOURCES:
                self.keep_child_running(broadcast)
            recorder.keep_or_trim(broadcast, disk_trouble)
            self.storage.held(broadcast)
            write_health(broadcast, now)
            self.media_jobs.tick(broadcast)
            self.shot_listeners.tick(broadcast)
        self.media_jobs.end_pass()
        self.shot_listeners.end_pass()
        recorder.finish_stopped(self.storage.finish_absent)
        clip_cutter.cut_pending_clips()
        self.storage.end_pass()
        self.remove_stale_output(live)
        self.simulcast.reconcile(now)
        take_samples_safely(now)  # chart samples (audience, bitrate, fps); never raises

    # Leases (leases.py) ---------------------------------------------------

    @property
    def renewed(self):
        return self.leases.renewed

    @property
    def lease_seconds(self):
        return self.leases.seconds

    @property
    def renew_every(self):
        return self.leases.renew_every

    def hold_lease(self, broadcast, now):
        """True if this packager holds (or just took) the broadcast's lease."""
        child = self.children.get(broadcast.pk)
        return self.leases.hold(broadcast, now, child.process.pid if child else None)

    def release(self, broadcast_id):
        self.restarts.pop(broadcast_id, None)
        self.leases.release(broadcast_id)

    def reap_orphans(self):
        """Kill ffmpegs left by a packager that died (e.g. kill -9) whose lease lapsed."""
        held = set(
            PackagerLease.objects.filter(expires_at__gte=timezone.now()).values_list(
                "broadcast_id", flat=True
            )
        )
        for pid, broadcast_id in find_marked_processes():
            if broadcast_id not in held:
                kill_orphan(pid, broadcast_id)

    # Children -----------------------------------------------------------

    def keep_child_running(self, broadcast):
        child = self.children.get(broadcast.pk)
        restart = self.restarts.setdefault(broadcast.pk, Restart())
        if child is not None:
            code = child.process.poll()
            if code is None:
                rotated = self.child_secrets.get(broadcast.pk) != broadcast.ingest_secret
                if rotated and facts_of(broadcast.source).stream_key:
                    logger.info("broadcast %s: stream key rotated, restarting", broadcast.pk)
                    self.stop_child(broadcast.pk)
                    restart.not_before = 0.0
                    self.start_child(broadcast, restart.transcode)
                elif switch_to_transcode(broadcast, child, restart):
                    self.stop_child(broadcast.pk)
                return
            del self.children[broadcast.pk]
            if child.log_pump is not None:
                child.log_pump.join(timeout=1)  # its last lines may name the codec
            ran = time.monotonic() - child.started_at
            # A listener exits 0 when its camera leaves: restart at once to
            # wait for the reconnect. Failures back off up to 10 s.
            if switch_to_transcode(broadcast, child, restart):
                restart.failures = 0
            elif code == 0 or ran > 30:
                restart.failures = 0
            else:
                restart.failures += 1
            delay = (
                0
                if restart.failures == 0
                else min(2 ** (restart.failures - 1), MAX_BACKOFF_SECONDS)
            )
            restart.not_before = time.monotonic() + delay
            logger.info(
                "broadcast %s: ffmpeg exited with %s after %.1f s; restarting in %s s",
                broadcast.pk,
                code,
                ran,
                delay,
            )
        if time.monotonic() < restart.not_before:
            return
        self.start_child(broadcast, restart.transcode)

    def start_child(self, broadcast, transcode):
        folder = output_dir_for(broadcast)
        folder.mkdir(parents=True, exist_ok=True)
        resume = (folder / PLAYLIST).exists()
        log_path = folder.parent / f".{broadcast.stream_name}{LOG_SUFFIX}"
        command = ffmpeg_command(broadcast, transcode=transcode, resume=resume)
        child = start_marked_child(broadcast, command, log_path, transcode)
        self.children[broadcast.pk] = child
        PackagerLease.objects.filter(broadcast_id=broadcast.pk, owner=self.owner).update(
            child_pid=child.process.pid
        )
        self.child_secrets[broadcast.pk] = broadcast.ingest_secret
        where = (
            redact_camera_url(broadcast.camera_url)
            if facts_of(broadcast.source).camera_url
            else f"SRT port {broadcast.ingest_port}"
        )
        logger.info(
            "broadcast %s: ffmpeg %s started for %s", broadcast.pk, child.process.pid, where
        )

    def stop_child(self, broadcast_id, grace_seconds=1.0):
        child = self.children.pop(broadcast_id, None)
        if child is None:
            return
        terminate(child.process, grace_seconds)
        logger.info("broadcast %s: ffmpeg %s stopped", broadcast_id, child.process.pid)

    # Output -------------------------------------------------------------

    def remove_stale_output(self, live):
        """Delete the HLS output of broadcasts no longer live (see ``hls_output``)."""
        hls_output.remove_stale_output(live, kept=recorder.kept_stream_names)
