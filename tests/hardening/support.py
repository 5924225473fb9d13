"""Helpers for the hardening tests: real processes on the test database, raw HTTP.

Plain functions and small classes, no fixtures. Every process is started in a
session of its own, so ``kill_group`` can SIGKILL it with all of its children
(gunicorn's master and workers) at once, the way a crash or the OOM killer does.
"""

import http.client
import subprocess

from tests.processes import (
    BASE_DIR,
    GUNICORN,
    PYTHON,
    app_env,
    free_tcp_port,
    kill_group,
    request,
    spawn,
    stop_group,
    wait_for,
)


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
