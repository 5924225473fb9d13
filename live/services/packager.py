"""The packager: one ffmpeg per live SRT or RTSP broadcast, and health for all ingest.

``manage.py livepackager`` runs ``Packager().run()``. Each pass reconciles the
database with the running processes:

- a live SRT/RTSP broadcast whose lease this packager holds (or can take
  because it lapsed) gets exactly one ffmpeg writing a live HLS window into
  ``<data dir>/hls/<stream name>/``; one that dies is restarted with backoff;
- a broadcast that stopped, or whose lease was lost, has its ffmpeg stopped;
- every live ingest broadcast (RTMP too, whose HLS nginx-rtmp writes) gets its
  health written back from the age of its newest segment.

Children get SIGKILL from the kernel if the packager dies (PR_SET_PDEATHSIG),
and their pids are kept in the lease, so a ``kill -9`` of the packager leaves
no ffmpeg behind and the next packager reaps any that survived.
"""

import ctypes
import hashlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone as dt_timezone
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.db import IntegrityError, close_old_connections, transaction
from django.utils import timezone

from live.models import Broadcast, Health, PackagerLease, Source
from live.services.delivery import live_output_dir
from live.services.lifecycle import stop_broadcast
from live.services.media import PLAYLIST
from live.services.sources import INGEST_SOURCES, PACKAGED_SOURCES, redact_camera_url

logger = logging.getLogger("live.packager")

RENEW_EVERY_SECONDS = 2
MAX_BACKOFF_SECONDS = 10
CHILD_MARKER = "TEECAM_PACKAGER_BROADCAST"
# Which deployment a child belongs to: broadcast ids repeat across databases, so a
# packager must never reap the children of another deployment on the same host.
SCOPE_MARKER = "TEECAM_PACKAGER_SCOPE"
PR_SET_PDEATHSIG = 1
LOG_SUFFIX = ".ffmpeg.log"  # <data>/hls/.<stream name>.ffmpeg.log, beside its folder


def packager_scope():
    """Names this deployment: its HLS output folder (two deployments cannot share one)."""
    return hashlib.sha256(str(live_output_dir().resolve()).encode()).hexdigest()[:16]


def _die_with_parent():
    # Runs in the child between fork and exec.
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    os.setpgrp()


def output_dir_for(broadcast) -> Path:
    return live_output_dir() / broadcast.stream_name


def ffmpeg_command(broadcast, transcode=False, resume=False):
    """The ffmpeg that turns the camera into a live HLS window."""
    folder = output_dir_for(broadcast)
    seconds = settings.LIVE_SEGMENT_SECONDS
    if broadcast.source == Source.SRT:
        source = [
            "-i",
            f"srt://0.0.0.0:{broadcast.ingest_port}?mode=listener"
            f"&passphrase={broadcast.ingest_secret}&pbkeylen=16&latency=200000",
        ]
    else:
        source = ["-rtsp_transport", "tcp", "-timeout", "5000000", "-i", broadcast.camera_url]
    if transcode:
        codecs = [
            "-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency",
            "-pix_fmt", "yuv420p", "-g", str(30 * seconds), "-sc_threshold", "0",
            "-force_key_frames", f"expr:gte(t,n_forced*{seconds})",
            "-c:a", "aac", "-b:a", "128k",
        ]  # fmt: skip
    else:
        # The bitstream filter accepts only H.264: any other video fails ffmpeg at
        # once, before a segment is written, and the restart transcodes.
        codecs = ["-c", "copy", "-bsf:v", "h264_mp4toannexb"]
    flags = "delete_segments+program_date_time+independent_segments+temp_file+omit_endlist"
    if resume:
        # Continue the same playlist after a reconnect: same path, and append_list
        # carries on the media sequence of the segments already listed and puts a
        # discontinuity where the camera came back. (An epoch start number here
        # would renumber the listed segments, and discont_start would add a
        # second, bogus discontinuity before the first of them.)
        flags += "+append_list"
        numbering = []
    else:
        # Sequence numbers (and file names) from the clock: a fresh playlist never
        # reuses a name a player or cache has already seen.
        numbering = ["-hls_start_number_source", "epoch"]
    return [
        "ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-loglevel", "info",
        "-analyzeduration", "1000000", "-probesize", "1000000",
        *source,
        "-map", "0:v:0", "-map", "0:a:0?",
        *codecs,
        "-f", "hls", "-hls_time", str(seconds),
        "-hls_list_size", str(settings.LIVE_PLAYLIST_SEGMENTS),
        "-hls_flags", flags,
        *numbering,
        "-hls_segment_filename", str(folder / "s%d.ts"),
        str(folder / PLAYLIST),
    ]  # fmt: skip


