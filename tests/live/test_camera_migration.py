"""Migrating to cameras: rows of the old schema (one broadcast per event) move to "main"."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("live", "0002_ingest_links_keys")]
AFTER = [("live", "0005_cameras_constraints")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def old_schema():
    apps = migrate(BEFORE)
    yield apps
    migrate(executor_leaf())


def executor_leaf():
    return MigrationExecutor(connection).loader.graph.leaf_nodes("live")


def test_old_rows_move_to_each_events_main_camera_and_a_live_feed_keeps_its_key(old_schema):
    Event = old_schema.get_model("live", "Event")
    Broadcast = old_schema.get_model("live", "Broadcast")
    ViewerLink = old_schema.get_model("live", "ViewerLink")
    now = timezone.now()
    cup = Event.objects.create(pk="old-cup", name="Old Cup")
    idle = Event.objects.create(pk="idle-cup", name="Idle Cup")
    ended = Broadcast.objects.create(
        event=cup, source="mock", stream_name="old-cup-1", started_at=now - timedelta(hours=2),
        started_by="key:ops", stopped_at=now - timedelta(hours=1), stopped_by="key:ops",
    )  # fmt: skip
    live = Broadcast.objects.create(
        event=cup, source="rtmp", stream_name="old-cup-2", started_at=now, started_by="key:ops",
        ingest_secret="the-key-obs-already-has-0123456789",
    )  # fmt: skip
    ViewerLink.objects.create(
        broadcast=live, fingerprint="f" * 32, minted_by="key:ops", expires_at=now
    )

    apps = migrate(AFTER)

    Camera = apps.get_model("live", "Camera")
    Broadcast = apps.get_model("live", "Broadcast")
    ViewerLink = apps.get_model("live", "ViewerLink")
    main = Camera.objects.get(event_id="old-cup")
    assert (main.slug, main.name, main.source) == ("main", "Main camera", "rtmp")
    # The encoder of the broadcast live at the upgrade keeps publishing with what it has.
    assert main.ingest_name == "old-cup-2"
    assert main.stream_key == "the-key-obs-already-has-0123456789"
    assert set(Broadcast.objects.values_list("pk", "camera_id")) == {
        (ended.pk, main.pk),
        (live.pk, main.pk),
    }
    link = ViewerLink.objects.get()
    assert (link.event_id, link.camera_id) == ("old-cup", main.pk)
    # An event with no broadcast gets a main camera with fresh credentials.
    fresh = Camera.objects.get(event_id=idle.pk)
    assert fresh.slug == "main" and len(fresh.stream_key) >= 32
    assert fresh.ingest_name != main.ingest_name
