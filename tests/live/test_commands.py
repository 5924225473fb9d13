"""manage.py createevent, demo and flushaudit."""

import re
from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from live.models import AuditEntry, Event
from live.services.apikeys import find_api_key
from tests.live.support import audit_lines, start, status_url

pytestmark = pytest.mark.django_db


def run(*args, **options):
    out = StringIO()
    call_command(*args, stdout=out, **options)
    return out.getvalue()


# createevent


def test_createevent_creates_an_event():
    output = run("createevent", "spring-cup", name="Spring Cup, 10th tee")

    event = Event.objects.get(pk="spring-cup")
    assert event.name == "Spring Cup, 10th tee"
    assert "Created event spring-cup" in output


def test_createevent_renames_an_existing_event():
    run("createevent", "spring-cup", name="Spring Cup")

    output = run("createevent", "spring-cup", name="Spring Cup (rain date)")

    assert Event.objects.get().name == "Spring Cup (rain date)"
    assert "Updated event spring-cup" in output


@pytest.mark.parametrize(
    "slug", ["bad slug", "bad/slug", "ünï", "a.b", "", "x" * 65, "../etc"], ids=repr
)
def test_createevent_refuses_a_slug_unfit_for_urls(slug):
    with pytest.raises(CommandError, match="SLUG"):
        run("createevent", slug, name="Spring Cup")

    assert not Event.objects.exists()


@pytest.mark.parametrize("name", ["", "   "])
def test_createevent_refuses_an_empty_name(name):
    with pytest.raises(CommandError, match="--name"):
        run("createevent", "spring-cup", name=name)

    assert not Event.objects.exists()


def test_createevent_requires_a_name():
    with pytest.raises(CommandError):
        run("createevent", "spring-cup")


# demo


def demo_output():
    output = run("demo")
    keys = dict(re.findall(r"(Admin API key|Client key):\s+(\S+)", output))
    password = re.search(r"Staff login:\s+staff / (\S+)", output)[1]
    return output, keys, password


def test_demo_creates_the_demo_event_and_a_staff_login():
    output, _, password = demo_output()

    assert Event.objects.filter(pk="demo-open").exists()
    staff = get_user_model().objects.get(username="staff")
    assert staff.is_staff and staff.is_superuser
    assert authenticate(username="staff", password=password) == staff
    assert "/events/demo-open/live-host" in output


def test_demo_prints_an_admin_key_and_a_client_key_that_work():
    _, keys, _ = demo_output()

    admin, client = APIClient(), APIClient()
    admin.credentials(HTTP_X_API_KEY=keys["Admin API key"])
    client.credentials(HTTP_X_API_KEY=keys["Client key"])
    assert find_api_key(keys["Admin API key"]).is_admin
    assert not find_api_key(keys["Client key"]).is_admin
    assert start(admin, "demo-open").status_code == 201
    assert client.get(status_url("demo-open")).json()["running"] is True
    assert start(client, "demo-open").status_code == 403


def test_running_the_demo_twice_keeps_one_event_and_resets_the_staff_password():
    _, _, first_password = demo_output()
    _, _, second_password = demo_output()

    assert Event.objects.filter(pk="demo-open").count() == 1
    assert get_user_model().objects.filter(username="staff").count() == 1
    assert authenticate(username="staff", password=second_password) is not None
    assert authenticate(username="staff", password=first_password) is None


def test_demo_takes_another_event_id():
    run("demo", event="club-night")

    assert Event.objects.filter(pk="club-night").exists()


# flushaudit


def pending_entry(seq_hint="a"):
    return AuditEntry.objects.create(
        record={
            "time": "2026-07-16T06:35:00+00:00",
            "event": "open-2026",
            "broadcast": 1,
            "action": "start",
            "source": "mock",
            "actor": f"key:{seq_hint}",
        }
    )


def test_flushaudit_appends_the_pending_entries(data_dir):
    first, second = pending_entry("a"), pending_entry("b")

    output = run("flushaudit")

    assert [line["seq"] for line in audit_lines(data_dir)] == [first.pk, second.pk]
    assert "Appended 2 lines" in output
    assert not AuditEntry.objects.filter(appended_at__isnull=True).exists()


def test_flushaudit_with_nothing_pending_appends_nothing(data_dir):
    output = run("flushaudit")

    assert "Appended 0 lines" in output
    assert audit_lines(data_dir) == []


def test_flushaudit_fails_while_the_log_cannot_be_written(tmp_path, settings):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    settings.LIVE_STREAM_DATA_DIR = blocker / "live"
    pending_entry()

    with pytest.raises(CommandError, match="1 audit entries are still pending"):
        run("flushaudit")

    assert AuditEntry.objects.filter(appended_at__isnull=True).count() == 1