@dataclass
class Child:
    broadcast_id: int
    process: subprocess.Popen
    log_path: Path
    transcode: bool
    log_pump: threading.Thread | None = None
    started_at: float = field(default_factory=time.monotonic)


@dataclass
class Restart:
    failures: int = 0
    not_before: float = 0.0
    transcode: bool = False


class Packager:
    def __init__(self, poll_seconds=0.5, owner=None, lease_seconds=None):
        self.poll_seconds = poll_seconds
        self.lease_seconds = lease_seconds or settings.LIVE_PACKAGER_LEASE_SECONDS
        # Renew well before the lease lapses, however short it is.
        self.renew_every = min(RENEW_EVERY_SECONDS, self.lease_seconds / 3)
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.children: dict[int, Child] = {}
        self.restarts: dict[int, Restart] = {}
        self.renewed: dict[int, float] = {}
        self.stopping = False

    # The loop -----------------------------------------------------------

    def run(self, max_seconds=None):
        signal.signal(signal.SIGTERM, self._request_stop)
        signal.signal(signal.SIGINT, self._request_stop)
        deadline = time.monotonic() + max_seconds if max_seconds else None
        logger.info("packager %s starting", self.owner)
        self.reap_orphans()
        try:
            while not self.stopping and (deadline is None or time.monotonic() < deadline):
                close_old_connections()
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
        PackagerLease.objects.filter(owner=self.owner).delete()
        logger.info("packager %s stopped", self.owner)

    def reconcile(self):
        now = timezone.now()
        live = list(Broadcast.objects.filter(stopped_at__isnull=True, source__in=INGEST_SOURCES))
        live_ids = {broadcast.pk for broadcast in live}
        # Ended broadcasts: their ffmpeg stops, and so does the lease of those
        # without one (RTMP), so leases do not pile up.
        for broadcast_id in set(self.children) | set(self.renewed):
            if broadcast_id not in live_ids:
                self.stop_child(broadcast_id)
                self.release(broadcast_id)
        for broadcast in live:
            if not self.hold_lease(broadcast, now):
                if broadcast.pk in self.children:
                    self.stop_child(broadcast.pk)
                continue
            if broadcast.source in PACKAGED_SOURCES:
                self.keep_child_running(broadcast)
            else:
                trim_segments(output_dir_for(broadcast), segments_kept_seconds())
            self.write_health(broadcast, now)
        self.remove_stale_output(live)

    # Leases -------------------------------------------------------------

    def hold_lease(self, broadcast, now):
        """True if this packager holds (or just took) the broadcast's lease."""
        last = self.renewed.get(broadcast.pk)
        if last is not None and time.monotonic() - last < self.renew_every:
            return True
        expires = now + timedelta(seconds=self.lease_seconds)
        try:
            with transaction.atomic():
                lease = (
                    PackagerLease.objects.select_for_update()
                    .filter(broadcast_id=broadcast.pk)
                    .first()
                )
                if lease is None:
                    PackagerLease.objects.create(
                        broadcast_id=broadcast.pk,
                        owner=self.owner,
                        renewed_at=now,
                        expires_at=expires,
                    )
                elif lease.owner == self.owner or lease.expires_at < now:
                    if lease.owner != self.owner:
                        logger.warning(
                            "taking over broadcast %s from lapsed packager %s",
                            broadcast.pk,
                            lease.owner,
                        )
                        kill_orphan(lease.child_pid, broadcast.pk)
                    lease.owner, lease.renewed_at, lease.expires_at = self.owner, now, expires
                    child = self.children.get(broadcast.pk)
                    lease.child_pid = child.process.pid if child else None
                    lease.save()
                else:
                    self.renewed.pop(broadcast.pk, None)
                    return False
        except IntegrityError:
            return False
        self.renewed[broadcast.pk] = time.monotonic()
        return True

    def release(self, broadcast_id):
        self.renewed.pop(broadcast_id, None)
        self.restarts.pop(broadcast_id, None)
        PackagerLease.objects.filter(broadcast_id=broadcast_id, owner=self.owner).delete()

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
                if switch_to_transcode(broadcast, child, restart):
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
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env={
                **os.environ,
                CHILD_MARKER: str(broadcast.pk),
                SCOPE_MARKER: packager_scope(),
            },
            preexec_fn=_die_with_parent,
        )
        # ffmpeg prints its input URL, which holds the camera's password or the
        # SRT passphrase: the log gets a copy with those blanked out.
        pump = threading.Thread(
            target=copy_redacted,
            args=(process.stderr, log_path, secrets_of(broadcast)),
            daemon=True,
        )
        pump.start()
        self.children[broadcast.pk] = Child(broadcast.pk, process, log_path, transcode, pump)
        PackagerLease.objects.filter(broadcast_id=broadcast.pk, owner=self.owner).update(
            child_pid=process.pid
        )
        where = (
            redact_camera_url(broadcast.camera_url)
            if broadcast.source == Source.RTSP
            else f"SRT port {broadcast.ingest_port}"
        )
        logger.info("broadcast %s: ffmpeg %s started for %s", broadcast.pk, process.pid, where)

    def stop_child(self, broadcast_id, grace_seconds=1.0):
        child = self.children.pop(broadcast_id, None)
        if child is None:
            return
        terminate(child.process, grace_seconds)
        logger.info("broadcast %s: ffmpeg %s stopped", broadcast_id, child.process.pid)

    # Health -------------------------------------------------------------

    def write_health(self, broadcast, now):
        last = newest_segment_time(output_dir_for(broadcast), since=broadcast.started_at)
        stall_after = timedelta(seconds=3 * settings.LIVE_SEGMENT_SECONDS)
        if last is None:
            health, stalled_since = Health.WAITING, None
        elif now - last <= stall_after:
            health, stalled_since = Health.RECEIVING, None
        else:
            health = Health.STALLED
            stalled_since = broadcast.stalled_since or last + stall_after
            window = timedelta(seconds=settings.LIVE_RECONNECT_WINDOW_SECONDS)
            if settings.LIVE_RECONNECT_WINDOW_SECONDS > 0 and now - stalled_since > window:
                logger.warning(
                    "broadcast %s: no picture for over %s s, ending it",
                    broadcast.pk,
                    settings.LIVE_RECONNECT_WINDOW_SECONDS,
                )
                stop_broadcast(broadcast.event, "packager:camera-lost")
                return
        changed = (broadcast.health, broadcast.last_segment_at, broadcast.stalled_since) != (
            health,
            last,
            stalled_since,
        )
        if changed:
            Broadcast.objects.filter(pk=broadcast.pk, stopped_at__isnull=True).update(
                health=health, last_segment_at=last, stalled_since=stalled_since
            )

    def remove_stale_output(self, live):
        """Delete HLS folders (and ffmpeg logs) of broadcasts no longer live, a minute
        after their last write."""
        root = live_output_dir()
        if not root.is_dir():
            return
        keep = {broadcast.stream_name for broadcast in live}
        cutoff = time.time() - 60
        for entry in root.iterdir():
            try:
                if entry.is_dir():
                    if entry.name not in keep and entry.stat().st_mtime < cutoff:
                        shutil.rmtree(entry, ignore_errors=True)
                elif entry.name.startswith(".") and entry.name.endswith(LOG_SUFFIX):
                    name = entry.name[1 : -len(LOG_SUFFIX)]
                    if name not in keep and entry.stat().st_mtime < cutoff:
                        entry.unlink()
            except FileNotFoundError:  # another packager got there first
                pass


