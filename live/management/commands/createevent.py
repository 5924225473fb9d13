from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_slug

from live.models import Event


class Command(BaseCommand):
    help = "Create an event (or rename an existing one)."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="The event id used in URLs, e.g. open-2026")
        parser.add_argument("--name", required=True, help="The event's display name")

    def handle(self, slug, name, **options):
        try:
            validate_slug(slug)
        except ValidationError:
            raise CommandError("SLUG may hold only letters, digits, '-' and '_'.")
        if len(slug) > 64:
            raise CommandError("SLUG is longer than 64 characters.")
        if not name.strip():
            raise CommandError("--name may not be empty.")
        event, created = Event.objects.update_or_create(pk=slug, defaults={"name": name})
        verb = "Created" if created else "Updated"
        self.stdout.write(f"{verb} event {event.pk}: {event.name}")
