"""Helpers for the ingest tests (plain functions; the fixtures are in conftest.py).

Everything here drives real processes: nginx with the RTMP module, the packager
(``manage.py livepackager``), ffmpeg camera simulators, GStreamer's RTSP server.
Every wait is bounded; every process is started through a ``Processes`` registry
that kills it at teardown.
"""

import json
import os
import signal
import socket
import subprocess
import threading
from pathlib import Path
from urllib.error import HTTPError
from urllib.request import urlopen

from tests.ingest.strikes import CameraClock, strike_camera_command
from tests.processes import stop_process, wait_for

from live.workers.packager import find_marked_processes
from tests.processes import PATIENCE

SYSTEM_PYTHON = "/usr/bin/python3"
RTMP_MODULE = "/usr/lib/nginx/modules/ngx_rtmp_module.so"
RTSP_SERVER_SCRIPT = Path(__file__).with_name("rtsp_server.py")


# Waiting ----------------------------------------------------------------------------------


def wait_exit(process, timeout):
    """The exit code of process, which must end within timeout seconds."""
    timeout *= PATIENCE
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"{process.args[0]} ({process.pid}) still running after {timeout} s")


# Ports ------------------------------------------------------------------------------------


def free_udp_ports(count):
    """`count` consecutive UDP ports that are free on every address right now."""
    for _ in range(200):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.bind(("127.0.0.1", 0))
            first = probe.getsockname()[1]
        if first + count > 65535:
            continue
        sockets = []
        try:
            for port in range(first, first + count):
                held = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                sockets.append(held)
                held.bind(("0.0.0.0", port))
            return list(range(first, first + count))
        except OSError:
            continue
        finally:
            for held in sockets:
                held.close()
    raise AssertionError(f"found no {count} consecutive free UDP ports")


# Packager children ------------------------------------------------------------------------


def marked_pids(broadcast_id):
    """Pids of processes a packager of this data dir started for the broadcast."""
    return sorted(pid for pid, marked in find_marked_processes() if marked == broadcast_id)


def parent_pid(pid):
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


def process_env(pid):
    try:
        raw = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return {}
    pairs = (item.split(b"=", 1) for item in raw.split(b"\0") if b"=" in item)
    return {key.decode(errors="replace"): value.decode(errors="replace") for key, value in pairs}


def kill_marked(run_id):
    """Kill packager children left by this test only (they carry its TEECAM_TEST_RUN)."""
    for pid, _ in find_marked_processes():
        if process_env(pid).get("TEECAM_TEST_RUN") == run_id:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


# Cameras ----------------------------------------------------------------------------------


def camera_command(url, muxer, size="426x240", rate=30, video="libx264", seconds=None):
    """ffmpeg as a camera: testsrc2 + sine, H.264/AAC by default, in real time."""
    if video == "libx264":
        video_codec = [
            "-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency",
            "-g", str(rate), "-pix_fmt", "yuv420p",
        ]  # fmt: skip
    elif video == "libx265":
        video_codec = [
            "-c:v", "libx265", "-preset", "ultrafast", "-tune", "zerolatency",
            "-x265-params", f"keyint={rate}:log-level=error", "-pix_fmt", "yuv420p",
        ]  # fmt: skip
    else:
        video_codec = ["-c:v", video, "-g", str(rate), "-pix_fmt", "yuv420p"]
    duration = ["-t", str(seconds)] if seconds else []
    return [
        "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "warning", "-re",
        "-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}",
        "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
        *duration, *video_codec, "-c:a", "aac", "-b:a", "64k",
        "-f", muxer, url,
    ]  # fmt: skip


class ReconnectingCamera:
    """Restarts a camera command whenever it exits, half a second later, until stopped."""

    def __init__(self, procs, name, command, pause=0.5):
        self.procs, self.name, self.command, self.pause = procs, name, command, pause
        self.processes = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stopping.is_set():
            with self.lock:
                if self.stopping.is_set():
                    return
                process = self.procs.start(self.name, self.command)
                self.processes.append(process)
            while process.poll() is None and not self.stopping.wait(0.1):
                pass
            self.stopping.wait(self.pause)

    @property
    def starts(self):
        return len(self.processes)

    def stop(self):
        self.stopping.set()
        with self.lock:
            for process in self.processes:
                stop_process(process)
        self.thread.join(timeout=5)


# Media ------------------------------------------------------------------------------------


def segment_files(folder):
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(
        (path for path in folder.iterdir() if path.suffix == ".ts"),
        key=lambda path: path.stat().st_mtime if path.exists() else 0,
    )


def playlist_segments(folder):
    """The segment file names index.m3u8 lists now (only those that exist)."""
    playlist = Path(folder) / "index.m3u8"
    try:
        lines = playlist.read_text().splitlines()
    except FileNotFoundError:
        return []
    names = [line for line in lines if line and not line.startswith("#")]
    return [name for name in names if (Path(folder) / name).exists()]


def probe_codecs(path):
    """{"video": codec, "audio": codec} of a media file, read by ffprobe."""
    result = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=codec_type,codec_name",
         "-of", "json", str(path)],
        capture_output=True, text=True, timeout=20,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    streams = json.loads(result.stdout).get("streams", [])
    return {stream["codec_type"]: stream["codec_name"] for stream in streams}


def wait_for_playable_segments(folder, count=2, timeout=20):
    """Wait until the playlist lists `count` segments that exist; returns their names."""

    def enough():
        names = playlist_segments(folder)
        return names if len(names) >= count else None

    return wait_for(enough, timeout, f"{count} segments listed in {folder}/index.m3u8")


def paths_under(folder):
    return [str(path) for path in Path(folder).rglob("*")]


# The HTTP API, through the live server ----------------------------------------------------


def fetch(url, timeout=10):
    """(status, bytes) of a GET."""
    try:
        with urlopen(url, timeout=timeout) as answer:
            return answer.status, answer.read()
    except HTTPError as error:
        return error.code, error.read()


def playlist_entries(text):
    """[(media sequence number, uri, discontinuity before it)] of a media playlist."""
    sequence, discontinuity, entries = 0, False, []
    for line in text.splitlines():
        if line.startswith("#EXT-X-MEDIA-SEQUENCE:"):
            sequence = int(line.split(":", 1)[1])
        elif line.startswith("#EXT-X-DISCONTINUITY") and ":" not in line:
            discontinuity = True
        elif line and not line.startswith("#"):
            entries.append((sequence, line, discontinuity))
            sequence, discontinuity = sequence + 1, False
    return entries


def start_strike_camera(api, event, procs, every, first):
    """The event's main camera started on SRT and a strike camera (tests/ingest/strikes.py)
    sending to it once the packager listens: (the camera's clock, its origin)."""
    started = api.start(event.pk, "srt")
    assert started.status == 201, started.text
    answer = started.json()
    wait_for(lambda: marked_pids(answer["broadcastId"]), 30, "the packager's SRT listener")
    camera = procs.start(
        "strike-camera", strike_camera_command(answer["ingest"]["url"], every, first)
    )
    clock = CameraClock(next(path for _, each, path in procs.started if each is camera))
    return clock, clock.wait()
