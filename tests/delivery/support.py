"""Helpers for the delivery tests: the JSON API over raw HTTP (see tests/processes.py)."""

from pathlib import Path
from urllib.parse import quote

from django.conf import settings

from tests.processes import (  # noqa: F401  (re-exported for the tests here)
    Answer,
    Processes,
    app_env,
    database_url,
    free_tcp_port,
    kill_group,
    request,
    spawn,
    stop_group,
    stop_process,
    tcp_open,
    wait_for,
)

BASE_DIR = Path(settings.BASE_DIR)
PYTHON = str(BASE_DIR / ".venv" / "bin" / "python")
GUNICORN = str(BASE_DIR / ".venv" / "bin" / "gunicorn")
NGINX = "/usr/sbin/nginx"


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
