import secrets

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand

from live.models import ApiKey, Event
from live.services.apikeys import create_api_key, revoke_api_key


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
