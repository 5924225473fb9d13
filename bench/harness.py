"""Shared by the delivery benches (status, viewer_poll, segments, viewers, tokens).

A bench makes a throw-away world (a temporary SQLite file or PostgreSQL database, a
data folder, a random signing key), sets up Django in this process on it to create
an event and an admin key, then starts gunicorn (deploy/gunicorn.conf.py) and, if
asked, nginx (the rendered config) as subprocesses on free loopback ports. Every
process is stopped by pid when the bench ends. Load comes from wrk, on loopback.
"""

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
PYTHON = str(BASE_DIR / ".venv" / "bin" / "python")
GUNICORN = str(BASE_DIR / ".venv" / "bin" / "gunicorn")
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
WRK = shutil.which("wrk") or "/usr/bin/wrk"
EVENT_ID = "bench-open"
DEFAULT_POSTGRES_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"

sys.path.insert(0, str(BASE_DIR))


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_port(port, process, timeout=30, what="server"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{what} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"{what} did not listen on {port} within {timeout} s")


class World:
    """The temporary database, data folder, key and processes of one bench run."""

    def __init__(
        self, database="sqlite", postgres_admin_url=DEFAULT_POSTGRES_ADMIN_URL, keep=False
    ):
        self.root = Path(tempfile.mkdtemp(prefix="teecam-bench-"))
        self.keep = keep or bool(os.environ.get("BENCH_KEEP"))
        self.processes = []
        self.postgres_admin_url = postgres_admin_url
        self.pg_name = None
        if database == "postgres":
            self.pg_name = f"teecam_bench_{os.getpid()}"
            self._postgres(f'CREATE DATABASE "{self.pg_name}"')
            database_url = postgres_admin_url.rsplit("/", 1)[0] + "/" + self.pg_name
        else:
            database_url = f"sqlite:///{self.root / 'bench.sqlite3'}"
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "DATABASE_CONN_MAX_AGE": "60",
            "LIVE_VIEWER_SIGN_KEY": secrets.token_urlsafe(48),
            "LIVE_STREAM_DATA_DIR": str(self.root / "live"),
            "LIVE_BENCH_BARE_VIEW": "1",
            "LIVE_TELEMETRY_LEVEL": "WARNING",
            # gunicorn sits behind the rendered nginx, as in production.
            "LIVE_TRUSTED_PROXIES": "127.0.0.1",
            "DJANGO_SETTINGS_MODULE": "teecam.settings",
            "PYTHONPATH": str(BASE_DIR),
        }
        for name in ("DEBUG", "REDIS_URL", "HTTPS_ONLY"):
            self.env.pop(name, None)

    def _postgres(self, statement):
        import psycopg

        with psycopg.connect(self.postgres_admin_url, autocommit=True) as connection:
            connection.execute(statement)

    def setup_django(self):
        """Django in this process, on this world's database: migrated, with an event."""
        os.environ.update(self.env)
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        from live.models import Event
        from live.services.apikeys import create_api_key

        Event.objects.get_or_create(pk=EVENT_ID, defaults={"name": "Bench Open"})
        self.admin_key = create_api_key("bench-admin", is_admin=True)[1]
        self.client_key = create_api_key("bench-client")[1]
        from django.db import connections

        connections.close_all()

    def start(self, name, command, env=None, port=None):
        log = open(self.root / f"{name}.log", "wb")
        process = subprocess.Popen(
            command,
            cwd=BASE_DIR,
            env=env or self.env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.processes.append((name, process))
        if port:
            wait_port(port, process, what=name)
        return process

    def gunicorn(self, workers=2, telemetry="WARNING", name="gunicorn", threads=0):
        """gunicorn with deploy/gunicorn.conf.py, on a free port; returns the port.

        threads > 0 runs gthread workers with that many threads (keep-alive)."""
        port = free_port()
        env = {**self.env, "LIVE_TELEMETRY_LEVEL": telemetry}
        if threads:
            env.update(GUNICORN_WORKER_CLASS="gthread", GUNICORN_THREADS=str(threads))
        command = [
            GUNICORN, "-c", "deploy/gunicorn.conf.py",
            "-b", f"127.0.0.1:{port}", "-w", str(workers), "teecam.wsgi",
        ]  # fmt: skip
        self.start(name, command, env=env, port=port)
        return port

    def nginx(
        self, upstream_port, workers=2, http_include="", rtmp_port=None, name="nginx", **options
    ):
        """nginx with the rendered config in front of upstream_port; RTMP ingest on
        rtmp_port if given. `name` names its folder and process (several may run).

        options: further NginxOptions fields, e.g. poll_cache_seconds, role."""
        from live.services.nginx_config import NginxOptions, write_nginx_config

        port = free_port()
        prefix = self.root / name
        if rtmp_port:
            options["rtmp_listen"] = f"127.0.0.1:{rtmp_port}"
        options = NginxOptions(
            listen=f"127.0.0.1:{port}",
            upstream=f"127.0.0.1:{upstream_port}",
            prefix=str(prefix),
            rtmp=bool(rtmp_port),
            workers=str(workers),
            http_include=http_include,
            **options,
        )
        config = write_nginx_config(options, prefix / "nginx.conf")
        command = [NGINX, "-c", str(config), "-p", str(prefix), "-e", str(prefix / "error.log"),
                   "-g", "daemon off;"]  # fmt: skip
        process = self.start(name, command, port=port)
        if rtmp_port:
            wait_port(rtmp_port, process, what="nginx-rtmp")
        return port

    def pid(self, name):
        return next(process.pid for candidate, process in self.processes if candidate == name)

    def stop(self, name):
        for candidate, process in self.processes:
            if candidate == name:
                _stop(process)

    def close(self):
        for _, process in reversed(self.processes):
            _stop(process)
        if self.pg_name:
            try:
                from django.db import connections

                connections.close_all()
                self._postgres(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')
            except Exception as exc:  # the bench's answer matters more than the cleanup
                print(f"could not drop {self.pg_name}: {exc}", file=sys.stderr)
        if self.keep:
            print(f"kept {self.root} (logs, database)", file=sys.stderr)
        else:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _stop(process):
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _proc_stat(pid):
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()
    return int(fields[1]), int(fields[11]) + int(fields[12])  # ppid, utime + stime


def tree_cpu_seconds(root_pid):
    """CPU seconds (user + system) used so far by a process and its live descendants."""
    stats = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _proc_stat(entry.name)
            if stat:
                stats[int(entry.name)] = stat
    tree, frontier = set(), {root_pid}
    while frontier:
        tree |= frontier
        frontier = {pid for pid, (ppid, _) in stats.items() if ppid in frontier} - tree
    ticks = os.sysconf("SC_CLK_TCK")
    return sum(stats[pid][1] for pid in tree if pid in stats) / ticks


def http(port, method, path, headers=None, body=None):
    """(status, headers, body bytes) of one request on loopback."""
    import http.client
    import json

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        data = None if body is None else json.dumps(body).encode()
        all_headers = dict(headers or {})
        if data is not None:
            all_headers["Content-Type"] = "application/json"
        connection.request(method, path, body=data, headers=all_headers)
        answer = connection.getresponse()
        return answer.status, dict(answer.getheaders()), answer.read()
    finally:
        connection.close()


def mint_token(port, admin_key, ttl=86400):
    import json

    headers = {"X-API-Key": admin_key}
    status, _, body = http(port, "POST", f"/events/{EVENT_ID}/live/token", headers, {"ttl": ttl})
    if status != 200:
        raise SystemExit(f"token answered {status}: {body[:300]!r}")
    return json.loads(body)["token"]


def add_cameras(live=("tee-1",)):
    """Three more cameras for the bench event (four in all), starting those in ``live``.

    Run in the bench's own process after ``setup_django`` (gunicorn reads the same
    database). With start_mock_broadcast's main camera: 4 cameras, 2 live.
    """
    from django.db import connections

    from live.models import Event, Source
    from live.services.cameras import create_camera
    from live.services.lifecycle import start_broadcast

    event = Event.objects.get(pk=EVENT_ID)
    for number in range(1, 4):
        camera = create_camera(event, f"tee-{number}", f"Tee {number}")
        if camera.slug in live:
            start_broadcast(camera, Source.MOCK, "bench")
    connections.close_all()
    # gunicorn's workers keep each event's snapshot this long (LIVE_STATE_CACHE_SECONDS).
    time.sleep(1.5)


TELEMETRY_LEVELS = {"off": ["WARNING"], "on": ["INFO"], "both": ["WARNING", "INFO"]}


def telemetry_servers(world, telemetry):
    """(telemetry "off"/"on", port, gunicorn name, event token) for each level asked
    (``TELEMETRY_LEVELS``): LIVE_TELEMETRY_LEVEL is read when Django starts, so each
    level gets its own gunicorn, stopped after its turn. The first one starts the mock
    broadcast and the event's other cameras (4 cameras, 2 live)."""
    token = None
    for level in TELEMETRY_LEVELS[telemetry]:
        name = f"gunicorn-{level.lower()}"
        port = world.gunicorn(workers=2, telemetry=level, name=name)
        if token is None:
            token, _ = start_mock_broadcast(port, world.admin_key)
            add_cameras()
        yield ("on" if level == "INFO" else "off"), port, name, token
        world.stop(name)


def ratio_rows(telemetry, bare, label, result):
    """The two table rows of a side-by-side comparison with the bare view: requests/s,
    p99, errors, CPU per request, and on the endpoint's row its ratio and CPU ratio."""
    ratio = result.ok_per_second / bare.ok_per_second
    cpu_ratio = bare.cpu_us_per_request / result.cpu_us_per_request
    return [
        [name, telemetry, f"{r.ok_per_second:,.0f}", f"{r.latency_p99_ms:.1f}",
         r.non_2xx_3xx + r.errors, f"{r.cpu_us_per_request:,.0f}"] + extra
        for name, r, extra in (
            ("bare JSON view", bare, ["", ""]),
            (label, result, [f"**{ratio:.2f}**", f"**{cpu_ratio:.2f}**"]),
        )
    ]  # fmt: skip


def mint_links(count, ttl=86400):
    """``count`` event links minted by the service in this process, without the API's
    minting rate limit (60 a minute per key), so a bench can give every viewer its own."""
    from django.conf import settings
    from django.db import connections, transaction

    from live.services.lifecycle import live_broadcast
    from live.services.viewer_links import mint_viewer_link

    settings.LIVE_RATE_LIMITS = {**settings.LIVE_RATE_LIMITS, "mint": (count + 1, 3600)}
    broadcast = live_broadcast(EVENT_ID)
    with transaction.atomic():
        tokens = [mint_viewer_link(broadcast, ttl, "bench")[0] for _ in range(count)]
    connections.close_all()
    return tokens


def start_mock_broadcast(port, admin_key, ttl=86400):
    """Starts the mock source over the API; returns (token, hlsPath)."""
    import json

    headers = {"X-API-Key": admin_key}
    status, _, body = http(
        port, "POST", f"/events/{EVENT_ID}/live/start", headers, {"source": "mock"}
    )
    if status not in (200, 201):
        raise SystemExit(f"start answered {status}: {body[:300]!r}")
    status, _, body = http(port, "POST", f"/events/{EVENT_ID}/live/token", headers, {"ttl": ttl})
    if status != 200:
        raise SystemExit(f"token answered {status}: {body[:300]!r}")
    token = json.loads(body)["token"]
    status, _, body = http(port, "GET", f"/events/{EVENT_ID}/live/status?token={token}", headers)
    return token, json.loads(body)["hlsPath"]


@dataclass
class WrkResult:
    requests: int
    non_2xx_3xx: int
    errors: int  # socket errors: connect, read, write, timeout
    seconds: float
    latency_p50_ms: float
    latency_p99_ms: float
    cpu_seconds: float = 0.0  # the server's (compare's cpu_pid), while this ran

    @property
    def cpu_us_per_request(self):
        """The server's CPU per answered request: what a busy box does not distort."""
        answered = self.requests - self.non_2xx_3xx
        return self.cpu_seconds * 1e6 / answered if answered else float("nan")

    @property
    def ok_per_second(self):
        """Requests/s that answered 2xx or 3xx (wrk's own count includes the rest)."""
        return (self.requests - self.non_2xx_3xx) / self.seconds if self.seconds else 0.0


def _ms(value, unit):
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def wrk(url, seconds=5, threads=2, connections=64, headers=None):
    command = [WRK, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(
        command + [url], capture_output=True, text=True, timeout=seconds + 60
    ).stdout
    total = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", output)
    if not total:
        raise SystemExit(f"could not read wrk's output:\n{output}")
    non_ok = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s|m)", output)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s|m)", output)
    return WrkResult(
        requests=int(total[1]),
        non_2xx_3xx=int(non_ok[1]) if non_ok else 0,
        errors=sum(int(n) for n in socket_errors.groups()) if socket_errors else 0,
        seconds=_ms(total[2], total[3]) / 1000,
        latency_p50_ms=_ms(*p50.groups()) if p50 else 0.0,
        latency_p99_ms=_ms(*p99.groups()) if p99 else 0.0,
    )


def compare(targets, rounds=2, seconds=5, warmup=1, cpu_pid=None, **wrk_options):
    """wrk each target in turn, `rounds` times, so drift hits all alike.

    targets: {name: (url, headers)}. Returns {name: WrkResult} summed over rounds.
    cpu_pid: the server (gunicorn's master) whose CPU time each run also records.
    """
    for url, headers in targets.values():
        wrk(url, seconds=warmup, headers=headers, **wrk_options)
    sums = {}
    for _ in range(rounds):
        for name, (url, headers) in targets.items():
            before = tree_cpu_seconds(cpu_pid) if cpu_pid else 0.0
            result = wrk(url, seconds=seconds, headers=headers, **wrk_options)
            if cpu_pid:
                result.cpu_seconds = tree_cpu_seconds(cpu_pid) - before
            if name in sums:
                previous = sums[name]
                result = WrkResult(
                    requests=previous.requests + result.requests,
                    non_2xx_3xx=previous.non_2xx_3xx + result.non_2xx_3xx,
                    errors=previous.errors + result.errors,
                    seconds=previous.seconds + result.seconds,
                    latency_p50_ms=max(previous.latency_p50_ms, result.latency_p50_ms),
                    latency_p99_ms=max(previous.latency_p99_ms, result.latency_p99_ms),
                    cpu_seconds=previous.cpu_seconds + result.cpu_seconds,
                )
            sums[name] = result
    return sums


def markdown_table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def machine_note():
    load = os.getloadavg()[0]
    return f"{os.cpu_count()} cores, load average {load:.2f} at the end, loopback"
