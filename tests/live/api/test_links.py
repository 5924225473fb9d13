"""GET /events/<id>/links and POST /events/<id>/links/<link id>/revoke (admin)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from live.models import ViewerLink
from live.services.apikeys import create_api_key
from live.services.cameras import create_camera
from live.services.lifecycle import start_broadcast
from live.services.viewer_links import mint_viewer_link
from live.services.viewers import join_viewer, leave
from tests.live.support import parse_time

pytestmark = pytest.mark.django_db


def links_url(event_id):
    return f"/events/{event_id}/links"


def revoke_url(event_id, link_id):
    return f"/events/{event_id}/links/{link_id}/revoke"


@pytest.fixture
def tee(event):
    return create_camera(event, "tee-1", "1st tee")


@pytest.fixture
def on_air(event, tee):
    main = start_broadcast(event, "mock", "staff:marshal")[0]
    start_broadcast(tee, "mock", "staff:marshal")
    return main


@pytest.fixture
def links(event, tee, on_air):
    """An event link, then a link for the 1st tee (newest)."""
    event_link = mint_viewer_link(on_air, 600, "staff:marshal")[2]
    tee_link = mint_viewer_link([on_air, tee.broadcasts.get()], 900, "key:ops#x", camera=tee)[2]
    return event_link, tee_link


def test_it_lists_the_links_newest_first_with_what_each_is_for(admin_api, event, links):
    event_link, tee_link = links

    response = admin_api.get(links_url(event.pk))

    assert response.status_code == 200
    body = response.json()
    assert [link["id"] for link in body] == [tee_link.pk, event_link.pk]
    newest = body[0]
    assert set(newest) == {
        "id",
        "camera",
        "mintedBy",
        "createdAt",
        "expiresAt",
        "revokedAt",
        "state",
        "watchingNow",
        "viewerUrl",
    }
    assert newest["camera"] == "tee-1"
    assert body[1]["camera"] is None
    assert newest["mintedBy"] == "key:ops#x"
    assert parse_time(newest["expiresAt"]) == tee_link.expires_at
    assert parse_time(newest["createdAt"]) == tee_link.created_at
    assert newest["revokedAt"] is None
    assert newest["state"] == "active"
    assert newest["viewerUrl"] is None  # tokens are never stored


def test_the_camera_query_keeps_one_camera_s_links(admin_api, event, links):
    body = admin_api.get(links_url(event.pk), {"camera": "tee-1"}).json()

    assert [link["id"] for link in body] == [links[1].pk]
    assert admin_api.get(links_url(event.pk), {"camera": "main"}).json() == []


def test_an_unknown_camera_in_the_query_is_a_404_naming_it(admin_api, event, links):
    response = admin_api.get(links_url(event.pk), {"camera": "tee-99"})

    assert response.status_code == 404
    assert "tee-99" in response.json()["detail"]
    assert admin_api.get(links_url(event.pk), {"camera": "no such"}).status_code == 400


def test_watching_now_counts_the_viewers_watching_through_each_link(
    admin_api, event, on_air, links
):
    event_link = links[0]
    join_viewer(on_air, "viewer-one-0001", link=event_link)
    join_viewer(on_air, "viewer-two-0002", link=event_link)
    join_viewer(on_air, "viewer-three-003", link=event_link)
    leave(on_air, "viewer-three-003")

    body = {link["id"]: link for link in admin_api.get(links_url(event.pk)).json()}

    assert body[event_link.pk]["watchingNow"] == 2
    assert body[links[1].pk]["watchingNow"] == 0


def test_states_are_active_expired_and_revoked(admin_api, event, links):
    event_link, tee_link = links
    ViewerLink.objects.filter(pk=event_link.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    admin_api.post(revoke_url(event.pk, tee_link.pk))

    states = {link["id"]: link["state"] for link in admin_api.get(links_url(event.pk)).json()}

    assert states == {event_link.pk: "expired", tee_link.pk: "revoked"}


def test_revoking_answers_the_revoked_link(admin_api, admin_key, event, links):
    tee_link = links[1]

    response = admin_api.post(revoke_url(event.pk, tee_link.pk))

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == tee_link.pk
    assert body["state"] == "revoked"
    tee_link.refresh_from_db()
    assert parse_time(body["revokedAt"]) == tee_link.revoked_at
    assert tee_link.revoked_by.startswith("key:ops#")


def test_revoking_twice_is_the_same_answer(admin_api, event, links):
    first = admin_api.post(revoke_url(event.pk, links[1].pk)).json()

    second = admin_api.post(revoke_url(event.pk, links[1].pk))

    assert second.status_code == 200
    assert second.json() == first


def test_an_unknown_link_is_a_404_naming_it(admin_api, event, links):
    response = admin_api.post(revoke_url(event.pk, 9999))

    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    assert "9999" in response.json()["detail"]
    assert admin_api.post(revoke_url(event.pk, 10**30)).status_code == 404


def test_a_link_of_another_event_is_unknown_here(admin_api, event, other_event, links):
    response = admin_api.post(revoke_url(other_event.pk, links[0].pk))

    assert response.status_code == 404
    links[0].refresh_from_db()
    assert links[0].revoked_at is None


@pytest.mark.parametrize("method, url", [("get", links_url), ("post", None)])
def test_an_unknown_event_is_404(admin_api, db, method, url):
    response = (
        admin_api.get(links_url("no-such-event"))
        if method == "get"
        else admin_api.post(revoke_url("no-such-event", 1))
    )

    assert response.status_code == 404
    assert "no-such-event" in response.json()["detail"]


def test_client_keys_may_not_list_or_revoke(client_api, event, links):
    assert client_api.get(links_url(event.pk)).status_code == 403
    assert client_api.post(revoke_url(event.pk, links[0].pk)).status_code == 403
    links[0].refresh_from_db()
    assert links[0].revoked_at is None


def test_no_key_is_401(anonymous_api, event, links):
    assert anonymous_api.get(links_url(event.pk)).status_code == 401
    assert anonymous_api.post(revoke_url(event.pk, links[0].pk)).status_code == 401


def test_a_key_limited_to_other_events_is_refused(event, other_event, links):
    api = APIClient()
    api.credentials(HTTP_X_API_KEY=create_api_key("scoped", True, [other_event.pk])[1])

    assert api.get(links_url(event.pk)).status_code == 403
    assert api.post(revoke_url(event.pk, links[0].pk)).status_code == 403
    assert api.get(links_url(other_event.pk)).status_code == 200
