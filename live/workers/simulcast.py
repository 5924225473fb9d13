"""Simulcast: one ``-c copy`` ffmpeg push per enabled target while its camera is live.

Run by the packager (``Packager.reconcile`` calls ``Simulcaster.reconcile`` once a
pass). Each push reads the broadcast's own live HLS output from disk
(``-live_start_index -1``: from the newest segment on), which every packaged
source writes the same way (SRT, RTSP, RTMP through nginx-rtmp, LiveKit egress);
the mock's committed fixture is read looped in real time instead. Reading the
output rather than the camera's feed keeps the push out of the ingest path: a
target that fails or hangs touches neither the HLS nor the other targets.

A push that exits is restarted on its own with backoff (1, 2, 4 … 30 s); each
target's health (connecting, sending, retrying with the last error) is written
to its row for the host page. Each target has a lease (``pusher``), taken with a
conditional update, so two packagers never push one target twice. Measured on
the 2-core test box (/proc/<pid>/stat over 10 s): one push of the ingest tests'
426x240 H.264/AAC camera costs 0.1 % of a core; a copy costs per packet, not per pixel.
"""

import logging
import os
import subprocess
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from live.models import Broadcast, SimulcastTarget, Source
from live.services.egress import EgressRefused
from live.services.simulcast_targets import push_destination, refusal_of
from live.workers.tls_relay import TlsRelay
from live.workers.child_processes import spawn_marked, terminate
from live.services.paths import output_dir_for
from live.services.media import PLAYLIST

logger = logging.getLogger("live.packager")

SIMULCAST_MARKER = "TEECAM_SIMULCAST_TARGET"
MAX_BACKOFF_SECONDS = 30
# A push that ran this long before failing starts its backoff afresh.
HEALTHY_RUN_SECONDS = 30
CONNECTING, SENDING, RETRYING = "connecting", "sending", "retrying"


@dataclass
class Push:
    target_id: int
    broadcast_id: int
    signature: tuple
    process: subprocess.Popen
    log_path: Path
    relay: TlsRelay | None = None
    started_at: float = field(default_factory=time.monotonic)
    sent_bytes: int = 0


@dataclass
class Retry:
    failures: int = 0
    not_before: float = 0.0
    last_error: str = ""


def push_input(broadcast):
    """What a push reads: the broadcast's live HLS output, or the mock's fixture, looped."""
    if broadcast.source == Source.MOCK:
        fixture = Path(settings.LIVE_SAMPLES_HLS_DIR) / settings.LIVE_MOCK_FIXTURE / PLAYLIST
        return ["-re", "-stream_loop", "-1", "-i", str(fixture)]
    return ["-live_start_index", "-1", "-i", str(output_dir_for(broadcast) / PLAYLIST)]


def push_command(broadcast, url, tc_url):
    """ffmpeg for one push to ``url``, a checked address (or the loopback TLS relay)."""
    return [
        "ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-loglevel", "warning",
        *push_input(broadcast),
        "-map", "0:v:0", "-map", "0:a:0?",
        "-c", "copy", "-bsf:a", "aac_adtstoasc",
        "-f", "flv", "-flvflags", "no_duration_filesize",
        "-progress", "pipe:1",
        "-rtmp_tcurl", tc_url,
        url,
    ]  # fmt: skip


def push_url(destination):
    """(ffmpeg's output URL, the relay or None): the checked address, never the name."""
    if destination.scheme == "rtmps":
        relay = TlsRelay(destination.host, destination.address, destination.port)
        return f"rtmp://127.0.0.1:{relay.local_port}{destination.path}", relay
    address = destination.address
    host = f"[{address}]" if ":" in address else address
    return f"rtmp://{host}:{destination.port}{destination.path}", None


def secrets_of_target(target):
    """The stream key as ffmpeg may print it: raw and percent-encoded, longest first."""
    found = {target.stream_key, quote(target.stream_key, safe="")}
    return sorted((secret.encode() for secret in found if secret), key=len, reverse=True)


def log_dir():
    return Path(settings.LIVE_STREAM_DATA_DIR) / "simulcast"


def _read_progress(push):
    for line in iter(push.process.stdout.readline, b""):
        if line.startswith(b"total_size="):
            try:
                push.sent_bytes = int(line.split(b"=", 1)[1])
            except ValueError:
                pass
    push.process.stdout.close()


# What a failed push shows (lastError): whether an RTMP server answered, not the
# socket's words. "Connection refused", "timed out" or "reset" told an open port from
# a closed one, which made a target's lastError a port scanner.
NO_SERVER = "No RTMP server took the connection (it failed, timed out or was closed)."
SERVER_REFUSED = "The RTMP server refused the stream: check the application and the stream key."
NO_INPUT = "The push could not read the camera's live output."


def last_error_of(log_path):
    try:
        with open(log_path, "rb") as log:
            log.seek(max(0, log.seek(0, os.SEEK_END) - 4000))
            text = log.read().decode(errors="replace")
    except OSError:
        return ""
    if "Server error" in text or "NetStream.Publish" in text:
        return SERVER_REFUSED
    if PLAYLIST in text and ("No such file" in text or "Invalid data" in text):
        return NO_INPUT
    return NO_SERVER if text.strip() else ""


