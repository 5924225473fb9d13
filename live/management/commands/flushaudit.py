from django.core.management.base import BaseCommand, CommandError

from live.models import AuditEntry
from live.services.audit import audit_log_path, flush_pending


class Command(BaseCommand):
    help = "Append audit entries still pending to streams.jsonl, in order."

    def handle(self, **options):
        written = flush_pending()
        left = AuditEntry.objects.filter(appended_at__isnull=True).count()
        if left:
            raise CommandError(f"{left} audit entries are still pending: see the error above.")
        self.stdout.write(f"Appended {written} lines to {audit_log_path()}.")
