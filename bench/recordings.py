"""Bench: what recording costs (issue 12).

    LIVE_VIEWER_SIGN_KEY=… .venv/bin/python bench/recordings.py [--seconds 12] [--rounds 2]

- **packager CPU and RSS per 720p30 stream, recording off vs on**: the packager's
  own ffmpeg command (live/workers/ffmpeg_command.py: SRT listener, ``-c copy``)
  fed by a 720p30 H.264/AAC camera (libx264 veryfast, 2.5 Mbit/s, over SRT),
  measured from /proc over ``--seconds`` after a warm-up. The two differ only in
  ``delete_segments`` (recording keeps them); "on" also runs the packager's
  append pass (recording.m3u8 + dvr.m3u8) twice a second, timed in-process on
  that stream's folder and added as CPU. Rounds alternate off/on.
- **clip time**: cutting 30 s and 120 s from a 130 s 720p30 recording of 1 s
  segments (the packager's concat + ``-c copy -movflags +faststart`` command),
  wall clock, and the clip's ffprobe duration.
- **playlist bytes per poll**: index.m3u8 at the live edge vs dvr.m3u8 rewound
  with LIVE_DVR_SECONDS=1800 (1 s segments), and the mock's (2 s segments).

Everything runs on this machine's shared cores: noisy; run it twice.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone as dt_timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "teecam.settings")
os.environ.setdefault("LIVE_VIEWER_SIGN_KEY", "bench-recordings-" + "0" * 40)

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

from live.models import Broadcast, Camera  # noqa: E402
from live.services import mock_source, recording_playlists  # noqa: E402
from live.workers.clip_cutter import cut_command  # noqa: E402
from live.workers.ffmpeg_command import ffmpeg_command  # noqa: E402
from tests.ingest.support import camera_command, free_udp_ports  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def rss_mb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def packager_round(data_dir, record, seconds, warmup=6):
    settings.LIVE_STREAM_DATA_DIR = data_dir
    port = free_udp_ports(1)[0]
    camera = Camera(slug="main", stream_key="benchkey0123456789abcdef")
    broadcast = Broadcast(
        source="srt", stream_name=f"bench-{int(time.time() * 1000)}", ingest_port=port
    )
    broadcast.camera = camera
    folder = data_dir / "hls" / broadcast.stream_name
    folder.mkdir(parents=True)
    command = ffmpeg_command(broadcast)  # an unsaved broadcast: delete_segments on
    if record:
        flags = command.index("-hls_flags") + 1
        command[flags] = command[flags].replace("delete_segments+", "")
    packager = subprocess.Popen(command, stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    time.sleep(0.5)
    url = f"srt://127.0.0.1:{port}?mode=caller&passphrase={camera.stream_key}&pbkeylen=16"
    cam = camera_command(url, "mpegts", size="1280x720", rate=30)
    rate = ["-b:v", "2500k", "-maxrate", "2500k", "-bufsize", "2500k"]
    cam[cam.index("-c:a") : cam.index("-c:a")] = rate
    feeder = subprocess.Popen(cam, stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    try:
        time.sleep(warmup)
        cpu0, wall0, append_cpu = cpu_seconds(packager.pid), time.monotonic(), 0.0
        while time.monotonic() - wall0 < seconds:
            if record:
                started = time.process_time()
                recording_playlists.append_segments(folder)
                append_cpu += time.process_time() - started
            time.sleep(0.5)
        wall = time.monotonic() - wall0
        ffmpeg_cpu = (cpu_seconds(packager.pid) - cpu0) / wall
        rss = rss_mb(packager.pid)
    finally:
        feeder.kill()
        packager.kill()
        feeder.wait()
        packager.wait()
    return ffmpeg_cpu, append_cpu / wall, rss


def make_recording(folder, seconds=130):
    folder.mkdir(parents=True)
    subprocess.run(
        [
            "ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100", "-t", str(seconds),
            "-c:v", "libx264", "-preset", "ultrafast", "-g", "30", "-pix_fmt", "yuv420p",
            "-b:v", "2500k", "-c:a", "aac", "-b:a", "64k", "-f", "hls", "-hls_time", "1",
            "-hls_list_size", "0", "-hls_flags", "program_date_time",
            "-hls_segment_filename", str(folder / "s%d.ts"), str(folder / "index.m3u8"),
        ],
        check=True,
    )  # fmt: skip
    recording_playlists.append_segments(folder, finish=True)
    return recording_playlists.read_playlist(folder / "recording.m3u8")


def time_clip(folder, playlist, start_offset, duration):
    first = playlist.entries[0].program_time
    start = first + timedelta(seconds=start_offset)
    end = start + timedelta(seconds=duration)
    pieces, clock = [], first
    for entry in playlist.entries:
        piece_start = entry.program_time or clock
        piece_end = piece_start + timedelta(seconds=entry.duration)
        clock = piece_end
        if piece_end > start and piece_start < end:
            pieces.append((folder / entry.uri, piece_start, entry.duration))
    list_file = folder / "pieces.ffconcat"
    lines = ["ffconcat version 1.0"]
    for path, _, length in pieces:
        lines += [f"file '{path}'", f"duration {length:.3f}"]
    list_file.write_text("\n".join(lines) + "\n")
    output = folder / f"clip-{duration}.mp4"
    offset = (start - pieces[0][1]).total_seconds()
    began = time.monotonic()
    subprocess.run(cut_command(list_file, offset, duration, output), check=True)
    took = time.monotonic() - began
    probed = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
         str(output)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return took, float(probed), output.stat().st_size


def playlist_bytes(folder):
    settings.LIVE_DVR_SECONDS = 1800
    folder.mkdir(parents=True)
    window = settings.LIVE_PLAYLIST_SEGMENTS
    append_times = []
    for first in range(0, 1900):
        lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-TARGETDURATION:1",
                 f"#EXT-X-MEDIA-SEQUENCE:{first}"]  # fmt: skip
        now = datetime.now(dt_timezone.utc)
        for number in range(first, first + window):
            when = now + timedelta(seconds=number - first)
            lines += [
                "#EXT-X-PROGRAM-DATE-TIME:" + when.isoformat(timespec="milliseconds"),
                "#EXTINF:1.000000,",
                f"s{1764460000 + number}.ts",
            ]
        (folder / "index.m3u8").write_text("\n".join(lines) + "\n")
        began = time.process_time()
        recording_playlists.append_segments(folder)
        append_times.append(time.process_time() - began)
    edge = (folder / "index.m3u8").stat().st_size
    dvr = (folder / "dvr.m3u8").stat().st_size
    started = datetime.now(dt_timezone.utc) - timedelta(hours=1)
    now = datetime.now(dt_timezone.utc)
    mock_edge = len(mock_source.live_playlist(started, now).encode())
    mock_dvr = len(mock_source.dvr_playlist(started, now).encode())
    late = sorted(append_times[-200:])
    return edge, dvr, mock_edge, mock_dvr, late[len(late) // 2] * 1000


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=12)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="teecam-bench-rec-"))
    try:
        results = {False: [], True: []}
        for _ in range(args.rounds):
            for record in (False, True):
                results[record].append(packager_round(scratch / "live", record, args.seconds))
        print("| packager, 720p30 SRT, -c copy | ffmpeg CPU | append pass CPU | total | RSS |")
        print("|---|---|---|---|---|")
        totals = {}
        for record in (False, True):
            rows = results[record]
            cpu = sum(row[0] for row in rows) / len(rows)
            append = sum(row[1] for row in rows) / len(rows)
            rss = sum(row[2] for row in rows) / len(rows)
            totals[record] = cpu + append
            label = "recording on" if record else "recording off"
            print(
                f"| {label} | {cpu * 100:.2f} % | {append * 100:.2f} % | "
                f"{(cpu + append) * 100:.2f} % | {rss:.0f} MB |"
            )
        print(f"on/off CPU: {totals[True] / totals[False]:.3f} (goal <= 1.05)")
        steady_ms = playlist_bytes(scratch / "steady")[4]
        steady = totals[True] - sum(row[1] for row in results[True]) / args.rounds
        steady += steady_ms / 1000  # one append (and dvr.m3u8 rewrite) per 1 s segment
        print(
            f"steady state, a full {settings.LIVE_DVR_SECONDS} s rewind window: append pass "
            f"{steady_ms:.2f} ms per segment; on/off CPU {steady / totals[False]:.3f}\n"
        )

        folder = scratch / "recorded"
        playlist = make_recording(folder)
        print("| clip (-c copy, +faststart) | cut time | ffprobe duration | size |")
        print("|---|---|---|---|")
        for length in (30, 120):
            took, probed, size = time_clip(folder, playlist, 4.3, length)
            print(f"| {length} s | {took:.2f} s | {probed:.2f} s | {size / 2**20:.1f} MB |")

        edge, dvr, mock_edge, mock_dvr, append_ms = playlist_bytes(scratch / "dvr")
        print(
            "\n| playlist per poll | at the live edge (index.m3u8) | rewound (dvr.m3u8, 1800 s) |"
        )
        print("|---|---|---|")
        print(f"| camera (1 s segments) | {edge} B | {dvr} B |")
        print(f"| mock (2 s segments) | {mock_edge} B | {mock_dvr} B |")
        print(f"\nappend pass with a full 1800 s window: median {append_ms:.2f} ms CPU")
    finally:
        if not os.environ.get("BENCH_KEEP"):
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
