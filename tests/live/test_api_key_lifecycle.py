"""API keys: revoke and rotate, from the admin and the command line."""

import re

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from live.models import ApiKey
from live.services.apikeys import create_api_key, revoke_api_key, rotate_api_key

pytestmark = pytest.mark.django_db


def _status(raw, event):
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=raw)
    return client.get(f"/events/{event.pk}/live/status").status_code


def _prefix(raw):
    return raw.split("_")[1]


def test_a_revoked_key_fails_on_the_next_request(event):
    key, raw = create_api_key("website")
    assert _status(raw, event) == 200

    assert revoke_api_key(key) is True

    assert _status(raw, event) == 401
    key.refresh_from_db()
    assert key.is_active is False and key.revoked_at is not None
    assert revoke_api_key(key) is False


def test_rotating_gives_a_new_key_with_the_same_role_and_revokes_the_old(event):
    key, raw = create_api_key("ops", is_admin=True)

    new_key, new_raw = rotate_api_key(key)

    assert _status(raw, event) == 401
    assert _status(new_raw, event) == 200
    assert new_key.is_admin and new_key.name == "ops" and new_key.replaces == key
    assert new_raw not in {value for value in ApiKey.objects.values_list("key_hash", flat=True)}


def test_the_revoke_command_revokes_by_prefix(event):
    _, raw = create_api_key("website")

    call_command("revokeapikey", _prefix(raw))

    assert _status(raw, event) == 401
    with pytest.raises(CommandError, match="already revoked"):
        call_command("revokeapikey", _prefix(raw))
    with pytest.raises(CommandError, match="No API key"):
        call_command("revokeapikey", "000000000000")


def test_the_rotate_command_prints_the_new_key_last(event, capsys):
    _, raw = create_api_key("website")

    call_command("rotateapikey", _prefix(raw))
    new_raw = capsys.readouterr().out.strip().splitlines()[-1]

    assert _status(new_raw, event) == 200
    assert _status(raw, event) == 401
    with pytest.raises(CommandError, match="revoked"):
        call_command("rotateapikey", _prefix(raw))


def test_listing_keys_never_shows_a_key(capsys):
    _, raw = create_api_key("website")

    call_command("listapikeys")
    out = capsys.readouterr().out

    assert _prefix(raw) in out and "website" in out
    assert raw not in out


def test_the_admin_revokes_and_rotates_without_showing_old_keys(client, admin_user, event):
    key, raw = create_api_key("website")
    other, other_raw = create_api_key("kiosk")
    client.force_login(admin_user)
    changelist = "/admin/live/apikey/"

    client.post(changelist, {"action": "revoke_keys", "_selected_action": [key.pk]})
    answer = client.post(
        changelist, {"action": "rotate_keys", "_selected_action": [other.pk]}, follow=True
    )

    assert _status(raw, event) == 401
    assert _status(other_raw, event) == 401
    page = answer.content.decode()
    new_raw = re.search(r"tc_[a-z0-9]{12}_[A-Za-z0-9_-]{32,64}", page)[0]
    assert _status(new_raw, event) == 200
    change_page = client.get(f"/admin/live/apikey/{key.pk}/change/").content.decode()
    assert key.key_hash not in change_page and raw not in change_page
