"""Schemathesis against /api/schema/: every operation, in positive and negative modes.

Four callers: an admin key, a client key, no key at all, and the made-up keys and
session cookies schemathesis generates for the security schemes. The requests go
in-process through Django's WSGI application (the whole middleware stack and the
JSON error handlers, no test-client shortcuts). Each answer must not be a 5xx, must
have a status code the schema lists for the operation, the content type and headers
it declares, and a body matching its schema.
"""

import os
import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from live.models import Event
from live.services.lifecycle import start_broadcast
from live.services.viewer_links import mint_viewer_link

pytestmark = pytest.mark.django_db

# Examples per operation and mode (a CI-time budget): 23 operations x 2 modes x 4 callers.
# scripts/check.sh asks fewer on its PostgreSQL pass (SCHEMA_FUZZ_EXAMPLES).
EXAMPLES = int(os.environ.get("SCHEMA_FUZZ_EXAMPLES", "15"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
LIVE_EVENT = "open-2026"
IDLE_EVENT = "other-cup"
# Status and sign first, while the broadcast minted for is still live; stop (and the
# link's revocation, with the routes in no list) last.
ORDER = ["status", "sign", "token", "start", "stop"]


@pytest.fixture
def wsgi_app(db):
    """Django's WSGI application inside the test's transaction.

    Like Django's test client, keep the handler from closing the connection at the
    end of each request: that would end the transaction the test runs in.
    """
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(wsgi_app):
    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", wsgi_app)


def operation_order(operation):
    path = operation.path
    for index, word in enumerate(ORDER):
        if path.endswith(word):
            return index
    return len(ORDER)


@pytest.fixture
def world(db, settings):
    """Two events, one of them live, and a valid viewer token for it.

    Every source is configured, as in production: without LIVEKIT_WHIP_URL a livekit
    start answers the documented 503 source_unavailable (tests/live/api/test_start.py).
    """
    settings.LIVEKIT_WHIP_URL = "https://livekit.example.test/whip"
    live = Event.objects.create(pk=LIVE_EVENT, name="Live")
    Event.objects.create(pk=IDLE_EVENT, name="Idle")
    broadcast, _ = start_broadcast(live, "mock", "key:setup")
    token, _, link = mint_viewer_link(broadcast, 3600, "key:setup")
    return {"token": token, "link": link.pk}


def fuzz_operation(operation, mode, caller, headers, world, sent):
    """Runs EXAMPLES generated cases against one operation; returns the statuses seen."""
    statuses = []
    events = st.sampled_from([None, LIVE_EVENT, LIVE_EVENT, IDLE_EVENT])
    tokens = st.sampled_from([None, None, world["token"]])
    paths = st.sampled_from([None, None, "/hls/tee/index.m3u8", "/hls/tee/seg000.ts"])
    cameras = st.sampled_from([None, "main", "main"])
    links = st.sampled_from([None, world["link"]])

    @hypothesis_settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        case=operation.as_strategy(generation_mode=mode),
        event=events,
        token=tokens,
        path=paths,
        camera=cameras,
        link=links,
    )
    def check(case, event, token, path, camera, link):
        # Known events, a real token and good paths now and then, so that the fuzz
        # reaches past the 404s and 400s.
        if event is not None and "event_id" in (case.path_parameters or {}):
            case.path_parameters["event_id"] = event
        if camera is not None and "camera" in (case.path_parameters or {}):
            case.path_parameters["camera"] = camera
        if link is not None and "link_id" in (case.path_parameters or {}):
            case.path_parameters["link_id"] = link
        if token is not None and operation.path.endswith("/status"):
            case.query = {**(case.query or {}), "token": token}
        if path is not None and operation.path.endswith("/sign"):
            case.query = {**(case.query or {}), "path": path}
        if caller != "made-up key":
            # Schemathesis fills in the optional X-API-Key header and session cookie of
            # the security schemes with made-up values; only the last caller keeps them.
            case.headers = {
                name: value
                for name, value in (case.headers or {}).items()
                if name.lower() != "x-api-key"
            }
            case.cookies = {}
        response = case.call(headers=headers)
        sent.append(response.status_code)
        statuses.append(response.status_code)
        case.validate_response(response, checks=CHECKS)

    check()
    return statuses


@pytest.mark.parametrize("caller", ["admin key", "client key", "no key", "made-up key"])
def test_every_operation_answers_within_its_schema_and_never_5xx(
    caller, api_schema, world, admin_key, client_key, tally, quiet_logs
):
    headers = {
        "admin key": {"X-API-Key": admin_key},
        "client key": {"X-API-Key": client_key},
        "no key": {},
        "made-up key": {},
    }[caller]
    operations = sorted(
        (result.ok() for result in api_schema.get_all_operations()), key=operation_order
    )
    assert len(operations) == 29  # with the shots (issue 24): list, make, read, name, hide
    sent = []
    seen = {}
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            statuses = fuzz_operation(operation, mode, caller, headers, world, sent)
            seen[f"{operation.method.upper()} {operation.path} {mode.value}"] = sorted(
                set(statuses)
            )
    tally(f"schemathesis requests ({caller})", len(sent))
    print(f"\nschemathesis, {caller}: {len(sent)} requests")
    for label, statuses in seen.items():
        print(f"  {label}: {statuses}")
    assert all(status < 500 for status in sent)
    # A path whose event id is not a slug is a 404 from the URL resolver, before any key.
    if caller == "no key":
        assert 401 in sent and set(sent) <= {401, 404}
    if caller == "made-up key":
        # Made-up keys and session cookies: refused, then throttled per client address.
        assert {401, 429} <= set(sent) <= {401, 404, 429}
    if caller == "client key":
        assert 403 in sent and 200 in sent
    if caller == "admin key":
        assert {200, 201, 409}.issubset(sent)
