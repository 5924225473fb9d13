from django.core.management.base import BaseCommand, CommandError

from live.services.apikeys import find_by_prefix, rotate_api_key


class Command(BaseCommand):
    help = "Replace an API key with a new one (same name and role); the raw key is the last line."

    def add_arguments(self, parser):
        parser.add_argument("prefix")

    def handle(self, prefix, **options):
        key = find_by_prefix(prefix)
        if key is None:
            raise CommandError(f"No API key with prefix {prefix!r}.")
        if not key.is_active or key.revoked_at is not None:
            raise CommandError(
                f"API key {key.name!r} ({prefix}…) is revoked or inactive: create a new one."
            )
        new_key, raw = rotate_api_key(key)
        self.stdout.write(
            f"Revoked {prefix}… and created {new_key.prefix}… for {key.name!r}. Store it now:"
        )
        self.stdout.write(raw)
