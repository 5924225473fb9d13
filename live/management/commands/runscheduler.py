import signal

from django.core.management.base import BaseCommand, CommandError

from live.workers import scheduler


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
        self.stdout.write(f"scheduler starting (poll {poll} s)")
        scheduler.run(poll, once, max_seconds, stopping, report=self.stdout.write)
        self.stdout.flush()
