"""Each long-running process's last sign of life, for ``manage.py status``, the admin
and ``/metrics``.

One row per kind of worker and host (several packagers on one host share it: the
newest beat wins). A worker beats from its loop at most every
``LIVE_HEARTBEAT_SECONDS``, so the steady state is one UPDATE per process every few
seconds; a row older than three beats is late: the process is stuck or gone.
"""

import logging
import os
import socket
import time
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

from live.models import WorkerHeartbeat, WorkerKind

logger = logging.getLogger("live.heartbeats")

LATE_AFTER_BEATS = 3


def late_after_seconds():
    return LATE_AFTER_BEATS * settings.LIVE_HEARTBEAT_SECONDS


class Heartbeat:
    """Beats for one process; ``beat()`` is cheap to call on every pass of its loop."""

    def __init__(self, kind):
        if kind not in WorkerKind.values:
            raise ValueError(f"unknown worker kind {kind!r}")
        self.kind = kind
        self.host = socket.gethostname()[:120]
        self.pid = os.getpid()
        self.started_at = timezone.now()
        self.next_at = 0.0

    def beat(self):
        """Writes the beat if one is due; True when it did. Database errors are logged:
        a worker must go on serving while the database blinks."""
        clock = time.monotonic()
        if clock < self.next_at:
            return False
        self.next_at = clock + settings.LIVE_HEARTBEAT_SECONDS
        values = {"pid": self.pid, "started_at": self.started_at, "beat_at": timezone.now()}
        try:
            rows = WorkerHeartbeat.objects.filter(kind=self.kind, host=self.host)
            if not rows.update(**values):
                WorkerHeartbeat.objects.update_or_create(
                    kind=self.kind, host=self.host, defaults=values
                )
        except DatabaseError:
            logger.warning("%s heartbeat not written; retrying", self.kind, exc_info=True)
            self.next_at = clock + 1
            return False
        return True


@dataclass
class WorkerState:
    kind: str
    host: str
    pid: int | None
    started_at: datetime | None
    beat_at: datetime | None
    age_seconds: float | None
    late: bool

    @property
    def label(self):
        if self.beat_at is None:
            return "never seen"
        return f"late ({self.age_seconds:.0f} s)" if self.late else "ok"


def worker_states(now=None):
    """Every worker row, and a "never seen" line for each kind with none."""
    now = now or timezone.now()
    limit = late_after_seconds()
    states = []
    for row in WorkerHeartbeat.objects.order_by("kind", "host"):
        age = max(0.0, (now - row.beat_at).total_seconds())
        states.append(
            WorkerState(row.kind, row.host, row.pid, row.started_at, row.beat_at, age, age > limit)
        )
    seen = {state.kind for state in states}
    for kind in WorkerKind.values:
        if kind not in seen:
            states.append(WorkerState(kind, "", None, None, None, None, True))
    return states
