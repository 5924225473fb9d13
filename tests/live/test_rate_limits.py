"""Rate limits: minting per key, failed API-key attempts per address, joins per token."""

import json

import pytest
from django.test import Client

from live.services.lifecycle import start_broadcast
from live.services.viewer_links import mint_viewer_link

pytestmark = pytest.mark.django_db


@pytest.fixture
def tight_limits(settings, still_rate_clock):
    settings.LIVE_RATE_LIMITS = {"mint": (3, 60), "auth-failure": (3, 60), "join": (2, 60)}


@pytest.fixture
def live(event):
    return start_broadcast(event, "mock", "test")[0]


def _rate_limited_lines(caplog):
    return [
        json.loads(record.getMessage())
        for record in caplog.records
        if record.name == "live.telemetry" and "live.rate_limited" in record.getMessage()
    ]


def test_minting_past_the_budget_answers_429_with_retry_after(
    admin_api, event, live, tight_limits, caplog
):
    url = f"/events/{event.pk}/live/token"
    for _ in range(3):
        assert admin_api.post(url, {"ttl": 60}, format="json").status_code == 200

    response = admin_api.post(url, {"ttl": 60}, format="json")

    assert response.status_code == 429
    assert response.json()["error"] == "throttled"
    assert 1 <= int(response["Retry-After"]) <= 61
    assert live.event.viewer_links.count() == 3
    assert _rate_limited_lines(caplog)[-1]["scope"] == "mint"


def test_the_mint_budget_is_per_key(admin_api, event, live, tight_limits):
    from live.services.apikeys import create_api_key
    from rest_framework.test import APIClient

    url = f"/events/{event.pk}/live/token"
    for _ in range(3):
        admin_api.post(url, {"ttl": 60}, format="json")
    other = APIClient()
    other.credentials(HTTP_X_API_KEY=create_api_key("ops-2", is_admin=True)[1])

    assert other.post(url, {"ttl": 60}, format="json").status_code == 200


def test_failed_key_attempts_are_limited_per_address(
    anonymous_api, client_key, event, tight_limits, caplog
):
    url = f"/events/{event.pk}/live/status"
    for attempt in range(3):
        bad = f"tc_000000000000_{'x' * 40}{attempt}"
        assert anonymous_api.get(url, HTTP_X_API_KEY=bad).status_code == 401

    blocked = anonymous_api.get(url, HTTP_X_API_KEY="tc_000000000000_" + "y" * 40)
    also_blocked = anonymous_api.get(url, HTTP_X_API_KEY=client_key)

    assert blocked.status_code == 429
    assert "Retry-After" in blocked
    assert also_blocked.status_code == 429
    assert _rate_limited_lines(caplog)[-1]["scope"] == "auth-failure"
    other_address = anonymous_api.get(url, HTTP_X_API_KEY=client_key, REMOTE_ADDR="10.9.8.7")
    assert other_address.status_code == 200


def test_good_keys_do_not_spend_the_failure_budget(client_api, event, tight_limits):
    for _ in range(10):
        assert client_api.get(f"/events/{event.pk}/live/status").status_code == 200


def test_joins_are_limited_per_token(event, live, tight_limits):
    token, _, _ = mint_viewer_link(live, 600, "test")
    client = Client()
    url = f"/events/{event.pk}/live-view/join"
    for number in range(2):
        answer = client.post(url, {"token": token, "viewer": f"viewer-{number:04d}"})
        assert answer.status_code == 200

    response = client.post(url, {"token": token, "viewer": "viewer-9999"})

    assert response.status_code == 429
    assert response.json()["error"] == "throttled"
    assert "Retry-After" in response
    assert live.viewers.count() == 2


def test_the_host_page_shows_the_mint_limit(client, event, live, staff_user, tight_limits):
    client.force_login(staff_user)
    url = f"/events/{event.pk}/live-host/link"
    for _ in range(3):
        assert client.post(url, {"ttl": 900}).status_code == 200

    response = client.post(url, {"ttl": 900})

    assert response.status_code == 429
    assert "Too many requests" in response.content.decode()
