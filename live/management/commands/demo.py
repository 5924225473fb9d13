import secrets

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.conf import settings

from live.models import ApiKey, Event, Source
from live.services.apikeys import create_api_key, revoke_api_key
from live.services.cameras import create_camera
from live.services.sources import rtmp_stream_key


class Command(BaseCommand):
    help = "Set up the demo: migrate, a demo event, a staff login and two API keys."

    def add_arguments(self, parser):
        parser.add_argument("--event", default="demo-open", help="The demo event's id")
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")

    def handle(self, event, base_url, **options):
        call_command("migrate", verbosity=0)
        demo_event, _ = Event.objects.get_or_create(
            pk=event, defaults={"name": "Demo Open, hole 1 tee"}
        )
        # A second tee with an RTMP camera: OBS can be set up with its key at once.
        green = demo_event.cameras.filter(slug="green-18").first() or create_camera(
            demo_event, "green-18", "18th green", Source.RTMP, actor="demo"
        )
        password = secrets.token_urlsafe(12)
        User = get_user_model()
        staff, _ = User.objects.get_or_create(username="staff")
        staff.is_staff = staff.is_superuser = True
        staff.set_password(password)
        staff.save()
        # Each run prints new keys: the previous run's keys of these names are revoked
        # (names are unique among unrevoked keys).
        for old in ApiKey.objects.filter(
            name__in=["demo admin", "demo client"], revoked_at__isnull=True
        ):
            revoke_api_key(old)
        _, admin_key = create_api_key("demo admin", is_admin=True)
        _, client_key = create_api_key("demo client")
        host = f"{base_url}/events/{demo_event.pk}/live-host"
        self.stdout.write(
            "\n".join(
                [
                    "",
                    "teecam demo is ready.",
                    f"  Host page:     {host}",
                    f"  Staff login:   staff / {password}",
                    f"  Admin:         {base_url}/admin/",
                    f"  API docs:      {base_url}/api/docs/",
                    "  Cameras:       main (mock source), green-18 (RTMP; the stream key is",
                    "                 on the host page and stays the same from start to start)",
                    f"  OBS for green-18: server rtmp://127.0.0.1:{settings.LIVE_RTMP_PORT}/live,"
                    f" stream key {rtmp_stream_key(green)}",
                    f"  Admin API key: {admin_key}",
                    f"  Client key:    {client_key}",
                    "",
                    "  Try it:",
                    f"    curl -s -X POST -H 'X-API-Key: {admin_key}' "
                    f"-H 'Content-Type: application/json' -d '{{\"source\":\"mock\"}}' "
                    f"{base_url}/events/{demo_event.pk}/live/start",
                    "",
                ]
            )
        )
