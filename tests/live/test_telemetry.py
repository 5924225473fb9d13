"""Telemetry: one JSON line per action on the ``live.telemetry`` logger, no secrets."""

import json
import logging
from dataclasses import dataclass

import pytest

from live.models import Broadcast
from live.services import telemetry
from tests.live.support import key_actor, mint, start, status_url, stop_url

pytestmark = pytest.mark.django_db

VIEWER_ID = "viewer-0123abcd"


def telemetry_records(caplog):
    # pytest attaches caplog to loggers that do not propagate, such as this one.
    return [record for record in caplog.records if record.name == "live.telemetry"]


def telemetry_lines(caplog):
    return [json.loads(record.getMessage()) for record in telemetry_records(caplog)]


def events_named(lines, name):
    return [line for line in lines if line["event"] == name]


@dataclass
class Flow:
    token: str
    records: list  # the telemetry log records

    @property
    def lines(self):
        return [json.loads(record.getMessage()) for record in self.records]


def join(client, event_id, token):
    return client.post(f"/events/{event_id}/live-view/join", {"token": token, "viewer": VIEWER_ID})


@pytest.fixture
def full_flow(admin_api, client_api, client, event, caplog):
    """Start, mint, status with and without the token, a viewer joins, stop."""
    caplog.set_level(logging.INFO, logger="live.telemetry")
    start(admin_api, event.pk)
    token = mint(admin_api, event.pk, ttl=600).json()["token"]
    client_api.get(status_url(event.pk))
    client_api.get(status_url(event.pk), {"token": token})
    client_api.get(status_url(event.pk), {"token": "garbage"})
    assert join(client, event.pk, token).status_code == 200
    admin_api.post(stop_url(event.pk))
    return Flow(token, telemetry_records(caplog))


def test_each_action_emits_its_event(full_flow):
    names = [line["event"] for line in full_flow.lines]

    assert names == [
        "live.start",
        "live.token",
        "live.status",
        "live.status",
        "live.status",
        "live.viewer_join",
        "live.stop",
    ]
    assert all("at" in line for line in full_flow.lines)


def test_start_and_stop_name_the_event_broadcast_source_and_actor(full_flow, event, admin_key):
    broadcast = Broadcast.objects.get()
    expected = {
        "eventId": event.pk,
        "broadcastId": broadcast.pk,
        "source": "mock",
        "actor": key_actor("ops", admin_key),
    }

    [started] = events_named(full_flow.lines, "live.start")
    [stopped] = events_named(full_flow.lines, "live.stop")
    assert started.items() >= expected.items()
    assert stopped.items() >= expected.items()


def test_a_token_is_logged_by_fingerprint_with_its_lifetime(full_flow):
    [minted] = events_named(full_flow.lines, "live.token")

    assert minted["ttl"] == 600
    assert minted["tokenId"] == telemetry.fingerprint(full_flow.token)
    assert len(minted["tokenId"]) == 12


def test_status_records_whether_a_token_came_and_whether_it_was_valid(full_flow):
    lines = events_named(full_flow.lines, "live.status")

    assert [(line["withToken"], line["tokenValid"]) for line in lines] == [
        (False, False),
        (True, True),
        (True, False),
    ]
    assert all(line["running"] is True for line in lines)


def test_a_viewer_join_names_the_viewer(full_flow, event):
    [joined] = events_named(full_flow.lines, "live.viewer_join")

    assert joined["viewerId"] == VIEWER_ID
    assert joined["eventId"] == event.pk


def test_a_repeated_join_emits_nothing_more(admin_api, client, event, caplog):
    start(admin_api, event.pk)
    token = mint(admin_api, event.pk).json()["token"]
    join(client, event.pk, token)
    join(client, event.pk, token)

    assert len(events_named(telemetry_lines(caplog), "live.viewer_join")) == 1


def test_no_token_or_api_key_appears_in_any_telemetry_line(full_flow, admin_key, client_key):
    secrets = {
        "token": full_flow.token,
        "token signature": full_flow.token.rsplit(".", 1)[1],
        "admin key": admin_key,
        "admin key secret": admin_key.split("_", 2)[2],
        "client key": client_key,
        "client key secret": client_key.split("_", 2)[2],
    }
    assert len(full_flow.records) == 7

    for record in full_flow.records:
        for what, secret in secrets.items():
            assert secret not in record.getMessage(), what


def test_an_unknown_event_name_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown telemetry event"):
        telemetry.emit("live.unknown", eventId="x")


def test_nothing_is_emitted_when_the_logger_is_quieter_than_info(caplog):
    caplog.set_level(logging.WARNING, logger="live.telemetry")

    telemetry.emit("live.start", eventId="x")

    assert telemetry_lines(caplog) == []


def test_a_fingerprint_is_stable_short_and_not_the_secret():
    assert telemetry.fingerprint("secret-token") == telemetry.fingerprint("secret-token")
    assert telemetry.fingerprint("secret-token") != telemetry.fingerprint("secret-tokem")
    assert len(telemetry.fingerprint("x" * 1000)) == 12
    assert telemetry.fingerprint("\ud800") == telemetry.fingerprint("\ud800")