class Simulcaster:
    def __init__(self, owner, lease_seconds=10):
        self.owner = owner
        self.lease_seconds = lease_seconds
        self.renew_every = min(2.0, lease_seconds / 3)
        self.pushes: dict[int, Push] = {}
        self.retries: dict[int, Retry] = {}
        self.renewed: dict[int, float] = {}
        self.states: dict[int, tuple] = {}

    def reconcile(self, now=None):
        """One pass; never raises (the HLS work of the packager must go on)."""
        try:
            self._reconcile(now or timezone.now())
        except Exception:
            logger.exception("simulcast pass failed; retrying")

    def _reconcile(self, now):
        targets = list(SimulcastTarget.objects.filter(enabled=True))
        live = {
            broadcast.camera_id: broadcast
            for broadcast in Broadcast.objects.filter(
                stopped_at__isnull=True, camera_id__in={target.camera_id for target in targets}
            )
        }
        wanted = {}
        for target in targets:
            broadcast = live.get(target.camera_id)
            if broadcast is not None and self._hold(target, now):
                wanted[target.pk] = (target, broadcast)
        for target_id in set(self.pushes) | set(self.renewed):
            if target_id not in wanted:
                self._drop(target_id)
        for target, broadcast in wanted.values():
            try:
                self._keep_running(target, broadcast)
            except Exception:  # one target's trouble is its own
                logger.exception("simulcast target %s: pass failed", target.pk)

    def _hold(self, target, now):
        last = self.renewed.get(target.pk)
        if last is not None and time.monotonic() - last < self.renew_every:
            return True
        held = (
            SimulcastTarget.objects.filter(pk=target.pk)
            .filter(Q(pusher=self.owner) | Q(pusher="") | Q(pusher_expires_at__lt=now))
            .update(
                pusher=self.owner,
                pusher_expires_at=now + timedelta(seconds=self.lease_seconds),
            )
        )
        if not held:
            self.renewed.pop(target.pk, None)
            return False
        self.renewed[target.pk] = time.monotonic()
        return True

    def _keep_running(self, target, broadcast):
        signature = (broadcast.pk, target.url, target.stream_key)
        push = self.pushes.get(target.pk)
        retry = self.retries.setdefault(target.pk, Retry())
        if push is not None and push.signature != signature:
            self._stop(target.pk)  # a new broadcast, URL or key: push afresh
            push = None
        if push is not None:
            code = push.process.poll()
            if code is None:
                self._set_state(target, SENDING if push.sent_bytes else CONNECTING)
                return
            del self.pushes[target.pk]
            if push.relay is not None:
                push.relay.close()
            ran = time.monotonic() - push.started_at
            retry.failures = 1 if ran > HEALTHY_RUN_SECONDS else retry.failures + 1
            delay = min(2 ** (retry.failures - 1), MAX_BACKOFF_SECONDS)
            retry.not_before = time.monotonic() + delay
            retry.last_error = last_error_of(push.log_path) or f"ffmpeg exited with {code}"
            logger.info(
                "simulcast target %s: push exited with %s after %.1f s; retrying in %s s",
                target.pk,
                code,
                ran,
                delay,
            )
        if time.monotonic() < retry.not_before:
            self._set_state(target, RETRYING, retry.last_error)
            return
        if broadcast.source != Source.MOCK and not (output_dir_for(broadcast) / PLAYLIST).exists():
            self._set_state(target, CONNECTING)  # no picture from the camera yet
            return
        started = self._start(target, broadcast, signature)
        waiting = started and not retry.failures
        self._set_state(target, CONNECTING if waiting else RETRYING, retry.last_error)

    def _start(self, target, broadcast, signature):
        try:
            destination = push_destination(target)
        except EgressRefused as exc:
            # Counted as a failed push: retried with backoff, as the rule may be a
            # DNS answer that changes back.
            retry = self.retries[target.pk]
            retry.failures += 1
            retry.not_before = time.monotonic() + min(
                2 ** (retry.failures - 1), MAX_BACKOFF_SECONDS
            )
            retry.last_error = refusal_of(exc)
            logger.warning("simulcast target %s: refused by the egress rule: %s", target.pk, exc)
            return False
        folder = log_dir()
        folder.mkdir(parents=True, exist_ok=True)
        log_path = folder / f"target-{target.pk}.log"
        if log_path.exists() and log_path.stat().st_size > 1_000_000:
            log_path.unlink()
        # ffmpeg prints the output URL, which ends with the stream key: blanked in the log.
        # Its stdout carries the progress lines _read_progress reads.
        url, relay = push_url(destination)
        process, _ = spawn_marked(
            push_command(broadcast, url, destination.tc_url),
            SIMULCAST_MARKER,
            target.pk,
            log_path,
            secrets_of_target(target),
            stdout=subprocess.PIPE,
        )
        push = Push(target.pk, broadcast.pk, signature, process, log_path, relay)
        threading.Thread(target=_read_progress, args=(push,), daemon=True).start()
        self.pushes[target.pk] = push
        logger.info(
            "simulcast target %s: push %s started for broadcast %s to %s",
            target.pk,
            process.pid,
            broadcast.pk,
            target.url,
        )
        return True

    def _stop(self, target_id):
        push = self.pushes.pop(target_id, None)
        if push is not None:
            terminate(push.process, 1.0)
            if push.relay is not None:
                push.relay.close()
            logger.info("simulcast target %s: push %s stopped", target_id, push.process.pid)

    def _drop(self, target_id):
        """The target is no longer ours to push (camera stopped, target removed or disabled)."""
        self._stop(target_id)
        self.retries.pop(target_id, None)
        self.renewed.pop(target_id, None)
        self.states.pop(target_id, None)
        SimulcastTarget.objects.filter(pk=target_id, pusher=self.owner).update(
            pusher="", pusher_expires_at=None, state="", state_since=None
        )

    def _set_state(self, target, state, error=""):
        error = error if state == RETRYING else ""
        if self.states.get(target.pk) == (state, error):
            return
        self.states[target.pk] = (state, error)
        SimulcastTarget.objects.filter(pk=target.pk).update(
            state=state, last_error=error[:300], state_since=timezone.now()
        )

    def shutdown(self):
        for target_id in list(self.pushes) + list(self.renewed):
            self._drop(target_id)
