"""API keys: only a hash is stored; the prefix finds the row; use is recorded coarsely."""

import hashlib
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from live.models import ApiKey
from live.services.apikeys import LAST_USED_RESOLUTION, create_api_key, find_api_key
from tests.live.support import start, status_url

pytestmark = pytest.mark.django_db


def api_with(raw_key):
    api = APIClient()
    api.credentials(HTTP_X_API_KEY=raw_key)
    return api


def test_only_a_hash_of_the_key_is_stored():
    key, raw = create_api_key("website")
    secret = raw.split("_", 2)[2]  # the secret itself may hold "_"

    row = ApiKey.objects.filter(pk=key.pk).values().get()

    assert row["key_hash"] == hashlib.sha256(raw.encode()).hexdigest()
    for column, value in row.items():
        assert raw not in str(value), column
        assert secret not in str(value), column


def test_the_raw_key_has_the_documented_shape_and_its_prefix_is_stored():
    key, raw = create_api_key("website")

    kind, prefix, secret = raw.split("_", 2)
    assert kind == "tc"
    assert prefix == key.prefix and len(prefix) == 12
    assert len(secret) >= 32


def test_two_keys_never_share_a_prefix_or_a_secret():
    raws = [create_api_key(f"key {n}")[1] for n in range(20)]

    assert len({raw.split("_")[1] for raw in raws}) == 20
    assert len(set(raws)) == 20


def test_a_key_is_found_by_its_prefix_with_one_indexed_lookup():
    key, raw = create_api_key("website")
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now())

    with CaptureQueriesContext(connection) as queries:
        assert find_api_key(raw) == key

    assert len(queries) == 1
    assert "prefix" in queries[0]["sql"]
    assert key.prefix in queries[0]["sql"]


def test_the_right_prefix_with_a_wrong_secret_is_refused():
    key, raw = create_api_key("website")
    forged = f"tc_{key.prefix}_" + "A" * 43

    assert find_api_key(forged) is None
    assert api_with(forged).get(status_url("any")).status_code == 401


@pytest.mark.parametrize(
    "raw",
    ["", None, "tc_", "tc_short_secret", "Bearer something", "tc_000000000000_" + "a" * 31],
)
def test_malformed_keys_are_refused_without_touching_the_database(raw):
    with CaptureQueriesContext(connection) as queries:
        assert find_api_key(raw) is None

    assert len(queries) == 0


def test_an_inactive_key_is_refused(event):
    key, raw = create_api_key("retired", is_admin=True)
    ApiKey.objects.filter(pk=key.pk).update(is_active=False)

    assert find_api_key(raw) is None
    assert api_with(raw).get(status_url(event.pk)).status_code == 401


def test_a_key_with_surrounding_whitespace_in_the_header_still_works(event):
    _, raw = create_api_key("website")

    assert api_with(f"  {raw} ").get(status_url(event.pk)).status_code == 200


def test_using_a_key_records_when_it_was_last_used(event):
    key, raw = create_api_key("website")
    assert key.last_used_at is None
    before = timezone.now()

    assert api_with(raw).get(status_url(event.pk)).status_code == 200

    key.refresh_from_db()
    assert before <= key.last_used_at <= timezone.now()


def test_last_used_is_not_rewritten_within_a_minute():
    key, raw = create_api_key("website")
    find_api_key(raw)
    key.refresh_from_db()
    first_use = key.last_used_at

    with CaptureQueriesContext(connection) as queries:
        find_api_key(raw)

    key.refresh_from_db()
    assert key.last_used_at == first_use
    assert not any(query["sql"].startswith("UPDATE") for query in queries)


def test_last_used_is_rewritten_once_a_minute_has_passed():
    key, raw = create_api_key("website")
    stale = timezone.now() - LAST_USED_RESOLUTION - timedelta(seconds=1)
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=stale)

    find_api_key(raw)

    key.refresh_from_db()
    assert key.last_used_at > stale + LAST_USED_RESOLUTION


# manage.py createapikey


def test_createapikey_prints_the_raw_key_as_its_last_line_and_it_authenticates(event):
    out = StringIO()

    call_command("createapikey", "results site", stdout=out)

    raw = out.getvalue().strip().splitlines()[-1]
    key = ApiKey.objects.get(name="results site")
    assert find_api_key(raw) == key
    assert not key.is_admin
    assert raw not in str(ApiKey.objects.filter(pk=key.pk).values().get())
    api = api_with(raw)
    assert api.get(status_url(event.pk)).status_code == 200
    assert start(api, event.pk).status_code == 403


def test_createapikey_with_admin_makes_a_key_that_may_start(event):
    out = StringIO()

    call_command("createapikey", "ops desk", "--admin", stdout=out)

    raw = out.getvalue().strip().splitlines()[-1]
    assert ApiKey.objects.get(name="ops desk").is_admin
    assert "admin" in out.getvalue().splitlines()[0]
    assert start(api_with(raw), event.pk).status_code == 201


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
def test_createapikey_refuses_an_empty_or_overlong_name(name):
    with pytest.raises(CommandError):
        call_command("createapikey", name, stdout=StringIO())

    assert not ApiKey.objects.exists()
