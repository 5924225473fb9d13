"""Helpers for the hardening tests: real processes on the test database, raw HTTP.

Plain functions and small classes, no fixtures. Every process is started in a
session of its own, so ``kill_group`` can SIGKILL it with all of its children
(gunicorn's master and workers) at once, the way a crash or the OOM killer does.
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

from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
PYTHON = sys.executable
GUNICORN = str(Path(sys.executable).parent / "gunicorn")


def database_url():
    """A DATABASE_URL naming the test database (pytest-django has switched NAME to it)."""
    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    if db["ENGINE"] == "django.db.backends.postgresql":
        user = quote(db.get("USER") or "", safe="")
        password = quote(str(db.get("PASSWORD") or ""), safe="")
        credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        host = db.get("HOST") or "localhost"
        port = f":{db['PORT']}" if db.get("PORT") else ""
        return f"postgres://{credentials}{host}{port}/{quote(db['NAME'], safe='')}"
    raise AssertionError(f"no DATABASE_URL recipe for {db['ENGINE']}")


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


def wait_for(predicate, timeout, what, interval=0.05):
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


class AppServer:
    """``gunicorn -c deploy/gunicorn.conf.py teecam.wsgi`` on a free loopback port."""

    def __init__(self, name, data_dir, log_dir, workers=1):
        self.name = name
        self.data_dir = data_dir
        self.log_path = log_dir / f"{name}.log"
        self.workers = workers
        self.port = free_tcp_port()
        self.process = None
        self.starts = 0

    def start(self, timeout=30):
        env = app_env(
            self.data_dir,
            GUNICORN_BIND=f"127.0.0.1:{self.port}",
            GUNICORN_WORKERS=self.workers,
        )
        self.process = spawn(
            [GUNICORN, "-c", "deploy/gunicorn.conf.py", "teecam.wsgi"], env, self.log_path
        )
        self.starts += 1
        wait_for(lambda: self.process.poll() is not None or self.ready(), timeout, self.name)
        assert self.process.poll() is None, self.log()
        return self

    def ready(self):
        """Answering HTTP (any answer: a 404 for a path that is not there is cheapest)."""
        try:
            return request(self.port, "GET", "/api/ready", timeout=2).status > 0
        except (OSError, http.client.HTTPException):
            return False

    def kill(self):
        """kill -9 of the master and its workers, at once."""
        kill_group(self.process)

    def stop(self):
        if self.process is not None:
            stop_group(self.process)

    def log(self):
        return self.log_path.read_text(errors="replace")[-4000:] if self.log_path.exists() else ""

    def call(self, method, path, key=None, body=None, headers=None, timeout=10):
        all_headers = {"X-API-Key": key} if key else {}
        all_headers.update(headers or {})
        return request(self.port, method, path, all_headers, body, timeout=timeout)


def manage(*args, data_dir, timeout=60):
    """Runs ``manage.py`` on the test database; returns the CompletedProcess."""
    return subprocess.run(
        [PYTHON, "manage.py", *args],
        env=app_env(data_dir),
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
