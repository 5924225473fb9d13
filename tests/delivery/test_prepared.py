"""The hot paths' compiled-once lookups answer exactly what the ORM would."""

import threading
from datetime import timezone as dt_timezone

import pytest
from django.db import connection

from live.models import ApiKey, Broadcast
from live.services.apikeys import create_api_key, find_api_key
from live.services.lifecycle import live_broadcast, start_broadcast, stop_broadcast
from live.services.prepared import PreparedLookup

# Not "delivery" (no nginx here): it must also run on PostgreSQL, whose SQL differs.
pytestmark = [pytest.mark.django_db]


def fields(instance):
    return {
        field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields
    }


def test_a_prepared_lookup_returns_the_orm_row_with_converted_values(event):
    broadcast, _ = start_broadcast(event, "mock", "test")
    lookup = PreparedLookup(
        lambda event_id: Broadcast.objects.filter(event_id=event_id, stopped_at__isnull=True)[:1]
    )

    found = lookup.first(event.pk)

    assert isinstance(found, Broadcast)
    assert fields(found) == fields(Broadcast.objects.get(pk=broadcast.pk))
    assert found.started_at.tzinfo is not None
    assert found.started_at.utcoffset() == dt_timezone.utc.utcoffset(None)
    assert found._state.adding is False and found._state.db == "default"
    assert lookup.first("no-such-event") is None


def test_it_runs_one_query_and_compiles_once_per_connection(event, django_assert_num_queries):
    built = []

    def build(prefix):
        built.append(prefix)
        return ApiKey.objects.filter(prefix=prefix, is_active=True)[:1]

    lookup = PreparedLookup(build)
    key, _ = create_api_key("ops")
    with django_assert_num_queries(1):
        assert lookup.first(key.prefix).pk == key.pk
    with django_assert_num_queries(1):
        assert lookup.first("nosuchprefix") is None
    assert len(built) == 1
    assert connection.queries_log is not None


@pytest.mark.django_db(transaction=True)
def test_each_thread_compiles_for_its_own_connection(event):
    broadcast, _ = start_broadcast(event, "mock", "test")
    found = []

    def worker():
        try:
            found.append(live_broadcast(event.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert [item.pk for item in found] == [broadcast.pk] * 4


def test_the_services_use_them_and_still_see_every_change(event):
    assert live_broadcast(event.pk) is None
    broadcast, _ = start_broadcast(event, "mock", "test")
    assert live_broadcast(event.pk).pk == broadcast.pk
    stop_broadcast(event, "test")
    assert live_broadcast(event.pk) is None

    key, raw = create_api_key("ops")
    assert find_api_key(raw).pk == key.pk
    ApiKey.objects.filter(pk=key.pk).update(is_active=False)
    assert find_api_key(raw) is None
