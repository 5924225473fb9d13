"""POST /events/<id>/live-view/join: the player reports that playback started."""

import json

import pytest
from django.test import Client

from live.models import Viewer
from live.services.lifecycle import stop_broadcast

JOIN = "/events/open-2026/live-view/join"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"


def join(data, user_agent=FIREFOX):
    return Client().post(JOIN, data, headers={"User-Agent": user_agent})


def test_it_registers_a_viewer_once(event, on_air, viewer_token):
    response = join({"token": viewer_token, "viewer": "a1b2c3d4e5f6a7b8c9d0e1f2"})

    assert response.status_code == 200
    assert response.json() == {"joined": True}
    viewer = Viewer.objects.get()
    assert viewer.broadcast == on_air
    assert viewer.viewer_id == "a1b2c3d4e5f6a7b8c9d0e1f2"
    assert viewer.user_agent == FIREFOX


def test_it_keeps_only_the_first_300_characters_of_the_user_agent(event, on_air, viewer_token):
    response = join({"token": viewer_token, "viewer": "viewer-one-0001"}, user_agent="U" * 500)

    assert response.status_code == 200
    assert Viewer.objects.get().user_agent == "U" * 300


def test_it_does_not_count_the_same_page_view_twice(event, on_air, viewer_token):
    join({"token": viewer_token, "viewer": "a1b2c3d4e5f6a7b8"})

    response = join({"token": viewer_token, "viewer": "a1b2c3d4e5f6a7b8"})

    assert response.status_code == 200
    assert response.json() == {"joined": False}
    assert Viewer.objects.count() == 1


def test_it_counts_two_page_views_as_two_viewers(event, on_air, viewer_token):
    first = join({"token": viewer_token, "viewer": "viewer-one-0001"})
    second = join({"token": viewer_token, "viewer": "viewer-two-0002"})

    assert (first.status_code, second.status_code) == (200, 200)
    assert first.json() == second.json() == {"joined": True}
    assert sorted(Viewer.objects.values_list("viewer_id", flat=True)) == [
        "viewer-one-0001",
        "viewer-two-0002",
    ]


def test_it_shows_the_join_in_the_host_status(staff_client, event, on_air, viewer_token):
    join({"token": viewer_token, "viewer": "viewer-one-0001"})

    response = staff_client.get("/events/open-2026/live-host/status")

    assert response.status_code == 200
    assert 'data-testid="viewer-count">1<' in response.content.decode()


@pytest.mark.parametrize(
    "viewer_id", ["short", "has spaces in it", "semi;colon;12", "ü" * 10, "x" * 65, ""]
)
def test_it_refuses_a_bad_viewer_id(event, on_air, viewer_token, viewer_id):
    response = join({"token": viewer_token, "viewer": viewer_id})

    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "validation_error"
    assert "viewer" in body["detail"]
    assert "token" not in body["detail"]
    assert not Viewer.objects.exists()


def test_it_refuses_a_join_without_a_token(event, on_air):
    response = join({"viewer": "viewer-one-0001"})

    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "validation_error"
    assert "token" in body["detail"]
    assert not Viewer.objects.exists()


def test_it_refuses_a_token_posted_to_another_event(event, other_event, on_air, viewer_token):
    response = Client().post(
        "/events/other-cup/live-view/join", {"token": viewer_token, "viewer": "viewer-one-0001"}
    )

    assert response.status_code == 403
    assert response.json()["error"] == "invalid"
    assert not Viewer.objects.exists()


def test_it_refuses_a_forged_token(event, on_air, viewer_token):
    response = join({"token": viewer_token[:-2] + "zz", "viewer": "viewer-one-0001"})

    assert response.status_code == 403
    assert response.json()["error"] == "invalid"
    assert not Viewer.objects.exists()


def test_it_refuses_a_malformed_token(event, on_air):
    response = join({"token": "not-a-token", "viewer": "viewer-one-0001"})

    assert response.status_code == 400
    assert response.json()["error"] == "malformed"
    assert not Viewer.objects.exists()


def test_it_refuses_a_join_after_the_broadcast_stopped(event, on_air, viewer_token):
    stop_broadcast(event, "staff:marshal")

    response = join({"token": viewer_token, "viewer": "viewer-one-0001"})

    assert response.status_code == 410
    assert response.json() == {"error": "ended", "detail": "This broadcast has ended"}
    assert not Viewer.objects.exists()


def test_it_refuses_get(event, on_air, viewer_token):
    response = Client().get(JOIN, {"token": viewer_token, "viewer": "viewer-one-0001"})

    assert response.status_code == 405
    assert not Viewer.objects.exists()


def test_it_needs_no_csrf_token(event, on_air, viewer_token):
    client = Client(enforce_csrf_checks=True)

    response = client.post(JOIN, {"token": viewer_token, "viewer": "viewer-one-0001"})

    assert response.status_code == 200
    assert Viewer.objects.count() == 1


def test_it_logs_the_join_without_the_token(event, on_air, viewer_token, telemetry):
    response = join({"token": viewer_token, "viewer": "viewer-one-0001"})

    assert response.status_code == 200
    lines = [json.loads(r.getMessage()) for r in telemetry.records if r.name == "live.telemetry"]
    joins = [line for line in lines if line["event"] == "live.viewer_join"]
    assert len(joins) == 1
    assert joins[0]["eventId"] == "open-2026"
    assert joins[0]["broadcastId"] == on_air.pk
    assert joins[0]["viewerId"] == "viewer-one-0001"
    assert viewer_token not in telemetry.text
    assert viewer_token.rsplit(".", 1)[1] not in telemetry.text  # not even the signature


def test_it_logs_nothing_for_a_repeated_join(event, on_air, viewer_token, telemetry):
    join({"token": viewer_token, "viewer": "viewer-one-0001"})
    join({"token": viewer_token, "viewer": "viewer-one-0001"})

    joins = [r for r in telemetry.records if "live.viewer_join" in r.getMessage()]
    assert len(joins) == 1
    assert Viewer.objects.count() == 1
