"""What the adaptive ladder and live thumbnails cost the packager, per 720p30 stream.

    .venv/bin/python bench/ladder.py [--seconds 20] [--size 1280x720]

A camera (ffmpeg, testsrc2 + sine, x264 veryfast zerolatency, 1-s GOP) pushes SRT
to the packager's own copy command (``ffmpeg_command``'s flags, no passphrase)
writing 1-s HLS into a temporary folder. Then, one after the other on that same
live folder, a fresh Python process runs the packager's ladder and thumbnail
ticks (``live/workers/ladder.py``, ``thumbnailer.py``) every 0.25 s for
``--seconds``: copy only (nothing), 480p+240p, 480p alone, 240p alone,
thumbnails alone. Reported: CPU in cores (CPU seconds per wall second) of the
copy ffmpeg and of the jobs (every short ffmpeg, from RUSAGE_CHILDREN) plus the
ticking loop itself; RSS of the copy ffmpeg and the largest job; how far behind
the source each rung's newest segment appears (median). The camera's own CPU is
not counted. No database: the ticks need only settings.
"""

import argparse
import json
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "teecam.settings")
os.environ.setdefault("LIVE_VIEWER_SIGN_KEY", "bench-ladder-" + "0" * 40)

VARIANTS = [
    ("copy only", None, False),
    ("copy + 480p + 240p", [480, 240], False),
    ("  480p rung alone", [480], False),
    ("  240p rung alone", [240], False),
    ("thumbnails (every 10 s)", None, True),
    ("copy + 480p + 240p + thumbnails", [480, 240], True),
]


def proc_cpu_seconds(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_rss_mb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def tick_worker(folder, rungs, thumbnails, seconds):
    """Runs in its own process: the packager's ticks on the folder; prints JSON."""
    import django

    django.setup()
    from django.conf import settings

    from live.services.media_playlist import read_playlist
    from live.services.renditions import rung_folder_name
    from live.workers.ladder import Ladder
    from live.workers.thumbnailer import Thumbnailer

    settings.LIVE_LADDER_RUNGS = rungs or []
    folder = Path(folder)
    ladder = Ladder(folder, 0) if rungs else None
    thumbnailer = Thumbnailer(folder, 0) if thumbnails else None
    listed_at, delays = {}, []
    start_self = resource.getrusage(resource.RUSAGE_SELF)
    start_children = resource.getrusage(resource.RUSAGE_CHILDREN)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        playlist = read_playlist(folder / "index.m3u8")
        if playlist and playlist.newest:
            listed_at.setdefault(playlist.newest.uri, time.monotonic())
        if ladder:
            ladder.tick(playlist)
            lowest = folder / rung_folder_name(rungs[-1])
            for name, when in list(listed_at.items()):
                if (lowest / name).exists():
                    delays.append(time.monotonic() - when)
                    del listed_at[name]
        if thumbnailer:
            thumbnailer.tick(playlist)
        time.sleep(0.25)
    for worker in (ladder, thumbnailer):
        if worker and worker.job:
            while worker.job.poll() is None:
                time.sleep(0.05)
    end_self = resource.getrusage(resource.RUSAGE_SELF)
    end_children = resource.getrusage(resource.RUSAGE_CHILDREN)

    def cpu(end, begin):
        return (end.ru_utime + end.ru_stime) - (begin.ru_utime + begin.ru_stime)

    print(
        json.dumps(
            {
                "jobs_cpu": cpu(end_children, start_children) / seconds,
                "loop_cpu": cpu(end_self, start_self) / seconds,
                "job_rss_mb": end_children.ru_maxrss / 1024,
                "delay": statistics.median(delays) if delays else None,
            }
        )
    )


def start(command, log):
    return subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        folder, rungs, thumbnails = args.worker
        rungs = [int(value) for value in rungs.split(",") if value]
        return tick_worker(folder, rungs, thumbnails == "1", args.seconds)

    work = Path(tempfile.mkdtemp(prefix="bench-ladder-"))
    folder = work / "stream"
    folder.mkdir()
    log = open(work / "ffmpeg.log", "ab")
    port = 20000 + os.getpid() % 20000
    packager = start(
        ["ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-loglevel", "warning",
         "-i", f"srt://127.0.0.1:{port}?mode=listener&latency=200000",
         "-map", "0:v:0", "-map", "0:a:0?", "-c", "copy", "-bsf:v", "h264_mp4toannexb",
         "-f", "hls", "-hls_time", "1", "-hls_list_size", "6",
         "-hls_flags", "delete_segments+program_date_time+independent_segments+temp_file",
         "-hls_segment_filename", str(folder / "s%d.ts"), str(folder / "index.m3u8")],
        log,
    )  # fmt: skip
    time.sleep(0.5)
    camera = start(
        ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "warning", "-re",
         "-f", "lavfi", "-i", f"testsrc2=size={args.size}:rate=30",
         "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
         "-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency", "-g", "30",
         "-pix_fmt", "yuv420p", "-b:v", "3000k", "-c:a", "aac", "-b:a", "128k",
         "-f", "mpegts", f"srt://127.0.0.1:{port}?mode=caller&latency=200000"],
        log,
    )  # fmt: skip
    rows = []
    try:
        deadline = time.monotonic() + 20
        while not (folder / "index.m3u8").exists():
            if time.monotonic() > deadline or packager.poll() is not None:
                raise SystemExit(f"no HLS output; see {work / 'ffmpeg.log'}")
            time.sleep(0.2)
        time.sleep(3)
        for name, rungs, thumbnails in VARIANTS:
            for extra in ("480p", "240p", "thumb.jpg", "master.m3u8"):
                shutil.rmtree(folder / extra, ignore_errors=True)
                if (folder / extra).is_file():
                    (folder / extra).unlink()
            before = proc_cpu_seconds(packager.pid)
            began = time.monotonic()
            worker = subprocess.run(
                [sys.executable, __file__, "--seconds", str(args.seconds), "--worker",
                 str(folder), ",".join(map(str, rungs or [])), "1" if thumbnails else "0"],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            copy_cpu = (proc_cpu_seconds(packager.pid) - before) / (time.monotonic() - began)
            found = json.loads(worker.stdout.strip().splitlines()[-1])
            rows.append((name, copy_cpu, proc_rss_mb(packager.pid), found))
    finally:
        for process in (camera, packager):
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(work, ignore_errors=True)

    print(f"\n{args.size} at 30 fps, one stream, {args.seconds} s each, {os.cpu_count()} cores")
    header = "| variant | copy ffmpeg CPU / RSS | jobs CPU | tick loop CPU | total CPU | largest job RSS | rung delay (median) |"  # noqa: E501
    print(header)
    print("|---|---|---|---|---|---|---|")
    for name, copy_cpu, copy_rss, found in rows:
        jobs = found["jobs_cpu"] if name != "copy only" else 0.0
        total = copy_cpu + jobs + found["loop_cpu"]
        job_rss = f"{found['job_rss_mb']:.0f} MB" if jobs else "—"
        delay = f"{found['delay']:.2f} s" if found["delay"] is not None else "—"
        print(
            f"| {name.strip()} | {copy_cpu * 100:.1f} % / {copy_rss:.0f} MB | {jobs * 100:.1f} % "
            f"| {found['loop_cpu'] * 100:.1f} % | {total * 100:.1f} % | {job_rss} | {delay} |"
        )


if __name__ == "__main__":
    main()
