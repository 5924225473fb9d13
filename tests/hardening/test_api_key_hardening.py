"""API keys: revocation is final, a new key never rides in a cookie, the audit log names
one key, and a key limited to some events stays within them (issue 10, items 6, 9, 11, 12).
"""

import re
from html import unescape
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.contrib.messages.storage.cookie import CookieStorage
from django.db import IntegrityError, transaction
from django.test import RequestFactory
from rest_framework.test import APIClient

from live.models import ApiKey, AuditEntry, Broadcast, Event
from live.services.apikeys import (
    DuplicateKeyName,
    create_api_key,
    find_api_key,
    revoke_api_key,
    rotate_api_key,
)
from live.services.lifecycle import start_broadcast
from tests.live.support import key_actor, start, status_url, token_url

pytestmark = pytest.mark.django_db

RAW_KEY = re.compile(r"tc_[a-z0-9]{12}_[\w-]+")


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def api_with(raw):
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=raw)
    return client


def change_url(key):
    return f"/admin/live/apikey/{key.pk}/change/"


# Item 6: revocation is final ------------------------------------------------------------


def test_ticking_is_active_on_a_revoked_key_in_the_admin_does_not_bring_it_back(
    admin_client, event
):
    key, raw = create_api_key("scoreboard")
    revoke_api_key(key)

    form = admin_client.get(change_url(key)).content.decode()
    answer = admin_client.post(
        change_url(key), {"name": "scoreboard", "is_active": "on", "events": []}
    )

    assert 'name="is_active"' not in form
    assert answer.status_code == 302
    key.refresh_from_db()
    assert not key.is_active and key.revoked_at is not None
    assert api_with(raw).get(status_url(event.pk)).status_code == 401


def test_a_rotated_keys_predecessor_cannot_be_switched_back_on(admin_client, event):
    old, old_raw = create_api_key("scoreboard")
    rotate_api_key(old)

    admin_client.post(change_url(old), {"name": "scoreboard", "is_active": "on"})

    old.refresh_from_db()
    assert not old.is_active
    assert api_with(old_raw).get(status_url(event.pk)).status_code == 401


def test_the_database_refuses_a_revoked_key_marked_active():
    # So no path around the admin (a shell, a script) switches one back on, and
    # find_api_key, which also asks for revoked_at IS NULL, never sees one.
    key, raw = create_api_key("scoreboard")
    revoke_api_key(key)
    assert find_api_key(raw) is None

    with pytest.raises(IntegrityError), transaction.atomic():
        ApiKey.objects.filter(pk=key.pk).update(is_active=True)


def test_listapikeys_calls_a_revoked_key_revoked():
    key, _ = create_api_key("scoreboard")
    revoke_api_key(key)
    inactive, _ = create_api_key("spare")
    ApiKey.objects.filter(pk=inactive.pk).update(is_active=False)

    out = StringIO()
    call_command("listapikeys", stdout=out)

    lines = {line.split()[0]: line for line in out.getvalue().splitlines()}
    assert "revoked 20" in lines[key.prefix]
    assert "inactive" in lines[inactive.prefix] and "revoked" not in lines[inactive.prefix]


# Item 9: a new key never rides in a cookie ---------------------------------------------


def _cookie_values(response):
    """Every cookie's value, and what it says once decoded as Django's message cookie.

    The message cookie is signed, not encrypted, and compressed, so the key would not
    appear in it literally: decode it as anyone holding the cookie can.
    """
    texts = []
    for morsel in response.cookies.values():
        texts.append(morsel.value)
        decoded = CookieStorage(RequestFactory().get("/"))._decode(morsel.value)
        texts.extend(str(message) for message in decoded or [])
    return " ".join(texts)


def test_a_new_key_from_the_admin_is_in_no_response_cookie(admin_client):
    posted = admin_client.post(
        "/admin/live/apikey/add/", {"name": "scoreboard", "is_active": "on"}
    )
    shown = admin_client.get(posted["Location"])

    raw = RAW_KEY.search(unescape(shown.content.decode()))[0]
    assert raw not in _cookie_values(posted) and raw not in _cookie_values(shown)
    assert "messages" not in posted.cookies
    assert raw not in str(admin_client.cookies)
    # Shown once: the next page no longer has it.
    assert raw not in admin_client.get("/admin/live/apikey/").content.decode()


def test_a_rotated_key_from_the_admin_is_in_no_response_cookie(admin_client):
    key, _ = create_api_key("scoreboard")
    posted = admin_client.post(
        "/admin/live/apikey/", {"action": "rotate_keys", "_selected_action": [key.pk]}
    )
    shown = admin_client.get(posted["Location"])

    raw = RAW_KEY.search(unescape(shown.content.decode()))[0]
    assert raw not in _cookie_values(posted) and raw not in _cookie_values(shown)
    assert raw not in str(admin_client.cookies)


# Item 11: one key per audit actor --------------------------------------------------------


def test_createapikey_refuses_a_second_active_key_of_the_same_name():
    call_command("createapikey", "adminkey", "--admin", stdout=StringIO())

    with pytest.raises(CommandError, match="name: an active API key is already called"):
        call_command("createapikey", "adminkey", "--admin", stdout=StringIO())
    assert ApiKey.objects.filter(name="adminkey").count() == 1


