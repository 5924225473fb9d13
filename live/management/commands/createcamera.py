from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from live.models import Event, Source
from live.services.cameras import InvalidCamera, create_camera
from live.services.sources import SourceUnavailable, facts_of, ingest_for


class Command(BaseCommand):
    help = "Add a camera to an event and print what its encoder needs (set it up once)."

    def add_arguments(self, parser):
        parser.add_argument("event", help="The event id, e.g. open-2026")
        parser.add_argument("camera", help="The camera id used in URLs, e.g. tee-1")
        parser.add_argument("--name", required=True, help="The display name, e.g. '1st tee'")
        parser.add_argument(
            "--source", default=Source.MOCK, choices=Source.values, help="The default source"
        )
        parser.add_argument("--camera-url", default="", help="For rtsp: the camera's URL")

    def handle(self, event, camera, name, source, camera_url, **options):
        found = Event.objects.filter(pk=event).first() if len(event) <= 64 else None
        if found is None:
            raise CommandError(f"No event with id {event[:64]!r}.")
        try:
            made = create_camera(found, camera, name, source, camera_url, actor="command")
        except (InvalidCamera, SourceUnavailable) as exc:
            raise CommandError(str(exc))
        self.stdout.write(f"Created camera {made.slug} ({made.name}) in event {found.pk}.")
        for label, value in (ingest_for(made) or {}).items():
            self.stdout.write(f"  {label}: {value}")
        facts = facts_of(made.source)
        if facts.srt_port:
            self.stdout.write(
                f"  SRT port {made.srt_port}: one per camera from LIVE_SRT_PORTS "
                f"({settings.LIVE_SRT_PORTS}); set it in the server's environment to change "
                "the range."
            )
        elif facts.stream_key:
            self.stdout.write(
                f"  RTMP port {settings.LIVE_RTMP_PORT}: set LIVE_RTMP_PORT in the server's "
                "environment to change it."
            )
