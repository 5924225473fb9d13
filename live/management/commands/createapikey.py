from django.core.management.base import BaseCommand, CommandError

from live.services.apikeys import DuplicateKeyName, UnknownEvent, create_api_key


class Command(BaseCommand):
    help = "Create an API key. The raw key is printed once, as the last line."

    def add_arguments(self, parser):
        parser.add_argument("name", help="Who or what uses the key (unique among active keys)")
        parser.add_argument("--admin", action="store_true", help="May start, stop and mint")
        parser.add_argument(
            "--event",
            action="append",
            default=[],
            dest="events",
            metavar="ID",
            help="Limit the key to this event (repeat for more); without it: every event",
        )

    def handle(self, name, admin, events, **options):
        if not name.strip() or len(name) > 100:
            raise CommandError("NAME must be 1 to 100 characters.")
        try:
            key, raw = create_api_key(name, is_admin=admin, events=events)
        except (DuplicateKeyName, UnknownEvent) as exc:
            raise CommandError(str(exc))
        role = "admin" if admin else "client"
        scope = f" for event(s) {', '.join(dict.fromkeys(events))}" if events else ""
        self.stdout.write(
            f"Created {role} API key {key.name!r} ({key.prefix}…){scope}. Store it now:"
        )
        self.stdout.write(raw)
