"""An event's time zone: one format for every time pages show (live/services/times.py),
the name's validation, ``createevent --time-zone`` and the admin."""

import re
from datetime import datetime, timezone as dt_timezone
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.template import Context, Template

from live.models import Event
from live.services.recordings import NOTHING_RECORDED
from live.services.times import local_text
from live.time_zones import validate_time_zone

NOON_UTC = datetime(2026, 7, 1, 12, 5, tzinfo=dt_timezone.utc)


@pytest.mark.parametrize(
    "zone, text",
    [
        ("UTC", "12:05 UTC"),
        ("Europe/Paris", "14:05 CEST"),
        ("America/New_York", "08:05 EDT"),
        ("Asia/Dubai", "16:05 UTC+04"),  # a zone whose abbreviation is only its offset
    ],
)
def test_one_format_with_the_zone_named(zone, text):
    assert local_text(NOON_UTC, zone, now=NOON_UTC) == text


def test_another_day_and_year_come_first():
    assert local_text(NOON_UTC, "UTC", now=datetime(2026, 7, 2, tzinfo=dt_timezone.utc)) == (
        "1 Jul 12:05 UTC"
    )
    assert local_text(NOON_UTC, "UTC", now=datetime(2027, 7, 1, tzinfo=dt_timezone.utc)) == (
        "1 Jul 2026 12:05 UTC"
    )


def test_the_filter_keeps_the_instant_in_utc_for_machines():
    html = Template("{% load times %}{{ at|event_time:zone }}").render(
        Context({"at": NOON_UTC, "zone": "Europe/Paris"})
    )
    assert html.startswith('<time datetime="2026-07-01T12:05:00Z" title="2026-07-01 14:05:00')
    assert html.endswith(">14:05 CEST</time>") or "1 Jul 14:05 CEST</time>" in html


@pytest.mark.parametrize("name", ["Europe/Pariss", "localtime", "../etc/passwd", "", "x" * 80])
def test_only_iana_names_are_time_zones(name):
    with pytest.raises(ValidationError):
        validate_time_zone(name)


@pytest.mark.django_db
def test_new_events_take_the_default_zone(settings):
    settings.LIVE_DEFAULT_TIME_ZONE = "Europe/London"
    assert Event.objects.create(pk="spring-cup", name="Spring Cup").time_zone == "Europe/London"


@pytest.mark.django_db
def test_createevent_sets_the_zone_and_refuses_a_bad_one():
    out = StringIO()
    call_command("createevent", "cup", name="Cup", time_zone="Europe/Paris", stdout=out)
    assert Event.objects.get(pk="cup").time_zone == "Europe/Paris"
    assert "times in Europe/Paris" in out.getvalue()

    call_command("createevent", "cup", name="Cup (rain date)", stdout=StringIO())
    assert Event.objects.get(pk="cup").time_zone == "Europe/Paris"  # kept when not given

    with pytest.raises(CommandError, match="IANA time zone"):
        call_command("createevent", "cup", name="Cup", time_zone="Mars/Olympus")


@pytest.mark.django_db
def test_the_admin_sets_the_zone_and_names_the_real_embed_path(admin_client, event):
    page = admin_client.get(f"/admin/live/event/{event.pk}/change/").content.decode()
    assert f"/events/{event.pk}/embed" in page
    assert "/events//embed" not in page

    form = {"id": event.pk, "name": event.name, "time_zone": "Nowhere/Land", "embed_origins": ""}
    management = re.findall(r'name="(cameras-[A-Z_]+)" value="(\d*)"', page)
    form.update(management)
    camera = event.cameras.get()
    form.update(
        {
            "cameras-0-id": camera.pk, "cameras-0-event": event.pk, "cameras-0-name": camera.name,
            "cameras-0-position": camera.position, "cameras-0-source": camera.source,
            "cameras-0-record": "on",
        }
    )  # fmt: skip
    response = admin_client.post(f"/admin/live/event/{event.pk}/change/", form)
    assert response.status_code == 200  # the form again, with the error
    assert "Select a valid choice" in response.content.decode()
    form["time_zone"] = "America/Chicago"
    response = admin_client.post(f"/admin/live/event/{event.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[-3000:]
    assert Event.objects.get(pk=event.pk).time_zone == "America/Chicago"


@pytest.mark.django_db
def test_createcamera_says_which_settings_set_its_ports(event):
    out = StringIO()
    call_command("createcamera", event.pk, "tee-4", name="4th tee", source="srt", stdout=out)
    call_command("createcamera", event.pk, "tee-5", name="5th tee", source="rtmp", stdout=out)
    assert "LIVE_SRT_PORTS" in out.getvalue() and "LIVE_RTMP_PORT" in out.getvalue()


@pytest.mark.django_db
def test_broadcasts_with_no_picture_are_listed_apart_not_as_failed(event):
    from live.models import Broadcast, Recording, RecordingState
    from live.services.cameras import default_camera

    camera = default_camera(event.pk)
    broadcast = Broadcast.objects.create(
        event=event, camera=camera, source="rtmp", stream_name="s-1", started_at=NOON_UTC,
        started_by="test", stopped_at=NOON_UTC,
    )  # fmt: skip
    Recording.objects.create(
        broadcast=broadcast, started_at=NOON_UTC, state=RecordingState.FAILED,
        problem=NOTHING_RECORDED,
    )  # fmt: skip
    from live.services.overview import overview_of
    from live.views.console import camera_status

    card = camera_status(camera, None, overview_of(event.pk))
    html = Template("{% load recordings %}{% camera_clips card %}").render(Context({"card": card}))
    assert "1 broadcast with no picture received" in html
    assert "Failed" not in html
    assert 'data-testid="recordings"' not in html
