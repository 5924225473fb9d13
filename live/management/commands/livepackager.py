from django.core.management.base import BaseCommand

from live.services.packager import Packager


class Command(BaseCommand):
    help = "Run the packager: one ffmpeg per live SRT/RTSP broadcast, health for all ingest."

    def add_arguments(self, parser):
        parser.add_argument("--poll", type=float, default=0.5, help="seconds between passes")
        parser.add_argument(
            "--max-seconds", type=float, default=None, help="exit after this long (tests)"
        )

    def handle(self, poll, max_seconds, **options):
        Packager(poll_seconds=poll).run(max_seconds=max_seconds)
