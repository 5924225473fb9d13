"""Bench: N viewers of one live stream through two edges in front of one media host.

    .venv/bin/python bench/edge.py                          # 1,000 viewers for 30 s
    .venv/bin/python bench/edge.py --viewers 2000 --seconds 60

The world: a media host (`rendernginx --role origin`, 1 worker, access log on) whose
live output folder ffmpeg fills with a live HLS stream as a packager would (1-s
segments, 6 in the playlist, a 426x240 test picture), and two edges (`--role edge
--origin a=… --app …`, 1 worker each). Viewers are split evenly over the edges and
behave like players: each polls `/media/a/hls/<sig>/<exp>/<stream>/index.m3u8`
once per target duration (1 s, from a random phase), joins at the third segment
from the end and then fetches every new segment once, on one keep-alive
connection. The client is asyncio (uvloop) in `--client-processes` processes on
the same 2 cores as the servers.

Reported:
- origin requests per segment per edge, from the origin's access log (goal: about 1);
- CPU of each edge, the origin, the encoder and the client, in cores (/proc);
- what an edge adds to glass-to-glass: a probe (its own process, from 127.0.0.2 so
  its lines in the origin's log are told apart) polls the playlist every
  `--probe-ms` from the origin directly and through each edge and notes when each
  new segment first shows; the difference, per segment (goal: at most 0.5 s);
- the viewers' request latency p50/p99 and errors (non-200, timeouts, resets).
"""

import argparse
import asyncio
import multiprocessing
import random
import re
import resource
import shutil
import time
from collections import Counter
from pathlib import Path

from harness import World, free_port, machine_note, markdown_table, tree_cpu_seconds
from viewers import Connection, percentile, raise_open_files_limit, request_bytes

STREAM = "bench-edge-0123456789abcdef"
TIMEOUT = 10.0
clock = time.perf_counter


async def fetch(connection, path, keep=False):
    async with asyncio.timeout(TIMEOUT):
        return await connection.get(request_bytes(path), keep)


def segment_names(playlist):
    return [line for line in playlist.decode().splitlines() if line and line[0] != "#"]


async def viewer(port, playlist, start, end, results):
    connection, fetched = Connection(port), None
    base = playlist.rsplit(b"/", 1)[0] + b"/"
    poll_at = start + random.uniform(0, 1)
    while poll_at < end:
        await asyncio.sleep(max(0, poll_at - clock()))
        poll_at += 1.0
        wanted = [("playlist", playlist)]
        while wanted:
            kind, path = wanted.pop(0)
            began = clock()
            try:
                status, body = await fetch(connection, path, keep=kind == "playlist")
            except Exception as exc:  # counted; the connection starts afresh
                results[kind]["errors"][type(exc).__name__] += 1
                connection.close()
                break
            results[kind]["latency"].append(clock() - began)
            if status != 200:
                results[kind]["errors"][str(status)] += 1
                break
            if kind == "playlist":
                names = segment_names(body)
                new = names[-3:] if fetched is None else [n for n in names if n not in fetched]
                fetched = set(names)
                wanted += [("segment", base + name.encode()) for name in new]
    connection.close()


def run_client(targets, start_at, seconds, queue):
    """targets: [(edge port, playlist path)] per viewer."""

    async def main():
        start = clock() + (start_at - time.time())
        results = {kind: {"latency": [], "errors": Counter()} for kind in ("playlist", "segment")}
        await asyncio.gather(
            *(viewer(port, path, start, start + seconds, results) for port, path in targets)
        )
        return results

    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    results = asyncio.run(main())
    usage = resource.getrusage(resource.RUSAGE_SELF)
    queue.put((results, usage.ru_utime + usage.ru_stime))


