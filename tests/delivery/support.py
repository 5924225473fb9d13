"""Helpers for the delivery tests: ports, processes, raw HTTP (plain functions)."""

import http.client
import json
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
PYTHON = str(BASE_DIR / ".venv" / "bin" / "python")
GUNICORN = str(BASE_DIR / ".venv" / "bin" / "gunicorn")
NGINX = "/usr/sbin/nginx"


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


def wait_for(predicate, timeout, what, interval=0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


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
    """One HTTP/1.1 request with the path sent exactly as given (no normalisation).

    ``body`` is sent as JSON, or as it is when it is bytes."""
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


def get(port, path, **headers):
    return request(port, "GET", path, headers=headers)


class Api:
    """The JSON API through one port, with an API key."""

    def __init__(self, port, key):
        self.port = port
        self.key = key

    def call(self, method, path, body=None):
        return request(self.port, method, path, headers={"X-API-Key": self.key}, body=body)

    def start(self, event_id, source="mock"):
        return self.call("POST", f"/events/{event_id}/live/start", {"source": source})

    def stop(self, event_id):
        return self.call("POST", f"/events/{event_id}/live/stop")

    def token(self, event_id, ttl=900):
        return self.call("POST", f"/events/{event_id}/live/token", {"ttl": ttl})

    def status(self, event_id, token=None):
        query = f"?token={quote(token)}" if token else ""
        return self.call("GET", f"/events/{event_id}/live/status{query}")


@dataclass
class Processes:
    """Processes a test starts, each logging to a file; `close` stops them by pid."""

    log_dir: Path
    started: list = field(default_factory=list)  # (name, Popen, log path)

    def start(self, name, command, env=None):
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.log_dir / f"{len(self.started):02d}-{name}.log"
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=BASE_DIR,
            )
        self.started.append((name, process, log_path))
        return process

    def log_of(self, process):
        for _, candidate, log_path in self.started:
            if candidate is process:
                return log_path.read_text(errors="replace")[-4000:]
        return ""

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


def database_url():
    """A DATABASE_URL naming the test database (read at test time, after pytest-django
    switched NAME to it)."""
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
