"""The audit log loses nothing: many processes, a read-only or full disk, a crash.

Real processes (tests/hardening/worker.py) on the test database, so these tests
commit for real (transaction=True); they pass on SQLite and on PostgreSQL.
"""

import json
import logging
import os
import subprocess
import time
from collections import Counter

import pytest
from django.db import OperationalError
from django.db.models.query import QuerySet

from live.models import AuditEntry, Broadcast, Event
from live.services.audit import _line, audit_log_path, flush_pending
from live.services.lifecycle import start_broadcast, stop_broadcast
from tests.processes import PYTHON, app_env, postgres_only, spawn
from tests.hardening.support import manage
from tests.live.support import ReadOnlyFolder

pytestmark = pytest.mark.django_db(transaction=True)

PROCESSES = 8
TRANSITIONS = 500  # per process: the 8 x 500
EVENTS_PER_PROCESS = 3


def read_log(path):
    """The audit log's lines, each parsed; fails on a torn, invalid or doubled line."""
    text = path.read_bytes().decode() if path.exists() else ""
    assert text == "" or text.endswith("\n"), "the last line is torn"
    lines = [json.loads(line) for line in text.splitlines()]
    seqs = [line["seq"] for line in lines]
    duplicates = [seq for seq, n in Counter(seqs).items() if n > 1]
    assert not duplicates, f"lines written twice: {duplicates[:10]}"
    return lines


def assert_log_matches_the_outbox(path):
    """Every AuditEntry has exactly its line, and is marked appended; returns the lines."""
    lines = read_log(path)
    entries = {entry.pk: entry for entry in AuditEntry.objects.all()}
    assert {line["seq"] for line in lines} == set(entries)
    for line in lines:
        assert line == {**entries[line["seq"]].record, "seq": line["seq"]}
    assert not AuditEntry.objects.filter(appended_at__isnull=True).exists()
    return lines


def audit_errors(caplog):
    return [r for r in caplog.records if r.name == "live.audit" and r.levelno >= logging.ERROR]


@postgres_only(
    "runs on PostgreSQL (scripts/check.sh), where the eight writers really "
    "interleave; SQLite serialises them, and CI's 20 minutes have no room for both",
)
def test_eight_processes_times_five_hundred_transitions_lose_and_double_nothing(
    data_dir, tmp_path, tally
):
    for index in range(PROCESSES):
        for n in range(EVENTS_PER_PROCESS):
            Event.objects.create(pk=f"w{index}-e{n}", name=f"Worker {index} event {n}")
    go = tmp_path / "go"
    env = app_env(data_dir)
    workers = [
        spawn(
            [
                PYTHON,
                "-m",
                "tests.hardening.worker",
                "transitions",
                str(index),
                str(TRANSITIONS),
                str(EVENTS_PER_PROCESS),
                str(go),
            ],
            env,
            tmp_path / f"worker-{index}.log",
        )
        for index in range(PROCESSES)
    ]
    try:
        time.sleep(1.0)  # let them import Django; they wait for the go file
        began = time.monotonic()
        go.touch()
        for worker in workers:
            worker.wait(timeout=240)
        seconds = time.monotonic() - began
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
    logs = [(tmp_path / f"worker-{index}.log").read_text() for index in range(PROCESSES)]
    assert [worker.returncode for worker in workers] == [0] * PROCESSES, logs
    reports = [json.loads(log.strip().splitlines()[-1]) for log in logs]
    transitions = sum(report["started"] + report["stopped"] for report in reports)
    tally("audit: processes x transitions", transitions)
    print(f"\n{PROCESSES} x {TRANSITIONS} transitions in {seconds:.1f} s")

    assert transitions == PROCESSES * TRANSITIONS
    lines = assert_log_matches_the_outbox(audit_log_path())
    assert len(lines) == transitions == AuditEntry.objects.count()
    actions = Counter(line["action"] for line in lines)
    assert actions["start"] == Broadcast.objects.count() == sum(r["started"] for r in reports)
    assert actions["stop"] == Broadcast.objects.filter(stopped_at__isnull=False).count()
    # Within a broadcast the start line comes first, and a stop only after it.
    seen = {}
    for line in lines:
        seen.setdefault(line["broadcast"], []).append(line["action"])
    assert all(actions in (["start"], ["start", "stop"]) for actions in seen.values())


# A read-only data folder while transitions happen, then writable again.


@pytest.fixture
def two_events(db):
    return [
        Event.objects.create(pk="ro-a", name="Read-only A"),
        Event.objects.create(pk="ro-b", name="Read-only B"),
    ]