def run_probe(sources, every, start_at, seconds, queue):
    """sources: {name: (port, playlist path)}; puts {name: {segment: first seen}}."""

    async def watch(port, path, seen, end):
        connection = Connection(port, source="127.0.0.2")
        while time.time() < end:
            try:
                status, body = await fetch(connection, path, keep=True)
            except Exception:
                connection.close()
                continue
            now = time.time()
            if status == 200:
                for name in segment_names(body):
                    seen.setdefault(name, now)
            await asyncio.sleep(every)

    async def main():
        await asyncio.sleep(max(0, start_at - time.time()))
        seen = {name: {} for name in sources}
        end = start_at + seconds
        await asyncio.gather(
            *(watch(port, path, seen[name], end) for name, (port, path) in sources.items())
        )
        return seen

    queue.put(asyncio.run(main()))


def start_encoder(world, folder):
    folder.mkdir(parents=True, exist_ok=True)
    command = [
        shutil.which("ffmpeg") or "/usr/bin/ffmpeg", "-hide_banner", "-loglevel", "error",
        "-re", "-f", "lavfi", "-i", "testsrc2=size=426x240:rate=30",
        "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "30",
        "-b:v", "800k", "-pix_fmt", "yuv420p", "-f", "hls", "-hls_time", "1",
        "-hls_list_size", "6", "-hls_flags", "delete_segments+temp_file+omit_endlist",
        "-hls_segment_filename", str(folder / "s%05d.ts"), str(folder / "index.m3u8"),
    ]  # fmt: skip
    return world.start("ffmpeg", command)


def origin_requests(log_path, since_line):
    """{file: requests} from the edges (not the probe's 127.0.0.2) in the origin's log."""
    counts = Counter()
    lines = Path(log_path).read_text().splitlines()[since_line:]
    for line in lines:
        match = re.match(r'(\S+) \[[^]]+\] "GET /hls/-/-/[^/]+/(\S+)" 200 ', line)
        if match and match[1] != "127.0.0.2":
            counts[match[2]] += 1
    return counts


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--viewers", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--client-processes", type=int, default=1)
    parser.add_argument("--probe-ms", type=float, default=20)
    parser.add_argument(
        "--playlist-window-ms", type=int, default=0, help="the edges' (default: rendernginx's)"
    )
    args = parser.parse_args()
    raise_open_files_limit()

    with World() as world:
        world.setup_django()
        from django.conf import settings

        from live.services.media import parse_media_path, sign_media_path
        from live.services.nginx_config import NginxOptions, Origin

        args.playlist_window_ms = args.playlist_window_ms or NginxOptions().playlist_window_ms

        origin_port = world.nginx(free_port(), workers=1, name="origin", role="origin",
                                  access_log=True)  # fmt: skip
        app = f"127.0.0.1:{free_port()}"  # nothing there: the bench asks for video only
        edges = [
            world.nginx(free_port(), workers=1, name=f"edge-{n}", role="edge", apps=[app],
                        origins=[Origin("a", f"127.0.0.1:{origin_port}")],
                        playlist_window_ms=args.playlist_window_ms)  # fmt: skip
            for n in (1, 2)
        ]
        folder = Path(settings.LIVE_STREAM_DATA_DIR) / "hls" / STREAM
        encoder = start_encoder(world, folder)
        deadline = time.monotonic() + 20
        while not (folder / "index.m3u8").exists() or len(list(folder.glob("*.ts"))) < 4:
            if time.monotonic() > deadline or encoder.poll() is not None:
                raise SystemExit("ffmpeg wrote no live stream")
            time.sleep(0.2)
        path = sign_media_path(
            parse_media_path(f"/hls/{STREAM}/index.m3u8"), int(time.time()) + 3600
        )
        at_edge = f"/media/a{path}".encode()
        log = world.root / "origin" / "access.log"
        log_start = len(log.read_text().splitlines()) if log.exists() else 0

        pids = {"edge 1": world.pid("edge-1"), "edge 2": world.pid("edge-2"),
                "origin": world.pid("origin"), "ffmpeg": encoder.pid}  # fmt: skip
        cpu_before = {name: tree_cpu_seconds(pid) for name, pid in pids.items()}
        wall_before = time.monotonic()
        start_at = time.time() + 1.0
        queue, probe_queue = multiprocessing.Queue(), multiprocessing.Queue()
        targets = [(edges[n % 2], at_edge) for n in range(args.viewers)]
        share = [targets[n :: args.client_processes] for n in range(args.client_processes)]
        processes = [
            multiprocessing.Process(target=run_client, args=(part, start_at, args.seconds, queue))
            for part in share
        ]
        sources = {"origin": (origin_port, path.encode()), "edge 1": (edges[0], at_edge),
                   "edge 2": (edges[1], at_edge)}  # fmt: skip
        probe = multiprocessing.Process(
            target=run_probe,
            args=(sources, args.probe_ms / 1000, start_at, args.seconds, probe_queue),
        )
        for process in processes + [probe]:
            process.start()
        parts = [queue.get(timeout=args.seconds + 120) for _ in processes]
        seen = probe_queue.get(timeout=args.seconds + 60)
        wall = time.monotonic() - wall_before
        cores = {name: (tree_cpu_seconds(pid) - cpu_before[name]) / wall
                 for name, pid in pids.items()}  # fmt: skip
        cores["client"] = sum(cpu for _, cpu in parts) / wall
        for process in processes + [probe]:
            process.join(timeout=30)
        time.sleep(0.5)  # the last log lines
        per_file = origin_requests(log, log_start)

    report(args, parts, seen, cores, per_file)


