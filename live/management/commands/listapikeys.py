from django.core.management.base import BaseCommand

from live.models import ApiKey


class Command(BaseCommand):
    help = "List API keys (never the keys themselves): prefix, name, role, state, last used."

    def handle(self, **options):
        for key in ApiKey.objects.order_by("created_at"):
            role = "admin" if key.is_admin else "client"
            state = "active" if key.is_active else f"revoked {key.revoked_at or ''}".strip()
            used = key.last_used_at.isoformat() if key.last_used_at else "never"
            self.stdout.write(
                f"{key.prefix}  {key.name:<24} {role:<6} {state:<8} last used {used}"
            )
