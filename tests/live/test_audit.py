"""The audit log: one JSON line per start and stop in <data dir>/streams.jsonl,
appended only after the transition commits, never lost, never doubled."""

import json
import logging
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction

from live.models import AuditEntry, Broadcast
from live.services.audit import audit_log_path, flush_pending
from live.services.lifecycle import start_broadcast, stop_broadcast
from tests.live.support import (
    ReadOnlyFolder,
    audit_lines,
    key_actor,
    parse_time,
    start,
    stop_url,
)

pytestmark = pytest.mark.django_db

KEYS = {"time", "event", "broadcast", "action", "source", "actor", "seq"}


class Rollback(Exception):
    pass


def test_a_start_appends_exactly_one_line_after_the_commit(
    admin_api, admin_key, event, data_dir, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = start(admin_api, event.pk)

    assert response.status_code == 201
    assert len(callbacks) == 1
    broadcast = Broadcast.objects.get()
    [line] = audit_lines(data_dir)
    assert set(line) == KEYS
    assert line["event"] == event.pk
    assert line["broadcast"] == broadcast.pk
    assert line["action"] == "start"
    assert line["source"] == "mock"
    assert line["actor"] == key_actor("ops", admin_key)
    assert parse_time(line["time"]) == broadcast.started_at
    assert line["seq"] == AuditEntry.objects.get().pk
    assert AuditEntry.objects.get().appended_at is not None


def test_a_stop_appends_exactly_one_more_line(
    admin_api, event, data_dir, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        start(admin_api, event.pk)
    with django_capture_on_commit_callbacks(execute=True):
        admin_api.post(stop_url(event.pk))

    started, stopped = audit_lines(data_dir)
    broadcast = Broadcast.objects.get()
    assert set(stopped) == KEYS
    assert stopped["action"] == "stop"
    assert stopped["broadcast"] == started["broadcast"] == broadcast.pk
    assert parse_time(stopped["time"]) == broadcast.stopped_at
    assert stopped["seq"] > started["seq"]


def test_each_line_is_compact_json_ending_in_a_newline(
    admin_api, event, data_dir, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        start(admin_api, event.pk)

    text = (data_dir / "streams.jsonl").read_text()
    assert text.endswith("\n") and text.count("\n") == 1
    assert ", " not in text and '": ' not in text


def test_repeated_starts_and_idle_stops_write_no_lines(
    admin_api, event, data_dir, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        admin_api.post(stop_url(event.pk))
        start(admin_api, event.pk)
        start(admin_api, event.pk)
        admin_api.post(stop_url(event.pk))
        admin_api.post(stop_url(event.pk))

    assert [line["action"] for line in audit_lines(data_dir)] == ["start", "stop"]


def test_nothing_is_written_before_the_commit(event, data_dir, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        start_broadcast(event, "mock", "key:ops")

    assert len(callbacks) == 1
    assert not audit_log_path().exists()
    assert AuditEntry.objects.get().appended_at is None


def test_a_transition_rolled_back_leaves_no_line_and_no_entry(
    event, data_dir, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(Rollback):
            with transaction.atomic():
                start_broadcast(event, "mock", "key:ops")
                raise Rollback

    assert callbacks == []
    assert not Broadcast.objects.exists()
    assert not AuditEntry.objects.exists()
    assert audit_lines(data_dir) == []


@pytest.mark.django_db(transaction=True)
def test_with_real_transactions_the_line_appears_only_once_the_outer_block_commits(
    event, data_dir
):
    with transaction.atomic():
        start_broadcast(event, "mock", "key:ops")
        assert audit_lines(data_dir) == []

    assert [line["action"] for line in audit_lines(data_dir)] == ["start"]

    with pytest.raises(Rollback):
        with transaction.atomic():
            stop_broadcast(event, "key:ops")
            raise Rollback

    assert [line["action"] for line in audit_lines(data_dir)] == ["start"]
    assert Broadcast.objects.get().is_live


# A log that cannot be written: the entry waits, an error is logged, nothing is lost.


@pytest.fixture(params=["read-only-data-dir", "data-dir-under-a-file", "log-path-is-a-folder"])
def broken_log(request, tmp_path, settings):
    """Breaks the audit log; returns a function that repairs it.

    chmod does not stop root: ReadOnlyFolder uses a read-only bind mount (or
    chattr +i) there, so the folder is read-only for root as well.
    """
    if request.param == "read-only-data-dir":
        read_only = ReadOnlyFolder(tmp_path / "live-data")
        request.addfinalizer(read_only.release)

        def repair():
            read_only.release()

    elif request.param == "data-dir-under-a-file":
        blocker = tmp_path / "a-file"
        blocker.write_text("not a folder")
        settings.LIVE_STREAM_DATA_DIR = blocker / "live"

        def repair():
            settings.LIVE_STREAM_DATA_DIR = tmp_path / "repaired"

    else:
        (tmp_path / "live-data" / "streams.jsonl").mkdir(parents=True)

        def repair():
            (tmp_path / "live-data" / "streams.jsonl").rmdir()

    return repair


def test_a_failed_append_logs_an_error_and_keeps_the_entry_pending(
    admin_api, event, broken_log, caplog, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = start(admin_api, event.pk)

    assert response.status_code == 201
    # pytest attaches caplog to loggers that do not propagate, such as "live".
    errors = [r for r in caplog.records if r.name == "live.audit" and r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "1 entries stay pending" in errors[0].getMessage()
    assert "flushaudit" in errors[0].getMessage()
    entry = AuditEntry.objects.get()
    assert entry.appended_at is None
    assert entry.record["action"] == "start"


def test_after_the_repair_a_flush_writes_the_pending_entry_exactly_once(
    admin_api, event, broken_log, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        start(admin_api, event.pk)
    broken_log()

    assert flush_pending() == 1
    assert flush_pending() == 0

    [line] = audit_lines(audit_log_path().parent)
    assert line["action"] == "start"
    assert line["seq"] == AuditEntry.objects.get().pk
    assert AuditEntry.objects.get().appended_at is not None


def test_after_the_repair_flushaudit_writes_the_pending_entry_exactly_once(
    admin_api, event, broken_log, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        start(admin_api, event.pk)
    broken_log()

    call_command("flushaudit", stdout=StringIO())
    call_command("flushaudit", stdout=StringIO())

    assert [line["action"] for line in audit_lines(audit_log_path().parent)] == ["start"]


def test_the_next_transition_also_writes_the_entries_left_pending(
    admin_api, event, broken_log, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        start(admin_api, event.pk)
    broken_log()

    with django_capture_on_commit_callbacks(execute=True):
        admin_api.post(stop_url(event.pk))

    lines = audit_lines(audit_log_path().parent)
    assert [line["action"] for line in lines] == ["start", "stop"]
    assert [line["seq"] for line in lines] == sorted(line["seq"] for line in lines)


# A crash between the write and the mark: the line is in the file, the row still pending.


def test_a_line_already_in_the_file_is_not_written_twice(
    event, data_dir, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        start_broadcast(event, "mock", "key:ops")
    entry = AuditEntry.objects.get()
    data_dir.mkdir(parents=True, exist_ok=True)
    written = json.dumps({**entry.record, "seq": entry.pk}, separators=(",", ":")) + "\n"
    (data_dir / "streams.jsonl").write_text(written)

    assert flush_pending() == 0

    assert (data_dir / "streams.jsonl").read_text() == written
    entry.refresh_from_db()
    assert entry.appended_at is not None


def test_only_the_entries_missing_from_the_file_are_appended(
    event, other_event, data_dir, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        start_broadcast(event, "mock", "key:ops")
        start_broadcast(other_event, "mock", "key:ops")
    first, second = AuditEntry.objects.all()
    data_dir.mkdir(parents=True, exist_ok=True)
    # A cut line from an older write, then the line of the first entry.
    (data_dir / "streams.jsonl").write_text(
        '"action":"sto\n' + json.dumps({**first.record, "seq": first.pk}) + "\n"
    )

    assert flush_pending() == 1

    lines = (data_dir / "streams.jsonl").read_text().splitlines()
    assert len(lines) == 3
    assert [json.loads(line)["seq"] for line in lines[1:]] == [first.pk, second.pk]
