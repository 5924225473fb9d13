"""The RTMP hook answers only the rendered RTMP block (issue 10, item 2).

The attacks: the public nginx server proxies ``/`` to Django, so a request to
``/ingest/rtmp/publish`` reaches the hook from 127.0.0.1, the hook's own
address; a camera address (``addr``) with a newline forges a log line; and a
stranger on the public RTMP port guesses stream keys as fast as nginx asks.
(The public server's 404 for ``/ingest/`` is checked with real nginx in
tests/delivery/test_nginx.py.)
"""

import hashlib
import hmac
import logging

import pytest
from django.test import Client

from live.log_fields import log_field
from live.models import Source
from live.services.ingest_hook import HOOK_PARAM, hook_query, hook_secret
from live.services.lifecycle import start_broadcast
from live.services.nginx_config import NginxOptions, render_nginx_config

pytestmark = pytest.mark.django_db

HOOK = "/ingest/rtmp/publish"
DONE = "/ingest/rtmp/publish-done"


@pytest.fixture
def rtmp(event):
    return start_broadcast(event, Source.RTMP, "test")[0]


@pytest.fixture
def tight_limits(settings, still_rate_clock):
    settings.LIVE_RATE_LIMITS = {**settings.LIVE_RATE_LIMITS, "ingest-failure": (3, 60)}


def _form(broadcast, **changes):
    return {
        "call": "publish",
        "name": broadcast.camera.ingest_name,
        "key": broadcast.ingest_secret,
        "addr": "198.51.100.7",
        **changes,
    }


def _as_nginx_rtmp(form, path=HOOK):
    return Client(REMOTE_ADDR="127.0.0.1").post(path + hook_query(), form)


@pytest.mark.parametrize("path", [HOOK, DONE])
@pytest.mark.parametrize("secret", [None, "", "0" * 64, "x", "é" * 64])
def test_a_loopback_call_without_the_hook_secret_is_refused(rtmp, path, secret):
    # What the public server's proxy delivered before: loopback, a good stream key.
    query = "" if secret is None else f"?{HOOK_PARAM}={secret}"
    answer = Client(REMOTE_ADDR="127.0.0.1").post(path + query, _form(rtmp))

    assert answer.status_code == 403
    assert answer.json() == {
        "error": "forbidden",
        "detail": "Only the ingest server may call this hook.",
    }


def test_the_secret_does_not_help_from_another_address(rtmp):
    answer = Client(REMOTE_ADDR="10.1.2.3").post(HOOK + hook_query(), _form(rtmp))
    assert answer.status_code == 403


def test_the_rendered_rtmp_block_carries_the_secret_and_admits(rtmp, tmp_path):
    text = render_nginx_config(NginxOptions(prefix=str(tmp_path)))
    assert f"/ingest/rtmp/publish?{HOOK_PARAM}={hook_secret()};" in text
    assert _as_nginx_rtmp(_form(rtmp)).status_code == 302  # admitted under the broadcast's name
    assert _as_nginx_rtmp(_form(rtmp), path=DONE).status_code == 204


def test_the_hook_secret_is_an_hmac_of_the_signing_key(settings):
    key = settings.LIVE_VIEWER_SIGN_KEY.encode()
    expected = hmac.new(key, b"teecam ingest hook v1", hashlib.sha256).hexdigest()
    assert hook_secret() == expected
    assert settings.LIVE_VIEWER_SIGN_KEY not in hook_secret()


def test_a_newline_in_addr_or_name_cannot_forge_a_log_line(rtmp, caplog):
    forged = "1.2.3.4\n2026-01-01 INFO live.ingest: admitted camera\r\x1b[2J"
    with caplog.at_level(logging.INFO, logger="live.ingest"):
        answer = _as_nginx_rtmp(_form(rtmp, key="wrong", addr=forged, name="tee\nforged"))

    assert answer.status_code == 403
    lines = [record.getMessage() for record in caplog.records if record.name == "live.ingest"]
    assert lines, "the refusal is logged"
    for line in lines:
        assert "\n" not in line and "\r" not in line and "\x1b" not in line
    assert "\\n2026-01-01 INFO" in lines[-1]


def test_log_field_escapes_and_caps():
    assert log_field("a\nb") == '"a\\nb"'
    assert log_field('q"\\') == '"q\\"\\\\"'
    assert log_field("\u2028x") == '"\\u2028x"'
    assert log_field("x" * 100, limit=10) == '"' + "x" * 10 + '"+90'
    assert log_field(None) == '""'


def test_wrong_stream_keys_are_limited_per_camera_address(rtmp, tight_limits, caplog):
    guesses = [_as_nginx_rtmp(_form(rtmp, key=f"guess-{n}", addr="203.0.113.5")) for n in range(4)]

    assert [answer.status_code for answer in guesses] == [403, 403, 403, 429]
    assert guesses[-1].json()["error"] == "throttled"
    assert 1 <= int(guesses[-1]["Retry-After"]) <= 61
    # Even the right key waits out the window from that address...
    assert _as_nginx_rtmp(_form(rtmp, addr="203.0.113.5")).status_code == 429
    # ...but other cameras, and a camera already sending, are not held up.
    assert _as_nginx_rtmp(_form(rtmp, addr="198.51.100.7")).status_code == 302
    updating = _form(rtmp, call="update_publish", addr="203.0.113.5")
    assert _as_nginx_rtmp(updating).status_code == 204


def test_calls_without_the_secret_are_limited_but_do_not_block_nginx(rtmp, tight_limits):
    local = Client(REMOTE_ADDR="127.0.0.1")
    answers = [local.post(HOOK, _form(rtmp)).status_code for _ in range(4)]

    assert answers == [403, 403, 403, 429]
    assert _as_nginx_rtmp(_form(rtmp)).status_code == 302
