"""The admin goes through the lifecycle, never around it (issue 10, item 3).

Broadcasts, viewers, viewer links and audit entries are read-only there; stopping a
broadcast and revoking a link are actions that call the same services as the API
and the host page, so each leaves its audit line, telemetry and cleared viewers.
A camera added in the admin is made by ``create_camera``; a bad id is a form error.
"""

import pytest

from live.models import AuditEntry, Broadcast, Camera, Viewer, ViewerLink
from live.services.audience import watching_now
from live.services.access import check_viewer_access
from live.services.lifecycle import live_broadcast
from live.services.viewer_links import mint_viewer_link
from live.services.viewers import join_viewer

pytestmark = pytest.mark.django_db


def run(admin_client, model, action, *objects):
    return admin_client.post(
        f"/admin/live/{model}/",
        {"action": action, "_selected_action": [obj.pk for obj in objects]},
        follow=True,
    )


def test_editing_stopped_at_is_refused_and_the_broadcast_stays_live(admin_client, on_air):
    url = f"/admin/live/broadcast/{on_air.pk}/change/"

    page = admin_client.get(url)
    posted = admin_client.post(url, {"stopped_at_0": "2026-01-01", "stopped_at_1": "10:00"})

    assert page.status_code == 200  # read-only view
    assert 'name="stopped_at_0"' not in page.content.decode()
    assert posted.status_code == 403
    on_air.refresh_from_db()
    assert on_air.is_live


def test_the_stop_action_stops_through_the_lifecycle(
    admin_client, admin_user, event, on_air, telemetry
):
    join_viewer(on_air, "viewer-one-0001", "Firefox")

    response = run(admin_client, "broadcast", "stop_broadcasts", on_air)

    assert response.status_code == 200
    assert "Stopped 1 broadcast(s)." in response.content.decode()
    on_air.refresh_from_db()
    assert not on_air.is_live and on_air.stopped_by == f"staff:{admin_user.username}"
    # Through the lifecycle: nobody counts as watching an ended broadcast (the rows stay
    # for its unique viewers and peak).
    assert watching_now(on_air) == 0 and Viewer.objects.count() == 1
    assert AuditEntry.objects.count() == 2  # the start line and now the stop line
    assert '"event":"live.stop"' in telemetry.text


def test_the_stop_action_leaves_ended_broadcasts_alone(admin_client, event, on_air):
    run(admin_client, "broadcast", "stop_broadcasts", on_air)

    response = run(admin_client, "broadcast", "stop_broadcasts", on_air)

    assert "Stopped 0 broadcast(s)." in response.content.decode()
    assert AuditEntry.objects.count() == 2


def test_adding_a_broadcast_is_refused(admin_client, event):
    camera = Camera.objects.get(event=event)
    form = {"event": event.pk, "camera": camera.pk, "source": "mock", "started_by": "x"}
    form.update({"started_at_0": "2026-01-01", "started_at_1": "10:00", "stream_name": ""})

    assert admin_client.get("/admin/live/broadcast/add/").status_code == 403
    assert admin_client.post("/admin/live/broadcast/add/", form).status_code == 403
    assert admin_client.post("/admin/live/broadcast/add/", form).status_code == 403
    assert not Broadcast.objects.exists() and not AuditEntry.objects.exists()


def test_a_live_broadcast_cannot_be_deleted_an_ended_one_can(admin_client, event, on_air):
    url = f"/admin/live/broadcast/{on_air.pk}/delete/"
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    bulk = run(admin_client, "broadcast", "delete_selected", on_air)
    assert "Cannot delete" in bulk.content.decode()
    assert Broadcast.objects.filter(pk=on_air.pk, stopped_at__isnull=True).exists()

    run(admin_client, "broadcast", "stop_broadcasts", on_air)
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    assert not Broadcast.objects.exists()


@pytest.mark.parametrize("model", ["auditentry", "viewer"])
def test_audit_entries_and_viewers_are_read_only(admin_client, on_air, model):
    join_viewer(on_air, "viewer-one-0001", "Firefox")
    row = (AuditEntry if model == "auditentry" else Viewer).objects.first()
    before = AuditEntry.objects.count(), Viewer.objects.count()

    assert admin_client.get(f"/admin/live/{model}/{row.pk}/change/").status_code == 200
    for action in ("add/", f"{row.pk}/change/", f"{row.pk}/delete/"):
        posted = admin_client.post(f"/admin/live/{model}/{action}", {"post": "yes"})
        assert posted.status_code == 403, action
    assert "delete_selected" not in admin_client.get(f"/admin/live/{model}/").content.decode()
    assert (AuditEntry.objects.count(), Viewer.objects.count()) == before


