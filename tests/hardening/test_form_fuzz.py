"""Garbage into every form endpoint and the ingest hook: never a 5xx, always a message.

Bodies: form fields (known and unknown names; huge, Unicode, NUL, repeated values),
JSON where a form is expected, and raw bytes under assorted content types, malformed
multipart included. The host actions run as a logged-in staff user, against an event
that is live or idle as the fuzz leaves it. Every 4xx must say what went wrong: a
JSON ``{"error", "detail"}`` or an HTML page with a non-empty alert.
"""

import json
import re

import pytest
from django.test import Client
from hypothesis import HealthCheck, example, given, settings as hypothesis_settings
from hypothesis import strategies as st

from live.models import Event
from live.services.lifecycle import start_broadcast
from live.services.ingest_hook import hook_query
from live.services.viewer_links import mint_viewer_link

pytestmark = pytest.mark.django_db

EXAMPLES = 60
EVENT = "fuzz-open"
ENDPOINTS = {
    "host start": "/events/{event}/live-host/start",
    "host stop": "/events/{event}/live-host/stop",
    "host link": "/events/{event}/live-host/link",
    "revoke link": "/events/{event}/live-host/links/{link}/revoke",
    "revoke unknown link": "/events/{event}/live-host/links/999999/revoke",
    "viewer join": "/events/{event}/live-view/join",
    "login": "/accounts/login/",
    "rtmp publish": "/ingest/rtmp/publish{hook}",
    "rtmp publish without the hook secret": "/ingest/rtmp/publish",
}
STAFF_ONLY = {"host start", "host stop", "host link", "revoke link", "revoke unknown link"}
FIELDS = [
    "source",
    "camera_url",
    "confirm",
    "ttl",
    "token",
    "viewer",
    "username",
    "password",
    "next",
    "name",
    "key",
    "addr",
    "call",
]
ANY_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=80)
VALUES = st.one_of(
    ANY_TEXT,
    st.sampled_from(
        ["", "0", "-1", "900", "86400", "1e9", "on", "true", "mock", "rtsp", "livekit", "\x00"]
    ),
    st.sampled_from(["rtsp://cam.local/s", "rtsp://u:p@[::1", "x" * 600, "é" * 5000]),
    st.integers().map(str),
)
FORMS = st.dictionaries(
    st.one_of(st.sampled_from(FIELDS), ANY_TEXT.filter(bool)),
    st.one_of(VALUES, st.lists(VALUES, min_size=2, max_size=3)),
    max_size=6,
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | ANY_TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(ANY_TEXT, inner, max_size=3),
    max_leaves=8,
)
CONTENT_TYPES = [
    "application/x-www-form-urlencoded",
    "multipart/form-data",
    "multipart/form-data; boundary=xyz",
    "application/json",
    "text/plain",
    "application/octet-stream",
]
BODIES = st.one_of(
    st.tuples(st.just("form"), FORMS),
    st.tuples(st.just("json"), JSON_VALUES),
    st.tuples(st.just("raw"), st.tuples(st.sampled_from(CONTENT_TYPES), st.binary(max_size=300))),
)
ALERT = re.compile(r'role="alert"[^>]*>(.*?)</(?:p|section)>', re.S)
TAG = re.compile(r"<[^>]+>")


def message_of(response):
    """The message a refusal shows its reader; empty if there is none."""
    body = response.content.decode("utf-8", "replace")
    if response["Content-Type"].startswith("application/json"):
        data = json.loads(body)
        assert set(data) == {"error", "detail"}, data
        return f"{data['error']}: {data['detail']}" if data["detail"] else ""
    if "CSRF verification failed" in body:
        return "CSRF verification failed"
    alerts = [TAG.sub("", text).strip() for text in ALERT.findall(body)]
    return " ".join(text for text in alerts if text)


def post(client, url, kind, payload):
    if kind == "form":
        return client.post(url, payload)
    if kind == "json":
        return client.post(url, json.dumps(payload), content_type="application/json")
    content_type, raw = payload
    return client.post(url, raw, content_type=content_type)


@pytest.fixture
def world(staff_user):
    event = Event.objects.create(pk=EVENT, name="Fuzz Open")
    broadcast, _ = start_broadcast(event, "mock", "staff:marshal")
    _, _, link = mint_viewer_link(broadcast, 900, "staff:marshal")
    staff = Client()
    staff.force_login(staff_user)
    return {"event": event, "link": link.pk, "staff": staff, "anonymous": Client()}


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_garbage_to_a_form_endpoint_gets_a_4xx_with_a_message_never_a_5xx(
    endpoint, world, tally, quiet_logs
):
    url = ENDPOINTS[endpoint].format(event=EVENT, link=world["link"], hook=hook_query())
    client = world["staff"] if endpoint in STAFF_ONLY else world["anonymous"]
    statuses = []

    @hypothesis_settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(body=BODIES)
    @example(body=("form", {}))
    @example(body=("json", {"source": "mock", "confirm": True, "ttl": 900}))
    @example(body=("form", {"source": "mock"}))  # valid for start: the event goes live
    @example(body=("form", {"confirm": "on"}))  # valid for stop: the event goes idle
    @example(body=("form", {"source": ["mock", "rtsp"], "camera_url": "x" * 600}))
    @example(body=("form", {"ttl": "86400"}))
    @example(body=("form", {"name": "tee\x00", "key": "\x00", "token": "\x00", "viewer": "\x00"}))
    @example(body=("form", {"username": "\x00", "password": "\x00", "call": "update_publish"}))
    @example(body=("raw", ("multipart/form-data", b"--x\r\nnot multipart")))
    @example(body=("raw", ("application/x-www-form-urlencoded", b"a=%zz&b" * 100)))
    @example(body=("form", {f"f{n}": "x" for n in range(1200)}))  # over Django's field limit
    @example(body=("raw", ("application/x-www-form-urlencoded", b"x=" + b"y" * 3_000_000)))
    def check(body):
        kind, payload = body
        response = post(client, url, kind, payload)
        statuses.append(response.status_code)
        assert response.status_code < 500, (endpoint, body, response.content[:500])
        if response.status_code >= 400:
            assert message_of(response), (endpoint, body, response.status_code)

    check()
    tally(f"form fuzz requests: {endpoint}", len(statuses))
    assert all(status < 500 for status in statuses)


def test_a_form_post_without_its_csrf_token_is_refused_with_a_message(
    world, staff_user, quiet_logs
):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(staff_user)
    for path in ("start", "stop", "link", f"links/{world['link']}/revoke"):
        response = strict.post(f"/events/{EVENT}/live-host/{path}", {"source": "mock"})

        assert response.status_code == 403
        assert message_of(response)
