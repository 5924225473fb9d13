from django.core.management.base import BaseCommand

from live.models import ApiKey


class Command(BaseCommand):
    help = "List API keys (never the keys themselves): prefix, name, role, state, last used."

    def handle(self, **options):
        for key in ApiKey.objects.order_by("created_at"):
            role = "admin" if key.is_admin else "client"
            # Revoked is final, whatever is_active says.
            if key.revoked_at is not None:
                state = f"revoked {key.revoked_at.isoformat()}"
            else:
                state = "active" if key.is_active else "inactive"
            used = key.last_used_at.isoformat() if key.last_used_at else "never"
            self.stdout.write(
                f"{key.prefix}  {key.name:<24} {role:<6} {state:<8} last used {used}"
            )
