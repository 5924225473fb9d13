from django.core.management.base import BaseCommand, CommandError

from live.services.cameras import UnknownCamera, get_camera, rotate_stream_key
from live.services.sources import ingest_for


class Command(BaseCommand):
    help = (
        "Give a camera a new stream key; the old one is refused at once. "
        "Prints the new encoder settings (the last line is the stream key)."
    )

    def add_arguments(self, parser):
        parser.add_argument("event", help="The event id, e.g. open-2026")
        parser.add_argument("camera", help="The camera id, e.g. main or tee-1")

    def handle(self, event, camera, **options):
        try:
            found = get_camera(event[:64], camera)
        except UnknownCamera as exc:
            raise CommandError(str(exc))
        rotate_stream_key(found, "command")
        self.stdout.write(
            f"New stream key for {found.event_id}/{found.slug}; the old one is refused."
        )
        ingest = ingest_for(found, "rtmp")
        self.stdout.write(f"  RTMP server: {ingest['url']}")
        self.stdout.write(f"  SRT passphrase: {found.stream_key}")
        self.stdout.write(ingest["streamKey"])