def make_transitions(events, count, actor="key:ops"):
    """``count`` transitions, alternating start and stop over the events."""
    for step in range(count):
        event = events[step % len(events)]
        if stop_broadcast(event, actor) is None:
            start_broadcast(event, "mock", actor)


@pytest.mark.parametrize("then", ["manage.py flushaudit", "the next transition"])
def test_a_read_only_data_folder_loses_nothing_once_it_is_writable_again(
    two_events, data_dir, caplog, then, tally
):
    make_transitions(two_events, 4)  # lines already in the log before the folder breaks
    before = audit_log_path().read_bytes()
    read_only = ReadOnlyFolder(data_dir)
    try:
        make_transitions(two_events, 20)
        assert audit_log_path().read_bytes() == before  # nothing written, nothing torn
        assert AuditEntry.objects.filter(appended_at__isnull=True).count() == 20
        errors = audit_errors(caplog)
        assert len(errors) == 20, f"{read_only.how}: {len(errors)} errors logged"
        assert "stay pending" in errors[-1].getMessage()
        assert "20 entries" in errors[-1].getMessage()
    finally:
        read_only.release()
    tally("audit: transitions while the data folder was read-only", 20)

    if then == "manage.py flushaudit":
        result = manage("flushaudit", data_dir=data_dir)
        assert result.returncode == 0, result.stderr
        assert "Appended 20 lines" in result.stdout
    else:
        make_transitions(two_events, 1)
    lines = assert_log_matches_the_outbox(audit_log_path())
    assert audit_log_path().read_bytes().startswith(before)
    assert [line["seq"] for line in lines] == sorted(line["seq"] for line in lines)
    assert len(lines) == 4 + 20 + (1 if then == "the next transition" else 0)


def test_flushaudit_fails_loudly_while_the_folder_is_still_read_only(two_events, data_dir):
    make_transitions(two_events, 2)
    read_only = ReadOnlyFolder(data_dir)
    try:
        make_transitions(two_events, 2)
        result = manage("flushaudit", data_dir=data_dir)
    finally:
        read_only.release()

    assert result.returncode != 0
    assert "2 audit entries are still pending" in result.stderr
    assert "could not append to the audit log" in result.stderr
    assert AuditEntry.objects.filter(appended_at__isnull=True).count() == 2


# A full disk: a real tmpfs of a few pages, so that an append stops half way.


@pytest.fixture
def tiny_disk(tmp_path):
    folder = tmp_path / "tiny"
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k,nr_inodes=64", "tmpfs", str(folder)],
        capture_output=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    yield folder
    subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def test_a_full_disk_loses_nothing_and_leaves_no_torn_line(
    two_events, tiny_disk, settings, caplog, tally
):
    settings.LIVE_STREAM_DATA_DIR = tiny_disk / "live"
    make_transitions(two_events, 2)
    # Take every free page: the log's own page still has room for a dozen lines,
    # then an append runs into the end of the disk half way through a line.
    filler = tiny_disk / "filler"
    stats = os.statvfs(tiny_disk)
    with open(filler, "wb") as out:
        out.write(b"x" * (stats.f_bavail * stats.f_frsize))
    make_transitions(two_events, 40)
    pending = AuditEntry.objects.filter(appended_at__isnull=True).count()
    assert pending > 0
    assert "No space left on device" in audit_errors(caplog)[-1].getMessage()

    filler.unlink()
    assert flush_pending() == pending
    # Appends stopped half way through a line, and the half lines were cut off again.
    assert any("cut a torn last line" in record.getMessage() for record in caplog.records)
    tally("audit: transitions on a full disk", 40)

    lines = assert_log_matches_the_outbox(audit_log_path())
    assert len(lines) == AuditEntry.objects.count() == 42
    assert [line["seq"] for line in lines] == sorted(line["seq"] for line in lines)


# A crash between the append and the mark.


def test_a_crash_between_the_append_and_the_mark_doubles_no_line(data_dir, tmp_path, tally):
    worker = spawn(
        [PYTHON, "-m", "tests.hardening.worker", "crash-after-append", "3"],
        app_env(data_dir),
        tmp_path / "crash.log",
    )
    worker.wait(timeout=60)
    assert worker.returncode == -9, (tmp_path / "crash.log").read_text()

    # The lines are in the file, the rows are committed but not marked.
    assert len(read_log(audit_log_path())) == 3
    assert AuditEntry.objects.filter(appended_at__isnull=True).count() == 3
    tally("audit: crashes between append and mark", 1)

    assert flush_pending() == 0  # recognised in the tail, only marked
    assert_log_matches_the_outbox(audit_log_path())

    stop_broadcast(Event.objects.get(pk="crash-0"), "key:ops")  # the next append
    lines = assert_log_matches_the_outbox(audit_log_path())
    assert [line["action"] for line in lines] == ["start", "start", "start", "stop"]


