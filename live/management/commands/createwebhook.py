from django.core.management.base import BaseCommand, CommandError

from live.services.webhook_urls import InvalidWebhookUrl
from live.services.webhooks import (
    EVENT_TYPES,
    InvalidEndpoint,
    UnknownEventType,
    create_endpoint,
)


class Command(BaseCommand):
    help = "Add a webhook endpoint. Its secret is printed once, as the last line."

    def add_arguments(self, parser):
        parser.add_argument("url", help="http(s) URL on a public address")
        parser.add_argument("--event", default=None, metavar="ID", help="only this event's")
        parser.add_argument(
            "--types",
            default="",
            metavar="TYPE,…",
            help=f"only these types (default: all): {', '.join(EVENT_TYPES)}",
        )

    def handle(self, url, event, types, **options):
        try:
            endpoint = create_endpoint(url, event_id=event, types=types)
        except (InvalidWebhookUrl, UnknownEventType, InvalidEndpoint) as exc:
            raise CommandError(f"Refused {url!r}: {exc}")
        scope = f"event {endpoint.event_id}" if endpoint.event_id else "every event"
        what = endpoint.types or "every type"
        self.stdout.write(
            f"Created webhook endpoint #{endpoint.pk} → {endpoint.url} ({scope}; {what}). "
            "Its signing secret (store it now, it will not be shown again):"
        )
        self.stdout.write(endpoint.secret)
