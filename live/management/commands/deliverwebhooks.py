from django.core.management.base import BaseCommand, CommandError

from live.workers.webhook_delivery import WebhookWorker


class Command(BaseCommand):
    help = "Deliver webhooks from the outbox: a loop (--once: what is due now, then exit)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="deliver what is due, then exit")
        parser.add_argument("--poll", type=float, default=0.2, help="seconds between passes")
        parser.add_argument("--threads", type=int, default=8, help="endpoints sent to at once")
        parser.add_argument(
            "--max-seconds", type=float, default=None, help="exit after this long (tests)"
        )

    def handle(self, once, poll, threads, max_seconds, **options):
        if poll <= 0 or threads < 1:
            raise CommandError("--poll must be positive and --threads at least 1")
        worker = WebhookWorker(poll_seconds=poll, threads=threads)
        if once:
            attempts = worker.run_once()
            worker.pool.shutdown()
            self.stdout.write(f"{attempts} attempt(s).")
        else:
            worker.run(max_seconds=max_seconds)