def test_a_torn_last_line_is_cut_off_and_its_entry_written_whole(two_events, data_dir):
    make_transitions(two_events, 1)
    whole = audit_log_path().read_bytes()
    with transaction_without_flush():
        start_broadcast(two_events[1], "mock", "key:ops")
    entry = AuditEntry.objects.filter(appended_at__isnull=True).get()
    line = json.dumps({**entry.record, "seq": entry.pk}, separators=(",", ":"))
    # What a write cut short by a full disk or a kill leaves: half a line, no newline.
    with open(audit_log_path(), "ab") as log:
        log.write(line[: len(line) // 2].encode())

    assert flush_pending() == 1

    assert audit_log_path().read_bytes() == whole + line.encode() + b"\n"
    assert_log_matches_the_outbox(audit_log_path())


class transaction_without_flush:
    """Runs a transition whose append does not happen (its on_commit flush is dropped)."""

    def __enter__(self):
        from django.db import transaction

        self._patched = transaction.on_commit
        transaction.on_commit = lambda *args, **kwargs: None

    def __exit__(self, *exc):
        from django.db import transaction

        transaction.on_commit = self._patched
        return False


def test_the_outbox_is_written_in_order_by_a_later_process(two_events, data_dir):
    """A flush in another process (flushaudit) writes what this one left pending."""
    with transaction_without_flush():
        make_transitions(two_events, 5)
    assert not audit_log_path().exists()

    result = manage("flushaudit", data_dir=data_dir)

    assert result.returncode == 0, result.stderr
    lines = assert_log_matches_the_outbox(audit_log_path())
    assert [line["seq"] for line in lines] == sorted(line["seq"] for line in lines)


def test_a_crashed_write_longer_than_the_tail_window_is_still_not_doubled(
    two_events, data_dir, monkeypatch
):
    """After a long outage a flush writes many lines at once; if it dies before the
    mark, the next flush must look back over all of them, not just a fixed tail."""
    monkeypatch.setattr("live.services.audit.TAIL_BYTES", 64)
    make_transitions(two_events, 2)
    with transaction_without_flush():
        make_transitions(two_events, 30)
    pending = list(AuditEntry.objects.filter(appended_at__isnull=True))
    written = b"".join(_line(entry) for entry in pending)
    assert len(written) > 30 * 64
    with open(audit_log_path(), "ab") as log:  # the write happened, the mark did not
        log.write(written)

    assert flush_pending() == 0

    lines = assert_log_matches_the_outbox(audit_log_path())
    assert len(lines) == 32


def test_a_torn_fragment_longer_than_the_window_is_cut_off_too(two_events, data_dir, monkeypatch):
    monkeypatch.setattr("live.services.audit.TAIL_BYTES", 16)
    make_transitions(two_events, 1)
    whole = audit_log_path().read_bytes()
    with transaction_without_flush():
        start_broadcast(two_events[1], "mock", "key:ops")
    with open(audit_log_path(), "ab") as log:
        log.write(b'{"time":"' + b"9" * 2000)  # no newline anywhere near the end

    assert flush_pending() == 1

    assert audit_log_path().read_bytes().startswith(whole)
    assert len(assert_log_matches_the_outbox(audit_log_path())) == 2


def test_a_database_error_while_marking_is_logged_and_the_request_still_succeeds(
    admin_api, event, data_dir, caplog, monkeypatch
):
    """The transition has committed: an outbox that cannot be marked (database gone
    away, locked for too long) must not turn its request into a 500."""
    real_update = QuerySet.update

    def failing_update(queryset, **kwargs):
        if queryset.model is AuditEntry:
            raise OperationalError("database is locked")
        return real_update(queryset, **kwargs)

    monkeypatch.setattr(QuerySet, "update", failing_update)
    response = admin_api.post(f"/events/{event.pk}/live/start", {"source": "mock"}, format="json")

    assert response.status_code == 201
    [error] = audit_errors(caplog)
    assert "database is locked" in error.getMessage()
    assert "1 entries stay pending" in error.getMessage()
    assert len(read_log(audit_log_path())) == 1  # written, not marked

    monkeypatch.setattr(QuerySet, "update", real_update)
    assert flush_pending() == 0  # found in the tail: marked, not doubled
    assert_log_matches_the_outbox(audit_log_path())
