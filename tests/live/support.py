"""Small helpers shared by the tests in tests/live (not fixtures: import them)."""

import json
from datetime import datetime


def start_url(event_id):
    return f"/events/{event_id}/live/start"


def stop_url(event_id):
    return f"/events/{event_id}/live/stop"


def token_url(event_id):
    return f"/events/{event_id}/live/token"


def status_url(event_id):
    return f"/events/{event_id}/live/status"


SIGN_URL = "/media/sign"


def start(api, event_id, source="mock"):
    return api.post(start_url(event_id), {"source": source}, format="json")


def mint(api, event_id, **body):
    return api.post(token_url(event_id), body, format="json")


def parse_time(value):
    """An ISO 8601 time from an API answer, with DRF's trailing Z accepted."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def audit_lines(data_dir):
    path = data_dir / "streams.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]
