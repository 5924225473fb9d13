from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from live.models import Event, Source
from live.services.cameras import (
    InvalidCamera,
    clean_auto_shots_threshold,
    create_camera,
    update_camera,
)
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
        parser.add_argument(
            "--auto-shots",
            action="store_true",
            help="make a shot (source audio) at each strike heard in the recorded sound",
        )
        parser.add_argument(
            "--auto-shots-threshold",
            default=None,
            metavar="DB",
            help="how far a strike must jump above the noise floor, 6 to 40 dB (default 12)",
        )

    def handle(self, event, camera, name, source, camera_url, **options):
        found = Event.objects.filter(pk=event).first() if len(event) <= 64 else None
        if found is None:
            raise CommandError(f"No event with id {event[:64]!r}.")
        threshold = options["auto_shots_threshold"]
        if threshold is not None:
            try:
                threshold = clean_auto_shots_threshold(threshold)
            except InvalidCamera as exc:
                raise CommandError(f"--auto-shots-threshold: {exc}")
        try:
            made = create_camera(found, camera, name, source, camera_url, actor="command")
        except (InvalidCamera, SourceUnavailable) as exc:
            raise CommandError(str(exc))
        # The threshold was checked above, so this cannot refuse.
        update_camera(made, auto_shots=options["auto_shots"], auto_shots_threshold=threshold)
        self.stdout.write(f"Created camera {made.slug} ({made.name}) in event {found.pk}.")
        if made.auto_shots:
            self.stdout.write(f"  automatic shots: on, threshold {made.auto_shots_threshold:g} dB")
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
