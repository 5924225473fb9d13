import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from live.workers.clip_cutter import cut_pending_clips


class Command(BaseCommand):
    help = (
        "Cut pending clips (the packager does this too; run this where no packager "
        "runs). --once: cut what is pending and exit."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true")
        parser.add_argument("--poll", type=float, default=0.5)

    def handle(self, *args, once, poll, **options):
        while True:
            close_old_connections()
            cut = cut_pending_clips()
            if cut:
                self.stdout.write(f"cut {cut} clips")
            if once:
                return
            time.sleep(poll)
