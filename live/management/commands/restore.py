from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from live.services.backups import BackupError, restore_backup


class Command(BaseCommand):
    help = (
        "Restore a backup (manage.py backup) into this install's fresh database and "
        "empty data folder. Stop the services first."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", help="the backup's folder")
        parser.add_argument(
            "--allow-other-key",
            action="store_true",
            help="restore although LIVE_VIEWER_SIGN_KEY differs (old viewer links stop working)",
        )

    def handle(self, source, allow_other_key, **options):
        try:
            manifest = restore_backup(Path(source), allow_other_key=allow_other_key)
        except BackupError as error:
            raise CommandError(str(error)) from None
        rows = sum(manifest["rows"].values())
        self.stdout.write(
            f"Restored {rows} rows and {manifest['data_files']['count']} files "
            f"from the backup made {manifest['made_at']}."
        )
