"""The packager's child processes: how they are marked, started, logged, stopped and reaped.

Children get SIGKILL from the kernel if the packager dies (PR_SET_PDEATHSIG)
and carry markers in their environment (the broadcast, the deployment), so a
later packager can find and kill any that survived. Their stderr is copied to a
log with the broadcast's secrets blanked out.
"""

import ctypes
import hashlib
import logging
import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from live.services.paths import live_output_dir
from live.services.sources import camera_url_secrets

logger = logging.getLogger("live.packager")

CHILD_MARKER = "TEECAM_PACKAGER_BROADCAST"
# Which deployment a child belongs to: broadcast ids repeat across databases, so a
# packager must never reap the children of another deployment on the same host.
SCOPE_MARKER = "TEECAM_PACKAGER_SCOPE"
PR_SET_PDEATHSIG = 1


def packager_scope():
    """Names this deployment: its HLS output folder (two deployments cannot share one)."""
    return hashlib.sha256(str(live_output_dir().resolve()).encode()).hexdigest()[:16]


@dataclass
class Child:
    broadcast_id: int
    process: subprocess.Popen
    log_path: Path
    transcode: bool
    log_pump: threading.Thread | None = None
    started_at: float = field(default_factory=time.monotonic)


def _die_with_parent():
    # Runs in the child between fork and exec.
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    os.setpgrp()


def spawn_marked(
    command,
    marker,
    value,
    log_path: Path,
    secrets,
    stdout=subprocess.DEVNULL,
    stdin=subprocess.DEVNULL,
):
    """Start a child of the packager: (process, log pump).

    Marked in its environment with ``marker=value`` and this deployment's scope (so a
    later packager finds it after a kill -9), killed with the packager, and its stderr
    copied to ``log_path`` with ``secrets`` blanked out.
    """
    process = subprocess.Popen(
        command,
        stdin=stdin,
        stdout=stdout,
        stderr=subprocess.PIPE,
        env={**os.environ, marker: str(value), SCOPE_MARKER: packager_scope()},
        preexec_fn=_die_with_parent,
    )
    pump = threading.Thread(
        target=copy_redacted, args=(process.stderr, log_path, secrets), daemon=True
    )
    pump.start()
    return process, pump


def start_marked_child(broadcast, command, log_path: Path, transcode) -> Child:
    """Start the broadcast's ffmpeg: marked, killed with the packager, logged redacted."""
    # ffmpeg prints its input URL, which holds the camera's password or the
    # SRT passphrase: the log gets a copy with those blanked out.
    process, pump = spawn_marked(
        command, CHILD_MARKER, broadcast.pk, log_path, secrets_of(broadcast)
    )
    return Child(broadcast.pk, process, log_path, transcode, pump)


def secrets_of(broadcast):
    """What must not reach a log: the SRT passphrase, the camera URL's credentials."""
    found = set()
    if broadcast.ingest_secret:
        found.add(broadcast.ingest_secret)
    if broadcast.camera_url:
        found.update(camera_url_secrets(broadcast.camera_url))
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
