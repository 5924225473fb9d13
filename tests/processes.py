"""Real processes for tests: free ports, the test database's URL, starting and
stopping servers, raw HTTP and the JSON API. Shared by tests/delivery, tests/hardening and
tests/ingest; plain functions and small classes, no fixtures.
"""

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
# The venv's interpreter runs the tests; servers and commands run from the same venv.
PYTHON = sys.executable
GUNICORN = str(Path(sys.executable).parent / "gunicorn")
NGINX = "/usr/sbin/nginx"


def postgres_only(reason):
    """Skips a test unless this run is on PostgreSQL (scripts/check.sh's second pass)."""
    engine = settings.DATABASES["default"]["ENGINE"]
    return pytest.mark.skipif(engine != "django.db.backends.postgresql", reason=reason)


def database_url():
    """A DATABASE_URL naming the database this test run uses (SQLite or PostgreSQL).

    Read at test time: by then pytest-django has switched NAME to the test database.
    """
    db = settings.DATABASES["default"]
    engine = db["ENGINE"]
    if engine == "django.db.backends.sqlite3":
        name = str(db["NAME"])
        if name == ":memory:" or name.startswith("file:"):
            raise AssertionError("the ingest tests need a file-backed SQLite test database")
        return f"sqlite:///{Path(name).resolve()}"
    if engine == "django.db.backends.postgresql":
        user = quote(db.get("USER") or "", safe="")
        password = quote(str(db.get("PASSWORD") or ""), safe="")
        credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        host = db.get("HOST") or "localhost"
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        port = f":{db['PORT']}" if db.get("PORT") else ""
        return f"postgres://{credentials}{host}{port}/{quote(db['NAME'], safe='')}"
    raise AssertionError(f"no DATABASE_URL recipe for {engine}")


def app_env(data_dir, **extra):
    """The environment of an app process on the test database and this data folder."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "teecam.settings",
        "DATABASE_URL": database_url(),
        "LIVE_VIEWER_SIGN_KEY": settings.LIVE_VIEWER_SIGN_KEY,
        "LIVE_STREAM_DATA_DIR": str(data_dir),
        "LIVE_TELEMETRY_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
        **{name: str(value) for name, value in extra.items()},
    }


def free_tcp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def tcp_open(port, host="127.0.0.1"):
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


# Waits end when the awaited thing happens; their bounds only catch what never will.
# A box at load 10 runs everything several times slower: the bounds stretch with it.
PATIENCE = float(os.environ.get("TEECAM_TEST_PATIENCE", "4"))


def wait_for(predicate, timeout, what, interval=0.05):
    timeout *= PATIENCE
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def spawn(command, env, log_path):
    """Starts a process in a session (and so a process group) of its own."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=BASE_DIR,
            start_new_session=True,
        )


def kill_group(process):
    """SIGKILL to the process and every child of its group; reaps it."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=10)


def stop_group(process, grace=5.0):
    """SIGTERM to the group, then SIGKILL if it lingers."""
    if process.poll() is not None:
        kill_group(process)  # its children may outlive it
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=grace)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        pass
    kill_group(process)


@dataclass
class Answer:
    status: int
    headers: dict  # lower-cased names
    body: bytes

    def json(self):
        return json.loads(self.body)

    @property
    def text(self):
        return self.body.decode(errors="replace")


def request(port, method, path, headers=None, body=None, timeout=10):
    """One HTTP/1.1 request; ``body`` is sent as JSON unless it is bytes."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        all_headers = dict(headers or {})
        if body is None or isinstance(body, bytes):
            data = body
        else:
            data = json.dumps(body).encode()
            all_headers.setdefault("Content-Type", "application/json")
        connection.request(method, path, body=data, headers=all_headers)
        response = connection.getresponse()
        return Answer(
            response.status,
            {name.lower(): value for name, value in response.getheaders()},
            response.read(),
        )
    finally:
        connection.close()


class Api:
    """The JSON API through one port, with an API key, as an API client calls it."""

    def __init__(self, port, key, timeout=10):
        self.port = port
        self.key = key
        self.timeout = timeout

    def call(self, method, path, body=None):
        headers = {"X-API-Key": self.key}
        return request(self.port, method, path, headers=headers, body=body, timeout=self.timeout)

    def start(self, event_id, source="mock", **extra):
        return self.call("POST", f"/events/{event_id}/live/start", {"source": source, **extra})

    def stop(self, event_id):
        return self.call("POST", f"/events/{event_id}/live/stop")

    def token(self, event_id, ttl=900):
        return self.call("POST", f"/events/{event_id}/live/token", {"ttl": ttl})

    def status(self, event_id, token=None):
        query = f"?token={quote(token)}" if token else ""
        return self.call("GET", f"/events/{event_id}/live/status{query}")


class Processes:
    """Every process a test starts; `close` kills what is still running, by pid."""

    def __init__(self, log_dir):
        self.log_dir = Path(log_dir)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.started = []  # (name, Popen, log path)

    def start(self, name, command, env=None, cwd=None):
        log_path = self.log_dir / f"{len(self.started):02d}-{name}.log"
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=cwd or BASE_DIR,
            )
        self.started.append((name, process, log_path))
        return process

    def log_of(self, process):
        for _, candidate, log_path in self.started:
            if candidate is process:
                return log_path.read_text(errors="replace")
        return ""

    def logs(self, tail=3000):
        parts = []
        for name, process, log_path in self.started:
            text = log_path.read_text(errors="replace") if log_path.exists() else ""
            parts.append(f"--- {name} (pid {process.pid}, exit {process.poll()})\n{text[-tail:]}")
        return "\n".join(parts)

    def close(self):
        for _, process, _ in reversed(self.started):
            stop_process(process)


def stop_process(process, grace=5.0):
    """SIGTERM (nginx and gunicorn shut down fast on it), then SIGKILL; always reaps."""
    if process.poll() is not None:
        return process.returncode
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait(timeout=10)


def run_coroutine(coroutine):
    """asyncio.run in a thread of its own.

    Once a test has started Playwright's sync API (the shared Chromium), this thread
    has an event loop running, and asyncio.run refuses to start another in it.
    """
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
