"""Automatic shots are a camera setting: the host page, the admin and createcamera."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from live.models import Camera

pytestmark = pytest.mark.django_db

HOST = "/events/open-2026/live-host"


def test_auto_shots_are_off_by_default_with_a_12_db_threshold(event):
    camera = event.cameras.get()
    assert (camera.auto_shots, camera.auto_shots_threshold) == (False, 12.0)


def test_staff_switch_auto_shots_on_with_a_threshold_in_the_camera_settings(staff_htmx, event):
    page = staff_htmx.get(HOST).content.decode()
    assert 'name="auto_shots"' in page and 'name="auto_shots_threshold"' in page

    response = staff_htmx.post(
        f"{HOST}/cameras/edit",
        {"camera": "main", "name": "1st tee", "source": "srt", "auto_shots": "on",
         "auto_shots_threshold": "18.5"},
        htmx=True,
    )  # fmt: skip

    assert response.status_code == 200
    camera = event.cameras.get()
    assert (camera.auto_shots, camera.auto_shots_threshold) == (True, 18.5)
    # Saved again without the box and with the threshold left empty: off, threshold kept.
    staff_htmx.post(
        f"{HOST}/cameras/edit", {"camera": "main", "name": "1st tee", "source": "srt"}, htmx=True
    )
    camera.refresh_from_db()
    assert (camera.auto_shots, camera.auto_shots_threshold) == (False, 18.5)


@pytest.mark.parametrize("threshold", ["3", "41", "loud", "nan"])
def test_a_threshold_out_of_range_is_refused_next_to_its_field(staff_htmx, event, threshold):
    response = staff_htmx.post(
        f"{HOST}/cameras/edit",
        {"camera": "main", "name": "1st tee", "source": "mock", "auto_shots": "on",
         "auto_shots_threshold": threshold},
        htmx=True,
    )  # fmt: skip

    assert response.status_code == 400
    assert 'id="auto-shots-threshold-main-error"' in response.content.decode()
    assert not event.cameras.get().auto_shots


def test_createcamera_switches_auto_shots_on(event, capsys):
    call_command(
        "createcamera", event.pk, "tee-2", "--name", "2nd tee", "--auto-shots",
        "--auto-shots-threshold", "15",
    )  # fmt: skip
    camera = Camera.objects.get(event=event, slug="tee-2")
    assert (camera.auto_shots, camera.auto_shots_threshold) == (True, 15.0)
    assert "automatic shots: on, threshold 15 dB" in capsys.readouterr().out


def test_createcamera_refuses_a_bad_threshold_and_makes_no_camera(event):
    with pytest.raises(CommandError, match="--auto-shots-threshold"):
        call_command(
            "createcamera", event.pk, "tee-2", "--name", "x", "--auto-shots-threshold", "2"
        )
    assert not Camera.objects.filter(slug="tee-2").exists()


def test_the_admin_edits_auto_shots(admin_client, event):
    camera = event.cameras.get()
    url = f"/admin/live/camera/{camera.pk}/change/"
    assert 'name="auto_shots_threshold"' in admin_client.get(url).content.decode()
    response = admin_client.post(
        url,
        {"name": camera.name, "position": 0, "source": "mock", "record": "on", "ladder": "on",
         "auto_shots": "on", "auto_shots_threshold": "41"},
    )  # fmt: skip
    assert response.status_code == 200  # the form again, with the error
    camera.refresh_from_db()
    assert not camera.auto_shots
