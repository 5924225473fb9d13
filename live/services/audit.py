"""The audit log: one JSON line per transition in ``<data dir>/streams.jsonl``.

Each transition is first an ``AuditEntry`` row written in the same transaction
as the state change (an outbox). After the commit, pending rows are appended
under an exclusive file lock, in one write, then marked appended. If the
append fails the rows stay pending, an error is logged, and the next append
(or ``manage.py flushaudit``) writes them. Lines already in the file's tail are
skipped, so a crash between the write and the mark never duplicates a line.
"""

import fcntl
import json
import logging
import os
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone

from live.models import AuditEntry
from live.signals import broadcast_started, broadcast_stopped

logger = logging.getLogger("live.audit")

TAIL_BYTES = 256 * 1024


def audit_log_path() -> Path:
    return Path(settings.LIVE_STREAM_DATA_DIR) / "streams.jsonl"


def _record(broadcast, action, actor, at):
    return {
        "time": at.isoformat(),
        "event": broadcast.event_id,
        "broadcast": broadcast.pk,
        "action": action,
        "source": broadcast.source,
        "actor": actor,
    }


@receiver(broadcast_started)
def _on_started(sender, broadcast, actor, **kwargs):
    AuditEntry.objects.create(record=_record(broadcast, "start", actor, broadcast.started_at))
    transaction.on_commit(flush_pending)


@receiver(broadcast_stopped)
def _on_stopped(sender, broadcast, actor, **kwargs):
    AuditEntry.objects.create(record=_record(broadcast, "stop", actor, broadcast.stopped_at))
    transaction.on_commit(flush_pending)


def _sequences_in_tail(log_file):
    log_file.seek(0, os.SEEK_END)
    size = log_file.tell()
    log_file.seek(max(0, size - TAIL_BYTES))
    seen = set()
    for line in log_file.read().splitlines():
        try:
            seen.add(json.loads(line)["seq"])
        except (ValueError, KeyError, TypeError):
            continue  # the first line of the tail is usually cut
    return seen


def flush_pending():
    """Appends every pending entry; returns how many lines were written."""
    path = audit_log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a+b") as log_file:
            fcntl.flock(log_file, fcntl.LOCK_EX)
            pending = list(AuditEntry.objects.filter(appended_at__isnull=True))
            if not pending:
                return 0
            already = _sequences_in_tail(log_file)
            lines = [
                json.dumps({**entry.record, "seq": entry.pk}, separators=(",", ":")) + "\n"
                for entry in pending
                if entry.pk not in already
            ]
            if lines:
                log_file.write("".join(lines).encode())
                log_file.flush()
                os.fsync(log_file.fileno())
            AuditEntry.objects.filter(pk__in=[entry.pk for entry in pending]).update(
                appended_at=timezone.now()
            )
            return len(lines)
    except OSError as exc:
        count = AuditEntry.objects.filter(appended_at__isnull=True).count()
        logger.error(
            "could not append to the audit log %s (%s): %d entries stay pending "
            "until the next append or `manage.py flushaudit`",
            path,
            exc,
            count,
        )
        return 0
