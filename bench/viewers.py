"""Bench: N viewers on one box, each polling status and fetching segments through nginx.

    .venv/bin/python bench/viewers.py                        # 10,000 viewers for 60 s
    .venv/bin/python bench/viewers.py --viewers 2000 --seconds 15
    .venv/bin/python bench/viewers.py --db postgres --client-processes 2
    .venv/bin/python bench/viewers.py --poll-cache-seconds 0  # every poll to Django

The server side is one box as deployed: nginx (the default rendered config, with
its 1-s poll micro-cache, 2 workers) in front of gunicorn (deploy/gunicorn.conf.py:
cores + 1 sync workers, DATABASE_CONN_MAX_AGE=60, telemetry off), on a temporary
SQLite (or PostgreSQL) database with a live mock broadcast. The broadcast's segments are put in the
live output folder, where a packager writes them, so nginx serves them from
disk as in production (the mock's own segments would be Django's).

Each simulated viewer keeps one HTTP/1.1 keep-alive connection to nginx, as a
player does, and from a random phase on: every `--status-every` s (5) it GETs
`/events/<id>/live/status?token=…` (a client API key; proxied to gunicorn) and
every `--segment-every` s (2) a signed segment (about 100 KB, from disk). The
client is a small asyncio HTTP/1.1 client in `--client-processes` processes
(default 1) on the same 2 cores as the servers: it competes with them for CPU,
so the box is loaded by its own load generator too. Loopback only; the run
ends after `--seconds`. The open-file limit is raised to its hard limit.

Reported per kind: requests, achieved rate, p50/p99 latency (request written to
body read), errors (connection failures, timeouts, non-200 answers), and how
late the client itself started requests (a client that cannot keep up shows
here, not as server latency), and nginx's own p99 time per request from its access
log (first byte in to last byte out: what the servers took, with none of the
client's delays). Goal: 10,000 viewers, zero errors, status p99 under 100 ms.
"""

import argparse
import asyncio
import multiprocessing
import os
import random
import resource
import shutil
import time
from pathlib import Path

from harness import (
    EVENT_ID,
    World,
    http,
    machine_note,
    markdown_table,
    mint_links,
    start_mock_broadcast,
    tree_cpu_seconds,
)

TIMEOUT = 10.0
# Not loop.time(): uvloop's counts whole milliseconds, cached per loop turn.
clock = time.perf_counter


class _Http(asyncio.Protocol):
    """HTTP/1.1 responses counted as they arrive: bodies are kept only when asked."""

    def __init__(self):
        self.transport = None
        self.waiter = None
        self.head = b""
        self.status = self.remaining = 0
        self.chunked = self.close_after = False
        self.tail = b""

    def connection_made(self, transport):
        self.transport = transport

    def connection_lost(self, exc):
        self.transport = None
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(exc or ConnectionResetError("closed by the server"))

    def expect(self, waiter, keep=False):
        self.waiter, self.head, self.tail = waiter, b"", b""
        self.keep, self.body = keep, []
        self.status = self.remaining = 0
        self.chunked = self.close_after = False

    def data_received(self, data):
        if self.waiter is None or self.waiter.done():
            return
        if self.status == 0:
            self.head += data
            end = self.head.find(b"\r\n\r\n")
            if end < 0:
                return
            lines = self.head[:end].split(b"\r\n")
            self.status = int(lines[0].split(b" ", 2)[1])
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                name, value = name.strip().lower(), value.strip().lower()
                if name == b"content-length":
                    self.remaining = int(value)
                elif name == b"transfer-encoding" and b"chunked" in value:
                    self.chunked = True
                elif name == b"connection" and value == b"close":
                    self.close_after = True
            data = self.head[end + 4 :]
            self.head = b""
        if self.keep:
            self.body.append(data)  # playlists (bench/edge.py); never chunked there
        if self.chunked:
            # Enough for the small proxied answers: done at the last chunk.
            self.tail = (self.tail + data)[-5:]
            done = self.tail == b"0\r\n\r\n"
        else:
            self.remaining -= len(data)
            done = self.remaining <= 0
        if done:
            self.waiter.set_result((self.status, b"".join(self.body)))


