"""manage.py demo --keys-file: reruns reuse the demo keys and the staff password."""

import json
import re
import stat
from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command

from live.models import ApiKey
from live.services.apikeys import find_api_key, revoke_api_key

pytestmark = pytest.mark.django_db


@pytest.fixture
def keys_file(tmp_path):
    return tmp_path / "data" / "demo-keys.json"


def demo(keys_file):
    out = StringIO()
    call_command("demo", keys_file=str(keys_file), stdout=out)
    output = out.getvalue()
    keys = dict(re.findall(r"(Admin API key|Client key):\s+(\S+)", output))
    password = re.search(r"Staff login:\s+staff / (\S+)", output)[1]
    return output, keys["Admin API key"], keys["Client key"], password


def test_the_first_run_keeps_the_keys_and_the_password_in_a_file_only_its_owner_reads(
    keys_file,
):
    output, admin, client, password = demo(keys_file)

    assert stat.S_IMODE(keys_file.stat().st_mode) == 0o600
    assert json.loads(keys_file.read_text()) == {
        "staffPassword": password,
        "adminKey": admin,
        "clientKey": client,
    }
    assert find_api_key(admin).is_admin
    assert not find_api_key(client).is_admin
    assert authenticate(username="staff", password=password) is not None
    assert f"new, kept in {keys_file}" in output


def test_a_second_run_reuses_both_keys_and_the_password(keys_file):
    _, admin, client, password = demo(keys_file)
    keys_before = ApiKey.objects.count()

    output, admin_again, client_again, password_again = demo(keys_file)

    assert (admin_again, client_again, password_again) == (admin, client, password)
    assert ApiKey.objects.count() == keys_before  # no more demo keys
    assert find_api_key(admin) is not None and find_api_key(client) is not None
    assert authenticate(username="staff", password=password) is not None
    assert f"reused from {keys_file}" in output
    assert stat.S_IMODE(keys_file.stat().st_mode) == 0o600


def test_a_revoked_key_is_replaced_and_the_old_demo_keys_revoked(keys_file):
    _, admin, client, password = demo(keys_file)
    revoke_api_key(find_api_key(client))

    output, new_admin, new_client, password_again = demo(keys_file)

    assert new_admin != admin and new_client != client
    assert find_api_key(new_admin).is_admin
    assert find_api_key(new_client) is not None
    assert find_api_key(admin) is None  # revoked by name with its partner
    assert ApiKey.objects.filter(revoked_at__isnull=True).count() == 2
    assert password_again == password
    assert json.loads(keys_file.read_text())["clientKey"] == new_client
    assert "new, kept in" in output


def test_a_missing_staff_user_is_made_again_with_the_kept_password(keys_file):
    _, _, _, password = demo(keys_file)
    get_user_model().objects.filter(username="staff").delete()

    _, _, _, password_again = demo(keys_file)

    assert password_again == password
    staff = authenticate(username="staff", password=password)
    assert staff is not None and staff.is_staff and staff.is_superuser


def test_a_keys_file_with_loose_permissions_is_tightened(keys_file):
    demo(keys_file)
    keys_file.chmod(0o644)

    demo(keys_file)

    assert stat.S_IMODE(keys_file.stat().st_mode) == 0o600


@pytest.mark.parametrize("content", ["", "not json", "[]", '{"adminKey": 7}'])
def test_an_unreadable_keys_file_means_new_keys(keys_file, content):
    keys_file.parent.mkdir(parents=True)
    keys_file.write_text(content)

    _, admin, client, password = demo(keys_file)

    assert find_api_key(admin).is_admin and find_api_key(client) is not None
    assert authenticate(username="staff", password=password) is not None
    assert json.loads(keys_file.read_text())["adminKey"] == admin


# scripts/demo_log.py: the demo's terminal


def demo_log():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "scripts" / "demo_log.py"
    spec = importlib.util.spec_from_file_location("demo_log", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    "line, shown",
    [
        (
            '{"event":"live.start","at":"x","eventId":"demo-open","camera":"main",'
            '"broadcastId":1,"source":"mock","actor":"staff"}',
            "broadcast started: demo-open/main (mock) by staff",
        ),
        (
            '{"event":"live.token","at":"x","eventId":"demo-open","camera":null,'
            '"ttl":900,"linkId":3,"actor":"staff"}',
            "link minted: demo-open, every camera, opens for 900 s (link 3) by staff",
        ),
        (
            '{"event":"live.link_revoked","at":"x","eventId":"demo-open","linkId":3,'
            '"actor":"staff"}',
            "link revoked: demo-open link 3 by staff",
        ),
        ('{"event":"live.status","at":"x","eventId":"demo-open","running":true}', ""),
        (
            '2026-11-30 02:15:29,797 INFO django.server: "GET /events/demo-open/live-view/'
            'state?token=[redacted] HTTP/1.1" 204 0',
            "",
        ),
        (
            '2026-11-30 02:15:29,797 INFO django.server: "POST /ingest/rtmp/publish?'
            'hook_key=[redacted] HTTP/1.1" 302 0',
            "RTMP camera connected",
        ),
        (
            "2026-11-30 02:15:29,797 WARNING live.ingest: refused an RTMP publish from "
            "10.0.0.7 to demo-open-green-18-x with a wrong key (abc)",
            "camera: refused an RTMP publish from 10.0.0.7 to demo-open-green-18-x with a "
            "wrong key (abc)",
        ),
        ("2026-11-30 02:15:29,797 WARNING django.request: Not Found: /favicon.ico", ""),
        ("Starting development server at http://127.0.0.1:8000/", ""),
        ("Error: That port is already in use.", "Error: That port is already in use."),
    ],
)
def test_the_demo_terminal_shows_state_changes_only(line, shown):
    assert demo_log().short_line(line, set()) == shown
