"""Bench: recordings in object storage (issue 23).

    LIVE_VIEWER_SIGN_KEY=… .venv/bin/python bench/storage.py [--seconds 60]

Runs moto's S3 server (requirements-dev.txt) on a loopback port: no S3 server is
installable here, and moto answers over real HTTP as MinIO would, but from one
Python process on this same machine: its latency is a loopback one, not a LAN's.

- **upload lag per segment, p50/p99**: a 720p30 camera (libx264 veryfast,
  2.5 Mbit/s, 1 s segments, ``-re``: real time) writes a live HLS window; the
  packager's append pass (recording.m3u8) runs every 0.5 s as in the packager, and
  the uploader thread (live/workers/uploader.py) mirrors the folder. Lag = end of a
  segment's upload minus the segment file's last write.
- **CPU and memory of the uploading**: the uploader thread's own CPU time
  (/proc/self/task/<tid>/stat) over the run, as a share of one core, and the
  process's RSS growth from before the uploader started to the end.
- **bytes per hour of a 720p camera**: everything put in the bucket (segments and
  playlist chunks) per second of recording, times 3600.
- **serving a 2-hour replay's playlist from storage**: a stored 7,200-entry
  recording.m3u8 (1 s segments, 2 hours) read by Django's media fallback
  (live/services/delivery.py): cold (a GET from the store each time) and warm
  (the app server's in-process copy), p50 over 20 requests each.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone as dt_timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "teecam.settings")
os.environ.setdefault("LIVE_VIEWER_SIGN_KEY", "bench-storage-" + "0" * 40)
BUCKET = "bench-recordings"
STORAGE_ENV = {
    "LIVE_RECORDINGS_STORAGE": "s3",
    "LIVE_S3_BUCKET": BUCKET,
    "AWS_ACCESS_KEY_ID": "bench-key-id",
    "AWS_SECRET_ACCESS_KEY": "bench-secret",
}
TICKS = os.sysconf("SC_CLK_TCK")


def free_port():
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_moto():
    port = free_port()
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    import socket

    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    raise SystemExit("moto's S3 server did not start")


def camera_to_hls(folder, seconds):
    """A 720p30 camera (2.5 Mbit/s H.264, AAC) written as live HLS of 1 s segments."""
    return subprocess.Popen(
        [
            "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-re",
            "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100", "-t", str(seconds),
            "-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency", "-g", "30",
            "-b:v", "2500k", "-maxrate", "2500k", "-bufsize", "5000k", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-b:a", "64k",
            "-f", "hls", "-hls_time", "1", "-hls_list_size", "6",
            "-hls_flags", "program_date_time+independent_segments+temp_file+delete_segments",
            "-hls_segment_filename", str(folder / "%d.ts"), str(folder / "index.m3u8"),
        ]  # fmt: skip
    )


def task_cpu(tid):
    fields = Path(f"/proc/self/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def rss_mb():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def upload_round(seconds):
    from live.services import recording_playlists, storage
    from live.workers.uploader import Target, Uploader

    storage.listed("warm-up")  # boto3 loaded and connected before the RSS baseline
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "cam"
        folder.mkdir()
        rss_before = rss_mb()
        uploader = Uploader()
        tid = uploader._thread.native_id
        cpu_before, started = task_cpu(tid), time.monotonic()
        camera = camera_to_hls(folder, seconds)
        uploader.want(Target("cam", folder))
        while camera.poll() is None:
            recording_playlists.append_segments(folder)  # the packager's pass
            time.sleep(0.5)
        recording_playlists.append_segments(folder, finish=True)
        while "recording.m3u8" not in storage.listed("cam"):
            time.sleep(0.2)
        wall = time.monotonic() - started
        cpu = task_cpu(tid) - cpu_before
        rss_after = rss_mb()
        uploader.close()
        stored = storage.listed("cam")
        recorded = recording_playlists.totals(folder)[1]
    lags = list(uploader.lags)
    return {
        "segments": len(lags),
        "p50": percentile(lags, 0.5),
        "p99": percentile(lags, 0.99),
        "max": max(lags),
        "cpu": cpu / wall,
        "rss": rss_after - rss_before,
        "bytes_per_hour": sum(stored.values()) / recorded * 3600,
        "playlist_bytes_per_hour": sum(
            size for key, size in stored.items() if key.endswith(".m3u8")
        )
        / recorded
        * 3600,
    }


def replay_playlist_round(requests=20):
    from django.http import HttpResponse

    from live.services import storage
    from live.services.recording_playlists import Entry, render

    start = datetime(2026, 7, 16, 9, 0, tzinfo=dt_timezone.utc)
    entries = [Entry(f"p1/{n}.ts", 1.0, False, start + timedelta(seconds=n)) for n in range(7200)]
    text = render(entries, 1, kind="EVENT", ended=True)
    storage.upload_text("two-hours", "recording.m3u8", text)

    def serve():
        began = time.perf_counter()
        body = storage.stored_playlist("two-hours", "recording.m3u8")
        HttpResponse(body, content_type="application/vnd.apple.mpegurl")
        return time.perf_counter() - began

    cold = []
    for _ in range(requests):
        storage.forget_playlists("two-hours")
        cold.append(serve())
    warm = [serve() for _ in range(requests)]
    return len(text), statistics.median(cold), statistics.median(warm)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=60)
    args = parser.parse_args()
    moto, endpoint = start_moto()
    try:
        os.environ.update(STORAGE_ENV, LIVE_S3_ENDPOINT_URL=endpoint)
        import django

        django.setup()
        import boto3

        boto3.client(
            "s3",
            endpoint_url=endpoint,
            aws_access_key_id="bench-key-id",
            aws_secret_access_key="bench-secret",
            region_name="us-east-1",
        ).create_bucket(Bucket=BUCKET)
        load = os.getloadavg()[0]
        result = upload_round(args.seconds)
        size, cold, warm = replay_playlist_round()
    finally:
        moto.terminate()
        moto.wait()
    print(f"load average at start: {load:.1f}")
    print("| what | value |")
    print("|---|---|")
    print(f"| segments uploaded (720p30, 2.5 Mbit/s, 1 s) | {result['segments']} |")
    print(f"| upload lag p50 / p99 / max | {result['p50']:.3f} s / {result['p99']:.3f} s "
          f"/ {result['max']:.3f} s |")  # fmt: skip
    print(f"| uploader thread CPU | {result['cpu'] * 100:.1f} % of one core |")
    print(f"| process RSS growth while uploading | {result['rss']:.1f} MB |")
    print(f"| bytes per hour in the bucket | {result['bytes_per_hour'] / 2**30:.2f} GiB "
          f"(playlist chunks {result['playlist_bytes_per_hour'] / 2**20:.1f} MiB) |")  # fmt: skip
    print(f"| 2-hour replay playlist ({size // 1024} KB) served, cold (GET from the store) "
          f"| {cold * 1000:.1f} ms (p50 of 20) |")  # fmt: skip
    print(f"| the same, warm (the app server's copy) | {warm * 1000:.3f} ms (p50 of 20) |")


if __name__ == "__main__":
    main()
