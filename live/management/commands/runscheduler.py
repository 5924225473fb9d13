import logging
import signal
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from live.services.schedules import fire_due

logger = logging.getLogger("live.scheduler")


class Command(BaseCommand):
    help = (
        "Run the scheduler: start and stop cameras at their planned times (within a poll). "
        "Two or more may run: each schedule fires once."
    )

    def add_arguments(self, parser):
        parser.add_argument("--poll", type=float, default=0.5, help="seconds between passes")
        parser.add_argument("--once", action="store_true", help="one pass, then exit")
        parser.add_argument(
            "--max-seconds", type=float, default=None, help="exit after this long (tests)"
        )

    def handle(self, poll, once, max_seconds, **options):
        if poll <= 0:
            raise CommandError("--poll must be positive")
        stopping = []
        signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
        signal.signal(signal.SIGINT, lambda *_: stopping.append(1))
        deadline = time.monotonic() + max_seconds if max_seconds else None
        self.stdout.write(f"scheduler starting (poll {poll} s)")
        while not stopping:
            close_old_connections()
            try:
                for action, camera in fire_due():
                    self.stdout.write(f"schedule: {action} {camera}")
            except Exception:  # a bad pass must not stop every later schedule
                logger.exception("scheduler pass failed; retrying")
            if once or (deadline is not None and time.monotonic() >= deadline):
                break
            time.sleep(poll)
        self.stdout.flush()
