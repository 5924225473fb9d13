from django.core.management.base import BaseCommand, CommandError

from live.services.recordings import purge_recordings
from live.services.storage import StorageUnavailable


class Command(BaseCommand):
    help = (
        "Delete the files (on disk and in object storage) of finished recordings that "
        "stopped more than DAYS days ago."
    )

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=float, required=True, metavar="DAYS")

    def handle(self, *args, older_than, **options):
        if older_than < 0:
            raise CommandError("--older-than must be 0 or more days")
        try:
            purged = purge_recordings(older_than)
        except StorageUnavailable as exc:
            # Each recording leaves the bucket before it is marked deleted: run it again.
            raise CommandError(f"recordings storage did not answer ({exc}); run it again")
        freed = sum(recording.bytes for recording in purged)
        self.stdout.write(f"purged {len(purged)} recordings ({freed} bytes)")
