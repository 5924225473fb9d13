from django.core.management.base import BaseCommand, CommandError

from live.services.apikeys import find_by_prefix, revoke_api_key


class Command(BaseCommand):
    help = "Revoke an API key by its prefix (the part after tc_ and before the next _)."

    def add_arguments(self, parser):
        parser.add_argument("prefix")

    def handle(self, prefix, **options):
        key = find_by_prefix(prefix)
        if key is None:
            raise CommandError(f"No API key with prefix {prefix!r}.")
        if not revoke_api_key(key):
            raise CommandError(f"API key {key.name!r} ({prefix}…) was already revoked.")
        self.stdout.write(f"Revoked API key {key.name!r} ({prefix}…).")
