"""A revoked API key stops working on the next request in every process.

Two gunicorn servers (deploy/gunicorn.conf.py, two workers each) share the test
database. A key is used on both, revoked through one of them (the admin's revoke
action, as a staff user would) or from a third process (``manage.py revokeapikey``
and ``rotateapikey``), and the very next request to the other server is refused.
"""

import re

import pytest
import requests
from django.contrib.auth import get_user_model

from live.models import ApiKey, Event
from live.services.apikeys import create_api_key
from tests.hardening.support import AppServer, manage

pytestmark = pytest.mark.django_db(transaction=True)

STATUS = "/events/revoke-open/live/status"


@pytest.fixture
def two_servers(tmp_path, data_dir):
    servers = [
        AppServer(name, data_dir, tmp_path / "logs", workers=2)
        for name in ("server-a", "server-b")
    ]
    try:
        yield [server.start() for server in servers]
    finally:
        for server in servers:
            server.stop()


@pytest.fixture
def key(db):
    Event.objects.create(pk="revoke-open", name="Revoke Open")
    key, raw = create_api_key("website")
    return key, raw


def answers(servers, raw, times=4):
    """The statuses of ``times`` requests per server (so that both workers answer)."""
    return [server.call("GET", STATUS, raw).status for server in servers for _ in range(times)]


def admin_session(server, username, password):
    session = requests.Session()
    base = f"http://127.0.0.1:{server.port}"
    session.get(f"{base}/admin/login/", timeout=10)
    response = session.post(
        f"{base}/admin/login/",
        data={
            "username": username,
            "password": password,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
            "next": "/admin/",
        },
        timeout=10,
    )
    assert response.status_code == 200 and "Log out" in response.text, response.text[:500]
    return session, base


def test_a_key_revoked_in_the_admin_of_one_server_fails_at_once_on_the_other(
    two_servers, key, tally
):
    a, b = two_servers
    api_key, raw = key
    get_user_model().objects.create_superuser("chief", password="pw-chief-123456")
    assert answers([a, b], raw) == [200] * 8

    session, base = admin_session(a, "chief", "pw-chief-123456")
    page = session.get(f"{base}/admin/live/apikey/", timeout=10)
    revoked = session.post(
        f"{base}/admin/live/apikey/",
        data={
            "action": "revoke_keys",
            "_selected_action": str(api_key.pk),
            "index": "0",
            "csrfmiddlewaretoken": re.search(
                r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text
            )[1],
        },
        timeout=10,
    )
    assert revoked.status_code == 200 and "Revoked 1 API key" in revoked.text

    # The very next request to the other server, then every worker of both.
    assert b.call("GET", STATUS, raw).status == 401
    assert answers([b, a], raw) == [401] * 8
    body = b.call("GET", STATUS, raw).json()
    assert body["error"] == "authentication_failed"
    tally("revocation: key revoked in one server's admin, refused by the other", 1)


def test_keys_revoked_or_rotated_from_the_command_line_fail_at_once_on_both(
    two_servers, key, data_dir, tally
):
    a, b = two_servers
    revoked, revoked_raw = key
    rotated, rotated_raw = create_api_key("partner")
    assert answers([a, b], revoked_raw) == answers([a, b], rotated_raw) == [200] * 8

    result = manage("revokeapikey", revoked.prefix, data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    assert answers([a, b], revoked_raw) == [401] * 8
    assert answers([a, b], rotated_raw) == [200] * 8

    result = manage("rotateapikey", rotated.prefix, data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    successor_raw = result.stdout.strip().splitlines()[-1]
    assert answers([a, b], rotated_raw) == [401] * 8
    assert answers([a, b], successor_raw) == [200] * 8
    assert not ApiKey.objects.get(pk=rotated.pk).is_active
    tally("revocation: revoke/rotate from another process, checked on two servers", 2)