def camera_form(event, slug, **extra):
    form = {"event": event.pk, "slug": slug, "name": "1st tee", "position": 3, "source": "mock"}
    return {**form, **extra}


@pytest.mark.parametrize("slug", ["Tee_1", "-tee", "tee 1", "tee/1", "a" * 41, ""])
def test_adding_a_camera_with_a_bad_id_is_a_form_error(admin_client, event, slug):
    response = admin_client.post("/admin/live/camera/add/", camera_form(event, slug))

    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    assert list(Camera.objects.values_list("slug", flat=True)) == ["main"]


def test_adding_a_taken_camera_id_or_a_bad_url_is_a_form_error(admin_client, event):
    taken = admin_client.post("/admin/live/camera/add/", camera_form(event, "main"))
    bad_url = camera_form(event, "tee-2", source="rtsp", camera_url="http://cam/")
    bad = admin_client.post("/admin/live/camera/add/", bad_url)

    assert (taken.status_code, bad.status_code) == (200, 200)
    assert "errorlist" in taken.content.decode() and "errorlist" in bad.content.decode()
    assert Camera.objects.count() == 1


def test_a_camera_added_in_the_admin_gets_its_credentials(admin_client, event):
    response = admin_client.post("/admin/live/camera/add/", camera_form(event, "tee-1"))

    assert response.status_code == 302
    camera = Camera.objects.get(slug="tee-1")
    assert camera.ingest_name and len(camera.stream_key) >= 20
    assert camera.position == 3
    page = admin_client.get(f"/admin/live/camera/{camera.pk}/change/").content.decode()
    assert camera.stream_key not in page
    assert 'name="stream_key"' not in page


def test_a_live_camera_cannot_be_deleted(admin_client, event, on_air):
    url = f"/admin/live/camera/{on_air.camera_id}/delete/"

    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    assert live_broadcast(event.pk) is not None


def test_viewer_links_are_listed_and_revoked_by_the_action(
    admin_client, admin_user, event, on_air
):
    token, _, link = mint_viewer_link(on_air, 600, "staff:marshal")
    listing = admin_client.get("/admin/live/viewerlink/").content.decode()
    assert "staff:marshal" in listing and link.fingerprint not in listing

    response = run(admin_client, "viewerlink", "revoke_links", link)

    assert "Revoked 1 viewer link(s)." in response.content.decode()
    link.refresh_from_db()
    assert link.revoked_by == f"staff:{admin_user.username}"
    assert check_viewer_access(event.pk, token, on_air).problem == "revoked"
    assert admin_client.post(f"/admin/live/viewerlink/{link.pk}/change/").status_code == 403


MODELS = ["broadcast", "viewer", "viewerlink", "auditentry", "camera"]


@pytest.mark.parametrize("model", MODELS)
def test_no_admin_url_of_these_models_answers_500(admin_client, event, on_air, model):
    join_viewer(on_air, "viewer-one-0001", "Firefox")
    mint_viewer_link(on_air, 600, "staff:marshal")
    row = {
        "broadcast": on_air,
        "viewer": Viewer.objects.first(),
        "viewerlink": ViewerLink.objects.first(),
        "auditentry": AuditEntry.objects.first(),
        "camera": on_air.camera,
    }[model]
    base = f"/admin/live/{model}/"
    urls = [base, f"{base}add/", f"{base}{row.pk}/change/", f"{base}{row.pk}/delete/"]
    urls += [f"{base}999999/change/", f"{base}999999/delete/", f"{base}{row.pk}/history/"]
    bodies = [{}, {"post": "yes"}, {"slug": "\x00", "event": "nope", "stopped_at_0": "x"}]
    bodies += [{"action": "delete_selected", "_selected_action": [row.pk]}]

    for url in urls:
        assert admin_client.get(url).status_code < 500, url
        for body in bodies:
            assert admin_client.post(url, body).status_code < 500, (url, body)


def test_a_camera_added_with_every_srt_port_taken_says_so(admin_client, event, settings):
    settings.LIVE_SRT_PORTS = "9000-9000"
    Camera.objects.filter(slug="main").update(srt_port=9000)

    response = admin_client.post(
        "/admin/live/camera/add/", camera_form(event, "tee-srt", source="srt"), follow=True
    )

    assert response.status_code == 200
    assert "Every SRT ingest port" in response.content.decode()
    assert Camera.objects.get(slug="tee-srt").srt_port is None