def segments_kept_seconds():
    """How long a segment stays after it leaves the playlist (nginx-rtmp's own rule)."""
    return 2 * settings.LIVE_SEGMENT_SECONDS * settings.LIVE_PLAYLIST_SEGMENTS


def trim_segments(folder: Path, keep_seconds):
    """Delete segments the playlist no longer lists, once older than keep_seconds.

    For nginx-rtmp's output: its own cleanup (hls_cleanup) is off because it
    walks the whole HLS folder, deleting the packager's empty folders (a listener
    waiting for its camera then fails) and every playlist not rewritten for a
    playlist's length (a camera's outage then breaks the reconnect).
    """
    try:
        text = (folder / PLAYLIST).read_text(errors="replace")
    except FileNotFoundError:
        text = ""
    listed = {line.strip() for line in text.splitlines() if line and not line.startswith("#")}
    cutoff = time.time() - keep_seconds
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return
    for entry in entries:
        if entry.name.endswith(".ts") and entry.name not in listed:
            try:
                if entry.stat().st_mtime < cutoff:
                    os.unlink(entry.path)
            except FileNotFoundError:
                pass


def newest_segment_time(folder: Path, since=None):
    """When the newest finished segment was written, or None."""
    try:
        times = [
            entry.stat().st_mtime for entry in os.scandir(folder) if entry.name.endswith(".ts")
        ]
    except FileNotFoundError:
        return None
    if not times:
        return None
    newest = datetime.fromtimestamp(max(times), tz=dt_timezone.utc)
    if since is not None and newest < since:
        return None
    return newest


