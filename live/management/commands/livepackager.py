from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from live.workers.packager import Packager


class Command(BaseCommand):
    help = "Run the packager: one ffmpeg per live SRT/RTSP broadcast, health for all ingest."

    def add_arguments(self, parser):
        parser.add_argument("--poll", type=float, default=0.5, help="seconds between passes")
        parser.add_argument(
            "--max-seconds", type=float, default=None, help="exit after this long (tests)"
        )
        parser.add_argument(
            "--lease-seconds",
            type=float,
            default=None,
            help="how long a broadcast's lease outlives its packager before another takes it "
            f"(default LIVE_PACKAGER_LEASE_SECONDS, now {settings.LIVE_PACKAGER_LEASE_SECONDS})",
        )

    def handle(self, poll, max_seconds, lease_seconds, **options):
        if lease_seconds is not None and lease_seconds <= 0:
            raise CommandError("--lease-seconds must be positive")
        Packager(poll_seconds=poll, lease_seconds=lease_seconds).run(max_seconds=max_seconds)