class Connection:
    """One keep-alive HTTP/1.1 connection to nginx; reconnects after an error."""

    def __init__(self, port, source=None):
        self.port = port
        self.source = source  # a local address to connect from (bench/edge.py's probe)
        self.protocol = None

    async def get(self, request, keep=False):
        """(status, body) of a GET (request: the whole request's bytes); the body is b""
        unless `keep`. Raises on errors."""
        loop = asyncio.get_running_loop()
        if self.protocol is None or self.protocol.transport is None:
            local = (self.source, 0) if self.source else None
            _, self.protocol = await loop.create_connection(
                _Http, "127.0.0.1", self.port, local_addr=local
            )
        waiter = loop.create_future()
        self.protocol.expect(waiter, keep)
        self.protocol.transport.write(request)
        answer = await waiter
        if self.protocol.close_after:
            self.close()
        return answer

    def close(self):
        if self.protocol is not None and self.protocol.transport is not None:
            self.protocol.transport.close()
        self.protocol = None


def request_bytes(path, headers=b""):
    return b"GET " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers + b"\r\n"


async def viewer(port, kinds, start, end, results, index=None):
    """One viewer: each kind of request every ``every`` s from a random phase. A kind
    may go to its own ``port`` (the media host); viewer ``index`` keeps link number
    ``index`` of a sticky kind (random without an index)."""
    connections = {}
    due = {kind: start + random.uniform(0, spec["every"]) for kind, spec in kinds.items()}
    # A viewer keeps its link; segments come in turn.
    mine = {}
    for kind, spec in kinds.items():
        requests = spec["requests"]
        if spec["sticky"]:
            pick = index % len(requests) if index is not None else random.randrange(len(requests))
            requests = [requests[pick]]
        mine[kind] = requests
    try:
        while True:
            kind = min(due, key=due.get)
            when = due[kind]
            if when >= end or clock() >= end:
                return
            delay = when - clock()
            if delay > 0:
                await asyncio.sleep(delay)
            spec = kinds[kind]
            due[kind] = when + spec["every"]
            began = clock()
            record = results[kind]
            record["late"].append(began - when)
            kind_port = spec.get("port", port)
            connection = connections.setdefault(kind_port, Connection(kind_port))
            try:
                async with asyncio.timeout(TIMEOUT):
                    status, _ = await connection.get(random.choice(mine[kind]))
            except Exception as exc:  # counted, and the connection starts afresh
                record["errors"][type(exc).__name__] = (
                    record["errors"].get(type(exc).__name__, 0) + 1
                )
                connection.close()
                continue
            record["latency"].append(clock() - began)
            if status != 200:
                record["errors"][str(status)] = record["errors"].get(str(status), 0) + 1
    finally:
        for connection in connections.values():
            connection.close()


def run_client(port, kinds, viewers, start_at, seconds, queue, first=0):
    """One client process: `viewers` viewers from wall time start_at for `seconds`."""

    async def main():
        start = clock() + (start_at - time.time())
        end = start + seconds
        results = {kind: {"latency": [], "late": [], "errors": {}} for kind in kinds}
        await asyncio.gather(
            *(viewer(port, kinds, start, end, results, first + n) for n in range(viewers))
        )
        return results

    try:
        import uvloop  # about half the client's CPU per request

        uvloop.install()
    except ImportError:
        pass
    results = asyncio.run(main())
    usage = resource.getrusage(resource.RUSAGE_SELF)
    results["cpu_seconds"] = usage.ru_utime + usage.ru_stime
    queue.put(results)