def test_the_admin_refuses_a_duplicate_name_naming_the_field(admin_client):
    create_api_key("scoreboard")

    answer = admin_client.post("/admin/live/apikey/add/", {"name": "scoreboard"})

    assert answer.status_code == 200
    assert "An active API key already has this name" in unescape(answer.content.decode())
    assert answer.context["adminform"].form.errors["name"]
    assert ApiKey.objects.filter(name="scoreboard").count() == 1


def test_a_rotated_keys_successor_and_a_revoked_keys_name_may_be_reused():
    old, _ = create_api_key("scoreboard")
    new, _ = rotate_api_key(old)
    assert new.name == old.name == "scoreboard"

    revoke_api_key(new)
    reused, _ = create_api_key("scoreboard")
    assert reused.name == "scoreboard"
    with pytest.raises(DuplicateKeyName):
        create_api_key("scoreboard")


def test_the_audit_actor_names_the_key_not_just_its_name(event):
    old, old_raw = create_api_key("ops", is_admin=True)
    new, new_raw = rotate_api_key(old)
    other_event = Event.objects.create(pk="second", name="Second")

    assert start(api_with(new_raw), event.pk).status_code == 201
    actors = {entry.record["actor"] for entry in AuditEntry.objects.all()}
    assert actors == {key_actor("ops", new_raw)} == {f"key:ops#{new.prefix}"}
    assert key_actor("ops", new_raw) != key_actor("ops", old_raw)
    assert start(api_with(old_raw), other_event.pk).status_code == 401


# Item 12: keys scoped to events ------------------------------------------------------------


@pytest.fixture
def scoped(event, other_event):
    out = StringIO()
    call_command("createapikey", "open-only", "--admin", "--event", event.pk, stdout=out)
    return api_with(out.getvalue().splitlines()[-1])


@pytest.mark.parametrize(
    "method, url_of, body",
    [
        ("post", lambda e: f"/events/{e}/live/start", {"source": "mock"}),
        ("post", lambda e: f"/events/{e}/live/stop", None),
        ("post", token_url, {"ttl": 60}),
        ("get", status_url, None),
    ],
)
def test_a_scoped_key_gets_403_on_other_events_routes(scoped, other_event, method, url_of, body):
    start_broadcast(other_event, "mock", "test")

    call = getattr(scoped, method)
    answer = (
        call(url_of(other_event.pk), body, format="json") if body else call(url_of(other_event.pk))
    )

    assert answer.status_code == 403
    assert answer.json()["error"] == "permission_denied"
    assert other_event.pk in answer.json()["detail"]


def test_a_scoped_key_works_on_its_own_event(scoped, event):
    assert start(scoped, event.pk).status_code == 201
    assert scoped.post(token_url(event.pk), {"ttl": 60}, format="json").status_code == 200
    assert scoped.get(status_url(event.pk)).status_code == 200


def test_a_scoped_key_cannot_sign_another_events_stream(scoped, event, other_event):
    mine = start_broadcast(event, "mock", "test")[0]
    theirs = start_broadcast(other_event, "mock", "test")[0]

    refused = scoped.get("/media/sign", {"path": f"/hls/{theirs.stream_name}/index.m3u8"})
    allowed = scoped.get("/media/sign", {"path": f"/hls/{mine.stream_name}/index.m3u8"})
    fixture = scoped.get("/media/sign", {"path": "/hls/tee/index.m3u8"})
    bad = scoped.get("/media/sign", {"path": "/etc/passwd"})

    assert refused.status_code == 403
    assert other_event.pk in refused.json()["detail"]
    assert allowed.status_code == 200
    assert fixture.status_code == 200  # a stream of no broadcast belongs to no event
    assert bad.status_code == 400


def test_an_unscoped_key_keeps_todays_behaviour(admin_api, event, other_event):
    theirs = start_broadcast(other_event, "mock", "test")[0]

    assert admin_api.get(status_url(other_event.pk)).status_code == 200
    signed = admin_api.get("/media/sign", {"path": f"/hls/{theirs.stream_name}/index.m3u8"})
    assert signed.status_code == 200


def test_a_rotated_scoped_key_keeps_its_scope(event, other_event):
    key, _ = create_api_key("open-only", events=[event.pk])
    new, raw = rotate_api_key(key)

    assert list(new.events.values_list("pk", flat=True)) == [event.pk]
    assert api_with(raw).get(status_url(other_event.pk)).status_code == 403


def test_createapikey_refuses_an_unknown_event(event):
    with pytest.raises(CommandError, match="No event with id 'nope'"):
        call_command("createapikey", "x", "--event", "nope", stdout=StringIO())
    assert not ApiKey.objects.exists()
    assert not Broadcast.objects.exists()


def test_the_admin_can_limit_a_new_key_to_events(admin_client, event, other_event):
    posted = admin_client.post(
        "/admin/live/apikey/add/",
        {"name": "open-board", "is_active": "on", "events": [event.pk]},
    )
    shown = admin_client.get(posted["Location"])
    raw = RAW_KEY.search(unescape(shown.content.decode()))[0]

    assert api_with(raw).get(status_url(event.pk)).status_code == 200
    assert api_with(raw).get(status_url(other_event.pk)).status_code == 403
