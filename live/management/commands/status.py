from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from live.services.heartbeats import late_after_seconds, worker_states
from live.services.site_health import check_parts, failing


class Command(BaseCommand):
    help = (
        "What is up: the database, the cache and each worker's last heartbeat. "
        "Exits 1 when a part does not answer or a worker is late or never seen."
    )

    def handle(self, **options):
        answers = check_parts()
        for part, answer in answers.items():
            self.stdout.write(f"{part:<10} {answer}")
        if "database" in failing(answers):
            raise CommandError("the database does not answer: no heartbeats to read")
        try:
            states = worker_states()
        except DatabaseError as error:
            raise CommandError(f"heartbeats unreadable: {error}") from None
        self.stdout.write(f"\nworkers (late after {late_after_seconds():.0f} s without a beat)")
        self.stdout.write(f"{'kind':<10} {'host':<24} {'pid':>7}  {'last beat (UTC)':<20} state")
        for state in states:
            beat = f"{state.beat_at:%Y-%m-%d %H:%M:%S}" if state.beat_at else "-"
            pid = state.pid if state.pid is not None else "-"
            self.stdout.write(
                f"{state.kind:<10} {state.host or '-':<24} {pid:>7}  {beat:<20} {state.label}"
            )
        down = failing(answers) + [state.kind for state in states if state.late]
        if down:
            raise CommandError("not well: " + ", ".join(dict.fromkeys(down)))
