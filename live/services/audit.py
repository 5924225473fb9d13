"""The audit log: one JSON line per transition in ``<data dir>/streams.jsonl``.

Each transition is first an ``AuditEntry`` row written in the same transaction
as the state change (an outbox). After the commit, pending rows are appended
under an exclusive file lock, in one write, then marked appended. If the
append fails the rows stay pending, an error is logged, and the next append
(or ``manage.py flushaudit``) writes them. Lines already in the file's tail are
skipped, so a crash between the write and the mark never duplicates a line; a
torn last line (a write cut short by a full disk or a kill) is cut off and its
entries written again whole, so every line stays valid JSON.
"""

import fcntl
import json
import logging
import os
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, transaction
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


def _line(entry) -> bytes:
    return (json.dumps({**entry.record, "seq": entry.pk}, separators=(",", ":")) + "\n").encode()


def _written(tail: bytes, seq: int) -> bool:
    """Whether a whole line for ``seq`` is in ``tail`` (compact, or as json.dumps spaces it).

    ``"seq"`` is every line's last key; inside string values quotes are escaped,
    so the marker cannot match anywhere but at the end of that entry's line.
    """
    return b'"seq":%d}\n' % seq in tail or b'"seq": %d}\n' % seq in tail


def _complete_tail(log_file, window):
    """The last ``window`` bytes of whole lines; a torn last line is cut off the file.

    Every append ends with a newline, so bytes after the last one are what a write
    cut short (disk full, a kill mid-write) left behind. Their entries are still
    pending, so they are written again, whole, after the cut.
    """
    size = log_file.seek(0, os.SEEK_END)
    start = max(0, size - window)
    log_file.seek(start)
    tail = log_file.read()
    end = start + tail.rfind(b"\n") + 1
    while end == start and start > 0:  # no newline in the window: look further back
        start = max(0, start - window)
        log_file.seek(start)
        end = start + log_file.read(size - start).rfind(b"\n") + 1
    if end < size:
        log_file.truncate(end)
        logger.warning(
            "cut a torn last line (%d bytes) off the audit log %s; its entries are "
            "written again",
            size - end,
            log_file.name,
        )
    return tail[: max(0, end - (size - len(tail)))]


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
            lines = {entry.pk: _line(entry) for entry in pending}
            # A flush that crashed between its write and its mark wrote at most
            # these very lines: look that far back, and a little more.
            window = TAIL_BYTES + sum(map(len, lines.values()))
            tail = _complete_tail(log_file, window)
            missing = [line for seq, line in lines.items() if not _written(tail, seq)]
            if missing:
                log_file.write(b"".join(missing))
                log_file.flush()
                os.fsync(log_file.fileno())
            AuditEntry.objects.filter(pk__in=list(lines)).update(appended_at=timezone.now())
            return len(missing)
    except (OSError, DatabaseError) as exc:
        # The transition itself has committed: its request must not fail over the log.
        try:
            left = f"{AuditEntry.objects.filter(appended_at__isnull=True).count()} entries"
        except DatabaseError:
            left = "the entries"
        logger.error(
            "could not append to the audit log %s (%s): %s stay pending "
            "until the next append or `manage.py flushaudit`",
            path,
            exc,
            left,
        )
        return 0
