from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_slug

from live.models import Event
from live.time_zones import is_time_zone


class Command(BaseCommand):
    help = "Create an event (or rename an existing one)."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="The event id used in URLs, e.g. open-2026")
        parser.add_argument("--name", required=True, help="The event's display name")
        parser.add_argument(
            "--time-zone",
            default=None,
            help="The IANA time zone the event happens in, e.g. Europe/London (default for "
            "a new event: LIVE_DEFAULT_TIME_ZONE; an existing event keeps its own)",
        )

    def handle(self, slug, name, time_zone=None, **options):
        try:
            validate_slug(slug)
        except ValidationError:
            raise CommandError("SLUG may hold only letters, digits, '-' and '_'.")
        if len(slug) > 64:
            raise CommandError("SLUG is longer than 64 characters.")
        if not name.strip():
            raise CommandError("--name may not be empty.")
        fields = {"name": name}
        if time_zone is not None:
            if not is_time_zone(time_zone):
                raise CommandError(
                    f"--time-zone {time_zone[:64]!r} is not an IANA time zone name "
                    "(e.g. Europe/London, America/New_York)."
                )
            fields["time_zone"] = time_zone
        event, created = Event.objects.update_or_create(pk=slug, defaults=fields)
        verb = "Created" if created else "Updated"
        self.stdout.write(f"{verb} event {event.pk}: {event.name} (times in {event.time_zone})")
