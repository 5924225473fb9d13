from django.core.management.base import BaseCommand, CommandError

from live.services.apikeys import create_api_key


class Command(BaseCommand):
    help = "Create an API key. The raw key is printed once, as the last line."

    def add_arguments(self, parser):
        parser.add_argument("name", help="Who or what uses the key")
        parser.add_argument("--admin", action="store_true", help="May start, stop and mint")

    def handle(self, name, admin, **options):
        if not name.strip() or len(name) > 100:
            raise CommandError("NAME must be 1 to 100 characters.")
        key, raw = create_api_key(name, is_admin=admin)
        role = "admin" if admin else "client"
        self.stdout.write(f"Created {role} API key {key.name!r} ({key.prefix}…). Store it now:")
        self.stdout.write(raw)
