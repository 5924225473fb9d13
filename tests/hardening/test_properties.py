"""Properties: whatever a URL, a header or a cookie carries, the answer is never a crash.

The parsers (tokens, media paths, signed media requests) return a value or raise their
own refusal, nothing else; the HTTP endpoints answer with a 2xx or a documented 4xx,
never a 5xx. tests/live/test_tokens.py has the basic parser properties; these add
mutations of genuine tokens and signatures (padding, dots, case, Unicode digits, huge
inputs) and drive the same inputs through the real endpoints.
"""

from urllib.parse import quote, quote_from_bytes, urlencode

import pytest
from hypothesis import HealthCheck, example, given, settings as hypothesis_settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from live.services.lifecycle import start_broadcast
from live.services.media import (
    InvalidMediaPath,
    MediaDenied,
    MediaPath,
    media_signature,
    parse_media_path,
    verify_signed_request,
)
from live.services.tokens import InvalidToken, ViewerToken, mint_viewer_token, read_viewer_token
from live.services.viewer_links import mint_viewer_link

EVENT = "open-2026"
NOW = 1_800_000_000
EXAMPLES = 200
HTTP_EXAMPLES = 100
SETTINGS = dict(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
HTTP_SETTINGS = {**SETTINGS, "max_examples": HTTP_EXAMPLES}

# Text as it may arrive from anywhere: every plane, controls, NUL; no lone surrogates
# (they cannot be encoded into a URL or a header).
ANY_CHAR = st.characters(exclude_categories=["Cs"])
ANY_TEXT = st.text(ANY_CHAR, max_size=200)
HUGE_TEXT = st.builds(
    lambda unit, n: unit * n, st.text(ANY_CHAR, min_size=1, max_size=8), st.integers(1, 20_000)
)
GENUINE = mint_viewer_token(EVENT, 42, 900, now=NOW)[0]


@st.composite
def mutated(draw, token):
    """A genuine token, slightly wrong: the ways a link gets damaged or forged."""
    parts = token.split(".")
    choice = draw(st.integers(0, 9))
    if choice == 0:  # base64 padding
        return token + draw(st.sampled_from(["=", "==", "===", "%3D"]))
    if choice == 1:  # extra, missing or doubled dots
        index = draw(st.integers(0, len(token)))
        return token[:index] + draw(st.sampled_from([".", "..", ""])) + token[index:]
    if choice == 2:  # one character changed
        index = draw(st.integers(0, len(token) - 1))
        return token[:index] + draw(ANY_CHAR) + token[index + 1 :]
    if choice == 3:  # cut short or lengthened
        return token[: draw(st.integers(0, len(token)))] + draw(ANY_TEXT)
    if choice == 4:  # case games
        return token.swapcase()
    if choice == 5:  # standard instead of URL-safe base64
        return token.replace("-", "+").replace("_", "/")
    if choice == 6:  # Unicode digits in the numbers
        digits = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
        return ".".join([parts[0].translate(digits), *parts[1:]])
    if choice == 7:  # leading zeros, signs, huge numbers
        prefix = draw(st.sampled_from(["0", "-", "+", "9" * 40]))
        return ".".join([prefix + parts[0], *parts[1:]])
    if choice == 8:  # whitespace around
        return draw(st.sampled_from([" ", "\t", "\n", "\x00"])) + token
    return token * draw(st.integers(2, 2000))  # repeated, up to ~180 kB


TOKENS = st.one_of(ANY_TEXT, HUGE_TEXT, mutated(GENUINE))


@pytest.fixture
def count(tally):
    """Counts examples per property; the tally is reported at the end of the run."""
    counts = {}

    def add(name):
        counts[name] = counts.get(name, 0) + 1

    yield add
    for name, n in counts.items():
        tally(f"property examples: {name}", n)


@hypothesis_settings(**SETTINGS)
@given(text=TOKENS)
@example(text="")
@example(text=".")
@example(text="....")
@example(text="=" * 100)
@example(text=GENUINE + "=")
@example(text="x" * 10**6)
@example(text=GENUINE)
def test_any_token_text_verifies_or_raises_invalid_token(text, count):
    count("read_viewer_token")
    try:
        claims = read_viewer_token(text, EVENT, now=NOW)
    except InvalidToken as exc:
        assert exc.reason in {"missing", "malformed", "invalid", "expired"}
    else:
        # Only the genuine token itself: no damaged or forged variant verifies.
        assert isinstance(claims, ViewerToken)
        assert text == GENUINE


MEDIA_PARTS = ["hls", "tee", "..", ".", "%2e%2e", "%252e%252e", "%2f", "a\\b", "", "~", "\x00"]
MEDIA_PATHS = st.one_of(
    ANY_TEXT,
    HUGE_TEXT,
    st.builds(lambda rest: "/hls/" + rest, ANY_TEXT),
    st.builds(
        lambda parts: "/" + "/".join(parts),
        st.lists(st.one_of(st.sampled_from(MEDIA_PARTS), ANY_TEXT), max_size=8),
    ),
)


@hypothesis_settings(**SETTINGS)
@given(path=MEDIA_PATHS)
@example(path="/hls/tee/index.m3u8")
@example(path="/hls/tee/" + "a" * 600)
def test_any_media_path_parses_or_raises_invalid_media_path(path, count):
    count("parse_media_path")
    try:
        media_path = parse_media_path(path)
    except InvalidMediaPath:
        return
    assert isinstance(media_path, MediaPath)
    assert ".." not in media_path.path.split("/")


@hypothesis_settings(**SETTINGS)
@given(
    signature=st.one_of(
        ANY_TEXT, st.just(media_signature("tee", NOW + 60)), st.text("A-_=", max_size=30)
    ),
    expires=st.one_of(ANY_TEXT, st.integers(-(10**20), 10**20).map(str), st.just(str(NOW + 60))),
    rest=st.one_of(ANY_TEXT, st.sampled_from(["tee/index.m3u8", "tee/../x", "tee/", "tee"])),
)
def test_any_signed_request_verifies_or_raises_media_denied(signature, expires, rest, count):
    count("verify_signed_request")
    try:
        media_path = verify_signed_request(signature, expires, rest, now=NOW)
    except MediaDenied as exc:
        assert exc.status in (403, 410)
    else:
        assert isinstance(media_path, MediaPath)


# The same inputs through the endpoints.


@pytest.fixture
def live_token(event):
    broadcast, _ = start_broadcast(event, "mock", "key:ops")
    token, _, _ = mint_viewer_link(broadcast, 900, "key:ops")
    return token


def raw_query(name, value):
    """``name=value`` percent-encoded, from text or from arbitrary bytes."""
    if isinstance(value, bytes):
        return f"{name}={quote_from_bytes(value, safe='')}"
    return urlencode({name: value})


@pytest.mark.django_db
@hypothesis_settings(**HTTP_SETTINGS)
@given(data=st.data())
def test_status_answers_200_to_any_token(data, client_api, event, live_token, count, quiet_logs):
    token = data.draw(
        st.one_of(ANY_TEXT, st.binary(max_size=300), mutated(live_token), st.just(live_token))
    )
    count("GET /events/<id>/live/status?token=…")
    response = client_api.get(f"/events/{event.pk}/live/status?{raw_query('token', token)}")

    assert response.status_code == 200, response.content[:300]
    body = response.json()
    assert body["running"] is True
    assert ("hlsPath" in body) == (token == live_token)


@pytest.mark.django_db
@hypothesis_settings(**HTTP_SETTINGS)
@given(path=st.one_of(MEDIA_PATHS, st.binary(max_size=300)))
@example(path="/hls/tee/index.m3u8")
def test_media_sign_answers_200_400_or_404_to_any_path(path, client_api, count, quiet_logs):
    count("GET /media/sign?path=…")
    response = client_api.get(f"/media/sign?{raw_query('path', path)}")

    assert response.status_code in (200, 400, 404), response.content[:300]
    body = response.json()
    if response.status_code == 400:
        assert body["error"] == "validation_error" and list(body["detail"]) == ["path"]
    elif response.status_code == 404:
        assert body["error"] == "not_found" and isinstance(body["detail"], str)
    else:
        assert body["url"].startswith("/hls/")


EVENT_ROUTES = [
    ("get", "/events/{}/live/status"),
    ("post", "/events/{}/live/start"),
    ("post", "/events/{}/live/stop"),
    ("post", "/events/{}/live/token"),
    ("get", "/events/{}/live-host"),
    ("get", "/events/{}/live-host/status"),
    ("post", "/events/{}/live-host/start"),
    ("post", "/events/{}/live-host/stop"),
    ("post", "/events/{}/live-host/link"),
    ("get", "/events/{}/live-host/links"),
    ("post", "/events/{}/live-host/links/1/revoke"),
    ("get", "/events/{}/live-view?token=x"),
    ("get", "/events/{}/live-view/state?token=x"),
    ("post", "/events/{}/live-view/join"),
]
EVENT_IDS = st.one_of(
    ANY_TEXT,
    st.sampled_from(["\x00", "a\x00b", "open-2026\x00", "é", "..", "%00", " ", "a" * 300]),
)


@pytest.mark.django_db
@hypothesis_settings(**HTTP_SETTINGS)
@given(event_id=EVENT_IDS, route=st.sampled_from(EVENT_ROUTES))
@example(event_id="a\x00b", route=("get", "/events/{}/live/status"))
@example(event_id="a\x00b", route=("get", "/events/{}/live-view?token=x"))
def test_any_event_id_in_a_url_is_answered_without_a_server_error(
    event_id, route, admin_key, staff_user, event, count, quiet_logs
):
    """On PostgreSQL a NUL in a query parameter is an error, so it must never reach one."""
    method, template = route
    count("event-scoped URLs with any event id")
    api = APIClient()
    api.credentials(HTTP_X_API_KEY=admin_key)
    api.force_login(staff_user)
    response = getattr(api, method)(template.format(quote(event_id, safe="")))

    assert response.status_code < 500, (event_id, route, response.content[:300])


@pytest.mark.django_db
@hypothesis_settings(**HTTP_SETTINGS)
@given(
    cookie=st.one_of(
        st.text(st.characters(max_codepoint=255), max_size=60),
        st.sampled_from(["\x00" * 12, "a" * 8 + "\x00", "é" * 40]),
    )
)
@example(cookie="\x00aaaaaaaaaaa")
def test_any_session_cookie_is_no_session_rather_than_a_server_error(
    cookie, client, event, count, quiet_logs
):
    """A quoted cookie may carry a NUL (``"\\000…"``): the session store must not query it."""
    count("session cookies")
    client.cookies["sessionid"] = cookie
    page = client.get(f"/events/{event.pk}/live-host")
    api = client.get(f"/events/{event.pk}/live/status")

    assert page.status_code == 302  # to the login page: no session
    assert api.status_code == 401