def secrets_of(broadcast):
    """What must not reach a log: the SRT passphrase, the camera URL's password."""
    found = set()
    if broadcast.ingest_secret:
        found.add(broadcast.ingest_secret)
    if broadcast.camera_url:
        try:
            password = urlsplit(broadcast.camera_url).password
        except ValueError:
            password = None
        if password:
            found.update({password, unquote(password)})
    # Longest first, so a secret containing another is blanked whole.
    return sorted((secret.encode() for secret in found), key=len, reverse=True)


def copy_redacted(stream, log_path: Path, secrets):
    """Copy a child's stderr into its log line by line, each secret replaced by ***.

    The HLS muxer's "Opening '…' for writing", twice a second for as long as the
    broadcast lasts, is left out, so the log stays small.
    """
    with stream, open(log_path, "ab", buffering=0) as log:
        for line in iter(stream.readline, b""):
            if line.endswith(b"' for writing\n"):
                continue
            for secret in secrets:
                line = line.replace(secret, b"***")
            log.write(line)


def needs_transcode(log_path: Path):
    """ffmpeg's input report names a codec that HLS copy cannot carry."""
    try:
        text = log_path.read_text(errors="replace")[-20000:]
    except FileNotFoundError:
        return False
    inputs = [line for line in text.splitlines() if "Stream #0:" in line and "->" not in line]
    for line in inputs[-4:]:
        if "Video:" in line and "Video: h264" not in line:
            return True
        if "Audio:" in line and "Audio: aac" not in line:
            return True
    return False


def switch_to_transcode(broadcast, child, restart):
    """True when a copying child's input turned out not to be H.264/AAC: its next
    start transcodes."""
    if child.transcode or not needs_transcode(child.log_path):
        return False
    logger.info("broadcast %s: input is not H.264/AAC, transcoding", broadcast.pk)
    restart.transcode = True
    return True


def terminate(process, grace_seconds=1.0):
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=grace_seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def find_marked_processes(scope=None):
    """(pid, broadcast id) of every process a packager of this deployment started.

    Found in /proc by the environment the packager gave them; processes of
    another deployment (another scope) are left alone.
    """
    found = []
    marker = f"{CHILD_MARKER}=".encode()
    wanted_scope = f"{SCOPE_MARKER}={scope or packager_scope()}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if wanted_scope not in environ:
            continue
        for item in environ:
            if item.startswith(marker):
                try:
                    found.append((int(entry.name), int(item[len(marker) :])))
                except ValueError:
                    pass
    return found


def kill_orphan(pid, broadcast_id):
    """Kill pid only if it is a packager child of this broadcast (pids get reused)."""
    if not pid:
        return
    if (pid, broadcast_id) not in find_marked_processes():
        return
    try:
        os.kill(pid, signal.SIGKILL)
        logger.warning("killed orphan ffmpeg %s of broadcast %s", pid, broadcast_id)
    except ProcessLookupError:
        pass
