from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from live.services.backups import BackupError, make_backup


class Command(BaseCommand):
    help = (
        "Back up the database (every row, any engine), the data folder (audit log, "
        "recordings, clips) and a note of where the signing key lives, into a new folder."
    )

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True, help="a new (or empty) folder")

    def handle(self, out, **options):
        try:
            manifest = make_backup(Path(out))
        except BackupError as error:
            raise CommandError(str(error)) from None
        rows = sum(manifest["rows"].values())
        files = manifest["data_files"]
        self.stdout.write(
            f"Backed up {rows} rows and {files['count']} files ({files['bytes']} bytes) "
            f"into {out}. The signing key is not in it: {manifest['signing_key']['where']}"
        )