def report(args, parts, seen, cores, per_file):
    playlists = per_file.pop("index.m3u8", 0)
    per_segment = per_file
    rows = []
    for kind in ("playlist", "segment"):
        latency = [value for results, _ in parts for value in results[kind]["latency"]]
        errors = sum((results[kind]["errors"] for results, _ in parts), Counter())
        count = len(latency) + sum(errors.values())
        shown = ", ".join(f"{name}: {n}" for name, n in sorted(errors.items())) or "0"
        p50, p99 = percentile(latency, 0.5) * 1000, percentile(latency, 0.99) * 1000
        rows.append([kind, f"{count:,}", f"{count / args.seconds:,.0f}", f"{p50:.1f}",
                     f"{p99:.1f}", shown])  # fmt: skip
    # Segments already listed when the probe began have no "first seen": left out.
    began = min(seen["origin"].values()) + 1.5
    added = {}
    for edge in ("edge 1", "edge 2"):
        common = [n for n in seen[edge] if seen["origin"].get(n, 0) > began]
        added[edge] = [seen[edge][name] - seen["origin"][name] for name in common]
    segments = len(per_segment)
    requests = sum(per_segment.values())
    print(f"\n### {args.viewers:,} viewers for {args.seconds:g} s through 2 edges "
          f"(1 nginx worker each, playlist window {args.playlist_window_ms} ms) in front of "
          f"1 origin (1 worker); 1-s segments\n")  # fmt: skip
    print(markdown_table(
        ["kind", "requests", "per s", "p50 ms", "p99 ms", "errors"], rows))  # fmt: skip
    print()
    print(markdown_table(
        ["measure", "value", "goal"],
        [
            ["segments fetched through the edges", f"{segments}", ""],
            ["origin playlist requests per second per edge",
             f"{playlists / args.seconds / 2:.1f}",
             f"{1000 // args.playlist_window_ms} (one per window)"],
            ["origin requests per segment per edge", f"{requests / max(1, segments) / 2:.2f} "
             f"(max {max(per_segment.values(), default=0)} for one segment, 2 edges)", "about 1"],
            *[[f"added glass-to-glass, {edge} (p50 / max over {len(values)} segments)",
               f"{percentile(values, 0.5) * 1000:.0f} ms / {max(values, default=0) * 1000:.0f} ms",
               "<= 500 ms"] for edge, values in added.items()],
            *[[f"CPU, {name}", f"{value:.2f} cores", ""] for name, value in cores.items()],
        ],
    ))  # fmt: skip
    print(f"\nProbe every {args.probe_ms:g} ms; {machine_note()}.")


if __name__ == "__main__":
    main()
