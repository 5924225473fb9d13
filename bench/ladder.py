"""What the adaptive ladder and live thumbnails cost the packager, per 720p30 stream.

    .venv/bin/python bench/ladder.py [--seconds 20] [--size 1280x720]
    .venv/bin/python bench/ladder.py --ladder-only --hog 2 --seconds 300   # beside a CPU hog

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
    from live.workers.ladder import START_BEHIND, Ladder
    from live.workers.rung_encoder import first_pts
    from live.workers.thumbnailer import Thumbnailer

    settings.LIVE_LADDER_RUNGS = rungs or []
    folder = Path(folder)
    ladder = Ladder(folder, 0) if rungs else None
    thumbnailer = Thumbnailer(folder, 0) if thumbnails else None
    listed_at, delays = {}, []
    first_newest = None  # the newest source segment when the ladder first ticked
    # Every source segment listed during the run, and what each rung made of it.
    seen, made, misaligned = {}, {rung: set() for rung in rungs or []}, 0
    # Every segment file each rung wrote, seen while it lasted, in time or not: a rung
    # segment that came after its source left the playlist is late, not missing.
    written = {rung: set() for rung in rungs or []}
    start_self = resource.getrusage(resource.RUSAGE_SELF)
    start_children = resource.getrusage(resource.RUSAGE_CHILDREN)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        playlist = read_playlist(folder / "index.m3u8")
        if playlist and playlist.newest:
            listed_at.setdefault(playlist.newest.uri, time.monotonic())
        if ladder:
            if playlist and playlist.newest and first_newest is None:
                first_newest = playlist.newest.sequence
            ladder.tick(playlist)
            for entry in playlist.entries if playlist else ():
                if entry.uri not in seen:
                    seen[entry.uri] = (entry.sequence, first_pts(folder / entry.uri))
                for rung in rungs:
                    rung_file = folder / rung_folder_name(rung) / entry.uri
                    if entry.uri not in made[rung] and rung_file.exists():
                        made[rung].add(entry.uri)
                        start = first_pts(rung_file)
                        if start is None or abs(start - seen[entry.uri][1]) > 0.001:
                            misaligned += 1
            for rung in rungs:
                written[rung].update(
                    path.name for path in (folder / rung_folder_name(rung)).glob("[!.]*.ts")
                )
            lowest = folder / rung_folder_name(rungs[-1])
            for name, when in list(listed_at.items()):
                if (lowest / name).exists():
                    delays.append(time.monotonic() - when)
                    del listed_at[name]
        if thumbnailer:
            thumbnailer.tick(playlist)
        time.sleep(0.25)
    if ladder:
        ladder.cancel()  # its ffmpeg runs for the whole broadcast: reaped here, so counted
    if thumbnailer and thumbnailer.job:
        while thumbnailer.job.poll() is None:
            time.sleep(0.05)
    end_self = resource.getrusage(resource.RUSAGE_SELF)
    end_children = resource.getrusage(resource.RUSAGE_CHILDREN)

    def cpu(end, begin):
        return (end.ru_utime + end.ru_stime) - (begin.ru_utime + begin.ru_stime)

    # Segments listed before the ladder started are not its to make (it begins
    # START_BEHIND segments back, as a camera's ladder does); the last two are in flight.
    sequences = sorted(sequence for sequence, _ in seen.values())
    first = (first_newest if first_newest is not None else sequences[0]) - START_BEHIND + 1
    counted = [uri for uri, (sequence, _) in seen.items() if first <= sequence < sequences[-2]]
    missing = sum(1 for rung in made for uri in counted if uri not in written[rung])
    late = sum(
        1 for rung in made for uri in counted if uri in written[rung] and uri not in made[rung]
    )
    every = written[rungs[-1]] if rungs else set()
    made_seconds = len(every) * settings.LIVE_SEGMENT_SECONDS
    print(
        json.dumps(
            {
                "made": sum(len(uris) for uris in made.values()),
                "missing": missing,
                "late": late,
                "misaligned": misaligned,
                "cpu_per_video_second": (
                    cpu(end_children, start_children) / made_seconds if made_seconds else None
                ),
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
    parser.add_argument(
        "--ladder-only", action="store_true", help="only the copy + 480p + 240p variant"
    )
    parser.add_argument(
        "--hog",
        type=int,
        default=0,
        help="this many `ffmpeg -f lavfi -i testsrc2 -f null -` beside it the whole time",
    )
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
    camera_command = [
        "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "warning", "-re",
        "-f", "lavfi", "-i", f"testsrc2=size={args.size}:rate=30",
        "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
        "-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency", "-g", "30",
        "-pix_fmt", "yuv420p", "-b:v", "3000k", "-c:a", "aac", "-b:a", "128k",
        "-f", "mpegts", f"srt://127.0.0.1:{port}?mode=caller&latency=200000",
    ]  # fmt: skip
    time.sleep(0.5)
    camera = start(camera_command, log)
    hogs = [
        start(["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error",
               "-f", "lavfi", "-i", "testsrc2", "-f", "null", "-"], log)
        for _ in range(args.hog)
    ]  # fmt: skip
    load_before = os.getloadavg()[0]
    variants = [VARIANTS[1]] if args.ladder_only else VARIANTS
    rows = []
    try:
        deadline = time.monotonic() + 60
        while not (folder / "index.m3u8").exists():
            if time.monotonic() > deadline or packager.poll() is not None:
                raise SystemExit(f"no HLS output; see {work / 'ffmpeg.log'}")
            if camera.poll() is not None:  # on a busy box the listener may not be up yet
                camera = start(camera_command, log)
            time.sleep(0.2)
        time.sleep(3)
        for name, rungs, thumbnails in variants:
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
        for process in (camera, packager, *hogs):
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(work, ignore_errors=True)

    print(
        f"\n{args.size} at 30 fps, one stream, {args.seconds} s each, {os.cpu_count()} cores, "
        f"{args.hog} CPU hog(s) beside it; load average {load_before:.2f} at the start, "
        f"{os.getloadavg()[0]:.2f} at the end"
    )
    header = "| variant | copy ffmpeg CPU / RSS | rung ffmpeg CPU per second of video | jobs CPU per wall second | tick loop CPU | largest job RSS | rung delay (median) | rung segments made / missing / late / misaligned |"  # noqa: E501
    print(header)
    print("|---|---|---|---|---|---|---|---|")
    for name, copy_cpu, copy_rss, found in rows:
        jobs = found["jobs_cpu"] if name != "copy only" else 0.0
        job_rss = f"{found['job_rss_mb']:.0f} MB" if jobs else "—"
        delay = f"{found['delay']:.2f} s" if found["delay"] is not None else "—"
        per_video = found["cpu_per_video_second"]
        per_video = f"**{per_video * 100:.1f} %**" if per_video is not None else "—"
        made = (
            f"{found['made']} / {found['missing']} / {found['late']} / {found['misaligned']}"
            if jobs
            else "—"
        )
        print(
            f"| {name.strip()} | {copy_cpu * 100:.1f} % / {copy_rss:.0f} MB | {per_video} "
            f"| {jobs * 100:.1f} % | {found['loop_cpu'] * 100:.1f} % | {job_rss} | {delay} "
            f"| {made} |"
        )


if __name__ == "__main__":
    main()
