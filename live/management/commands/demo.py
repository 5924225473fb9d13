import json
import os
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from live.models import ApiKey, Event, Source
from live.services.apikeys import create_api_key, find_api_key, revoke_api_key
from live.services.cameras import create_camera
from live.services.sources import rtmp_stream_key

ADMIN_KEY_NAME = "demo admin"
CLIENT_KEY_NAME = "demo client"


def read_keys_file(path):
    """What an earlier run kept in ``path`` ({} when missing or unreadable)."""
    try:
        kept = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return {}
    return kept if isinstance(kept, dict) else {}


def write_keys_file(path, kept):
    """Writes ``kept`` to ``path``, readable by its owner only (it holds raw keys)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    # Created 0600 (never briefly world-readable), then moved over the old file.
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(kept, out, indent=2)
        out.write("\n")
    os.chmod(temporary, 0o600)
    os.replace(temporary, path)


def still_works(raw_key, is_admin):
    key = find_api_key(raw_key) if isinstance(raw_key, str) else None
    return key is not None and key.is_admin == is_admin


class Command(BaseCommand):
    help = "Set up the demo: migrate, a demo event, a staff login and two API keys."

    def add_arguments(self, parser):
        parser.add_argument("--event", default="demo-open", help="The demo event's id")
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")
        parser.add_argument(
            "--keys-file",
            default="",
            help="keep the raw demo keys and the staff password here (mode 600) and reuse "
            "them on the next run while they still work; without it each run makes new ones",
        )

    def handle(self, event, base_url, keys_file, **options):
        base_url = base_url.rstrip("/")
        call_command("migrate", verbosity=0)
        demo_event, _ = Event.objects.get_or_create(
            pk=event, defaults={"name": "Demo Open, hole 1 tee"}
        )
        # A second tee with an RTMP camera: OBS can be set up with its key at once.
        green = demo_event.cameras.filter(slug="green-18").first() or create_camera(
            demo_event, "green-18", "18th green", Source.RTMP, actor="demo"
        )
        kept = read_keys_file(keys_file) if keys_file else {}
        password = self.staff_login(kept.get("staffPassword"))
        admin_key, client_key, reused = self.demo_keys(kept)
        if keys_file:
            try:
                write_keys_file(
                    keys_file,
                    {"staffPassword": password, "adminKey": admin_key, "clientKey": client_key},
                )
            except OSError as exc:
                raise CommandError(f"--keys-file: cannot write {keys_file}: {exc}") from exc
        host = f"{base_url}/events/{demo_event.pk}/live-host"
        if keys_file:
            kept_line = (
                f"  Keys:          {'reused from' if reused else 'new, kept in'} {keys_file}"
                " (start fresh: rm -f db.sqlite3 " + keys_file + ")"
            )
        else:
            kept_line = "  Keys:          new (the previous run's demo keys are revoked)"
        ingest = f"rtmp://{settings.LIVE_INGEST_HOST}:{settings.LIVE_RTMP_PORT}/live"
        self.stdout.write(
            "\n".join(
                [
                    f"  Host page:     {host}",
                    f"  Staff login:   staff / {password}",
                    f"  Admin:         {base_url}/admin/",
                    f"  API docs:      {base_url}/api/docs/",
                    "  Cameras:       main (mock source), green-18 (RTMP; the stream key is",
                    "                 on the host page and stays the same from start to start)",
                    f"  OBS for green-18: server {ingest},"
                    f" stream key {rtmp_stream_key(green)}",
                    f"  Admin API key: {admin_key}",
                    f"  Client key:    {client_key}",
                    kept_line,
                    "",
                    "  Try it:",
                    # -k: the LAN demo's HTTPS certificate is self-signed.
                    f"    curl -s{'k' if base_url.startswith('https:') else ''} -X POST "
                    f"-H 'X-API-Key: {admin_key}' "
                    f"-H 'Content-Type: application/json' -d '{{\"source\":\"mock\"}}' "
                    f"{base_url}/events/{demo_event.pk}/live/start",
                    "",
                ]
            )
        )

    def staff_login(self, kept_password):
        """The staff user's password: the kept one while it still logs in, else a set one.

        Without a kept password (no --keys-file, or a first run) a new one is set.
        """
        User = get_user_model()
        staff, created = User.objects.get_or_create(username="staff")
        fields = []
        if not (staff.is_staff and staff.is_superuser):
            staff.is_staff = staff.is_superuser = True
            fields += ["is_staff", "is_superuser"]
        password = kept_password if isinstance(kept_password, str) and kept_password else None
        if created or password is None or not staff.check_password(password):
            password = password or secrets.token_urlsafe(12)
            staff.set_password(password)
            fields.append("password")
        if created:
            staff.save()
        elif fields:
            staff.save(update_fields=fields)
        return password

    def demo_keys(self, kept):
        """(admin key, client key, reused): the kept pair while both still work, else new ones.

        New keys take the names of the old ones, which are revoked first (names are
        unique among unrevoked keys).
        """
        admin_key, client_key = kept.get("adminKey"), kept.get("clientKey")
        if still_works(admin_key, is_admin=True) and still_works(client_key, is_admin=False):
            return admin_key, client_key, True
        for old in ApiKey.objects.filter(
            name__in=[ADMIN_KEY_NAME, CLIENT_KEY_NAME], revoked_at__isnull=True
        ):
            revoke_api_key(old)
        _, admin_key = create_api_key(ADMIN_KEY_NAME, is_admin=True)
        _, client_key = create_api_key(CLIENT_KEY_NAME)
        return admin_key, client_key, False