def raise_open_files_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def percentile(values, fraction):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def nginx_request_times(*log_paths):
    """{kind: [seconds]} from nginx's access logs: its own time from the request's first
    byte to the answer's last (millisecond resolution). The log leaves query strings
    out (tokens), so "status" and "media" share one list."""
    status, segment = [], []
    for log_path in log_paths:
        for line in Path(log_path).read_text().splitlines():
            parts = line.rsplit(" ", 1)
            if "/live/status" in parts[0]:
                status.append(float(parts[1]))
            elif '"GET /hls/' in parts[0]:
                segment.append(float(parts[1]))
    return {"status": status, "media": status, "segment": segment}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--viewers", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--status-every", type=float, default=5)
    parser.add_argument("--segment-every", type=float, default=2)
    parser.add_argument("--client-processes", type=int, default=1)
    parser.add_argument("--nginx-workers", type=int, default=2)
    parser.add_argument(
        "--gunicorn-workers", type=int, default=0, help="default: the deploy config's"
    )
    parser.add_argument(
        "--gunicorn-threads",
        type=int,
        default=0,
        help="gthread workers with this many threads (keep-alive to nginx); 0: sync",
    )
    parser.add_argument(
        "--poll-cache-seconds",
        type=int,
        default=1,
        help="nginx's poll micro-cache (rendernginx --poll-cache-seconds; 1 by default, 0: off)",
    )
    parser.add_argument(
        "--links",
        type=int,
        default=1,
        help="distinct viewer links (minted by the service, no rate limit); viewer i has "
        "link i modulo this",
    )
    parser.add_argument(
        "--media-every",
        type=float,
        default=0,
        help="how often a viewer asks status with its token for fresh media URLs "
        "(default: LIVE_VIEWER_MEDIA_TTL, 60 s); its other polls carry no token",
    )
    parser.add_argument(
        "--token-every-poll",
        action="store_true",
        help="every status poll carries the viewer's token (the client before 2026-12)",
    )
    parser.add_argument(
        "--app-servers",
        type=int,
        default=1,
        help="gunicorns behind one app nginx (rendernginx --role app), segments from a "
        "media host (--role origin); 1: one nginx of role all, as before",
    )
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    args = parser.parse_args()

    limit = raise_open_files_limit()
    needed = args.viewers + 2000
    if limit < needed:
        raise SystemExit(f"the open-file limit is {limit}: {args.viewers} viewers need {needed}")

    with World(args.db) as world:
        world.setup_django()
        from django.conf import settings

        from live.services.media import parse_media_path, sign_media_path

        workers = args.gunicorn_workers or (os.cpu_count() or 1) + 1
        apps = [
            world.gunicorn(
                workers=workers,
                threads=args.gunicorn_threads,
                name="gunicorn" if args.app_servers == 1 else f"gunicorn-{number}",
            )
            for number in range(1, args.app_servers + 1)
        ]
        # The access log gives nginx's own time per request ($request_time), which
        # the client's starved event loop cannot add to.
        role = {"role": "app", "apps": [f"127.0.0.1:{app}" for app in apps]}
        port = world.nginx(
            apps[0],
            workers=args.nginx_workers,
            poll_cache_seconds=args.poll_cache_seconds,
            access_log=True,
            **(role if args.app_servers > 1 else {}),
        )
        media_port = port
        if args.app_servers > 1:
            media_port = world.nginx(
                apps[0], workers=args.nginx_workers, access_log=True, role="origin", name="media"
            )
        token, hls_path = start_mock_broadcast(port, world.admin_key)
        tokens = [token] + mint_links(args.links - 1)
        stream = hls_path.split("/")[4]
        # Where a packager would have written the broadcast's segments.
        live_dir = Path(settings.LIVE_STREAM_DATA_DIR) / "hls" / stream
        live_dir.mkdir(parents=True, exist_ok=True)
        fixture = Path(settings.LIVE_SAMPLES_HLS_DIR) / "tee"
        names = sorted(path.name for path in fixture.glob("*.ts"))
        for name in names:
            shutil.copy(fixture / name, live_dir / name)
        expires = int(time.time()) + 3600
        segment_paths = [
            sign_media_path(parse_media_path(f"/hls/{stream}/{name}"), expires).encode()
            for name in names
        ]
        media_every = args.media_every or settings.LIVE_VIEWER_MEDIA_TTL
        token_paths = [f"/events/{EVENT_ID}/live/status?token={t}".encode() for t in tokens]
        # What changes for everyone is one answer per event (nginx's micro-cache keeps
        # it); the token is shown where it grants something: fresh media URLs.
        public_paths = [f"/events/{EVENT_ID}/live/status".encode()]
        headers = f"X-API-Key: {world.client_key}\r\n".encode()
        key = {"X-API-Key": world.client_key}
        checks = [(port, path, key) for path in (token_paths[0], token_paths[-1], public_paths[0])]
        checks += [(media_port, segment, {}) for segment in segment_paths]
        for check_port, path, extra in checks:
            status, _, _ = http(check_port, "GET", path.decode(), extra)
            if status != 200:
                raise SystemExit(f"{path!r} answered {status} before the run")
        kinds = {
            "status": {
                "every": args.status_every,
                "requests": [
                    request_bytes(path, headers)
                    for path in (token_paths if args.token_every_poll else public_paths)
                ],
                "sticky": True,
            },
            "segment": {
                "every": args.segment_every,
                "requests": [request_bytes(path) for path in segment_paths],
                "sticky": False,
                "port": media_port,
            },
        }
        if not args.token_every_poll:
            kinds["media"] = {
                "every": media_every,
                "requests": [request_bytes(path, headers) for path in token_paths],
                "sticky": True,
            }

        servers = {name: world.pid(name) for name, _ in world.processes}
        load_before = os.getloadavg()[0]
        cpu_before = {name: tree_cpu_seconds(pid) for name, pid in servers.items()}
        wall_before = time.monotonic()
        processes, queue = [], multiprocessing.Queue()
        start_at = time.time() + 1.0
        share = [args.viewers // args.client_processes] * args.client_processes
        share[0] += args.viewers - sum(share)
        first = 0
        for count in share:
            process = multiprocessing.Process(
                target=run_client,
                args=(port, kinds, count, start_at, args.seconds, queue, first),
            )
            process.start()
            processes.append(process)
            first += count
        parts = [queue.get(timeout=args.seconds + 120) for _ in processes]
        wall = time.monotonic() - wall_before
        cores = {
            name: (tree_cpu_seconds(pid) - cpu_before[name]) / wall
            for name, pid in servers.items()
        }
        cores["client"] = sum(part.pop("cpu_seconds") for part in parts) / wall
        for process in processes:
            process.join(timeout=30)
        logs = [world.root / name / "access.log" for name in ("nginx", "media")]
        server_times = nginx_request_times(*[log for log in logs if log.exists()])

    rows, error_total = [], 0
    for kind in kinds:
        latency = [value for part in parts for value in part[kind]["latency"]]
        late = [value for part in parts for value in part[kind]["late"]]
        errors = {}
        for part in parts:
            for name, count in part[kind]["errors"].items():
                errors[name] = errors.get(name, 0) + count
        error_total += sum(errors.values())
        expected = args.viewers * args.seconds / kinds[kind]["every"]
        rows.append(
            [
                kind,
                f"{len(latency) + sum(errors.values()):,}",
                f"{(len(latency) + sum(errors.values())) / args.seconds:,.0f}",
                f"{expected / args.seconds:,.0f}",
                f"{percentile(latency, 0.5) * 1000:.1f}",
                f"{percentile(latency, 0.99) * 1000:.1f}",
                ", ".join(f"{name}: {count}" for name, count in sorted(errors.items())) or "0",
                f"{percentile(late, 0.99) * 1000:.0f}",
                f"{percentile(server_times[kind], 0.99) * 1000:.0f}",
            ]
        )
    worker_kind = f"gthread x{args.gunicorn_threads}" if args.gunicorn_threads else "sync"
    status_p99 = max(float(row[5]) for row in rows if row[0] in ("status", "media"))
    verdict = "met" if error_total == 0 and status_p99 < 100 else "missed (see docs/scaling.md)"
    tier = (
        f"one app nginx and {args.app_servers} gunicorns ({workers} {worker_kind} workers each)"
        ", segments from a media host's nginx"
        if args.app_servers > 1
        else f"nginx ({args.nginx_workers} workers) and gunicorn ({workers} {worker_kind} workers)"
    )
    polls = (
        "status with the token every {0:g} s".format(args.status_every)
        if args.token_every_poll
        else f"status every {args.status_every:g} s, with the token every {media_every:g} s"
    )
    print(
        f"\n### {args.viewers:,} viewers for {args.seconds:g} s through {tier}, "
        f"{args.db}, poll cache {args.poll_cache_seconds or 'off'}, {args.links:,} link(s); "
        f"{polls}, a segment every {args.segment_every:g} s; load average "
        f"{load_before:.2f} at the start\n"
    )
    print(
        markdown_table(
            [
                "kind",
                "requests",
                "achieved/s",
                "planned/s",
                "p50 ms",
                "p99 ms",
                "errors",
                "client p99 lateness ms",
                "nginx p99 ms",
            ],
            rows,
        )
    )
    print(
        "\nCPU used during the run, in cores: "
        + ", ".join(f"{name} {value:.2f}" for name, value in cores.items())
        + f" (of {os.cpu_count()})."
    )
    django = sum(value for name, value in cores.items() if name.startswith("gunicorn"))
    print(
        f"\nDjango (every gunicorn) per 1,000 viewers: {django * 1000 / args.viewers:.3f} "
        "cores."
    )
    print(
        f"\nGoal (zero errors, status p99 < 100 ms): {verdict}. "
        f"{args.client_processes} client process(es) on the same box; {machine_note()}."
    )


if __name__ == "__main__":
    main()
