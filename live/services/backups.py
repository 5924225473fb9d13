"""Backups that restore: ``manage.py backup --out DIR`` and ``manage.py restore DIR``.

A backup is a folder: ``database.json`` (every row, as Django fixtures: any engine
restores any engine's dump), ``data/`` (a copy of the data folder: the audit log
``streams.jsonl``, recordings, clips, thumbnails) and ``manifest.json`` (written
last: a folder without it is an unfinished backup and is refused). The signing
key is not in it: the manifest says where it lives and holds a fingerprint of it,
so a restore on a server with another key is refused (every viewer link and signed
URL would stop working) unless asked for.

The rows are read in one transaction (a snapshot on PostgreSQL, and on SQLite in WAL
mode), so they agree with each other while the site runs, and writers do not wait.
"""

import hashlib
import hmac
import json
import shutil
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from live.services.audit import audit_log_path, flush_pending

FORMAT = 1
MANIFEST = "manifest.json"
DATABASE = "database.json"
DATA = "data"
# Recreated by `migrate` (and found again by natural key); a heartbeat is this
# host's, now.
EXCLUDED_MODELS = ("contenttypes", "auth.permission", "live.workerheartbeat")
KEY_PLACE = (
    "LIVE_VIEWER_SIGN_KEY, in the services' environment file (/etc/teecam/teecam.env in "
    "docs/operations.md). Not in this backup: keep a copy of it apart from the backups."
)


class BackupError(Exception):
    """A backup that cannot be made or restored; nothing was changed."""


def key_fingerprint():
    """Names the signing key without giving it away."""
    key = settings.LIVE_VIEWER_SIGN_KEY.encode()
    return hmac.new(key, b"teecam backup key fingerprint", hashlib.sha256).hexdigest()[:16]


def _sha256(path: Path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _dump(path: Path):
    """Every row, read in one transaction: a snapshot that writers do not wait on."""
    if connection.vendor == "sqlite" and connection.get_autocommit():
        # A deferred read transaction sees one snapshot (WAL) and leaves the write lock
        # alone; atomic() would BEGIN IMMEDIATE (settings.py) and hold it for the dump.
        with connection.cursor() as cursor:
            cursor.execute("BEGIN DEFERRED")
        try:
            _dumpdata(path)
        finally:
            with connection.cursor() as cursor:
                cursor.execute("ROLLBACK")  # it wrote nothing
        return
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        _dumpdata(path)


def _dumpdata(path):
    call_command(
        "dumpdata",
        exclude=list(EXCLUDED_MODELS),
        natural_foreign=True,
        output=str(path),
        verbosity=0,
    )


def _row_counts(path: Path):
    counts = {}
    for row in json.loads(path.read_text()):
        counts[row["model"]] = counts.get(row["model"], 0) + 1
    return dict(sorted(counts.items()))


def _files(folder: Path):
    found = [path for path in folder.rglob("*") if path.is_file()]
    return {"count": len(found), "bytes": sum(path.stat().st_size for path in found)}


def make_backup(out: Path) -> dict:
    """Writes a backup into ``out`` (new or empty); returns its manifest."""
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise BackupError(f"--out {out}: not an empty folder; a backup goes into a new one")
    out.mkdir(parents=True, exist_ok=True)
    # Pending audit lines go to streams.jsonl first, so the copy below holds them.
    flush_pending()
    _dump(out / DATABASE)
    data_dir = Path(settings.LIVE_STREAM_DATA_DIR)
    if data_dir.is_dir():
        # symlinks=True: a link is copied as a link, never followed out of the folder.
        shutil.copytree(data_dir, out / DATA, symlinks=True)
    else:
        (out / DATA).mkdir()
    audit = out / DATA / audit_log_path().relative_to(data_dir)
    manifest = {
        "format": FORMAT,
        "made_at": timezone.now().isoformat(),
        "engine": connection.vendor,
        "rows": _row_counts(out / DATABASE),
        "database_sha256": _sha256(out / DATABASE),
        "data_files": _files(out / DATA),
        "audit_log": {
            "path": str(audit.relative_to(out)),
            "sha256": _sha256(audit) if audit.exists() else None,
        },
        "signing_key": {"where": KEY_PLACE, "fingerprint": key_fingerprint()},
    }
    # Last: its presence says the backup is whole.
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def read_manifest(source: Path) -> dict:
    try:
        manifest = json.loads((Path(source) / MANIFEST).read_text())
    except (OSError, ValueError):
        raise BackupError(f"{source}: no readable {MANIFEST} (an unfinished backup?)") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{source}: backup format {manifest.get('format')!r}, not {FORMAT}")
    if _sha256(Path(source) / DATABASE) != manifest.get("database_sha256"):
        raise BackupError(f"{source}/{DATABASE} does not match its manifest (damaged?)")
    return manifest


def _holds_rows():
    """Models with rows in this database (a fresh one, just migrated, has none)."""
    excluded = {label.lower() for label in EXCLUDED_MODELS}
    found = []
    for model in apps.get_models():
        label = model._meta.label_lower
        if label in excluded or model._meta.app_label in excluded:
            continue
        if model._meta.managed and not model._meta.proxy and model.objects.exists():
            found.append(label)
    return found


def restore_backup(source: Path, allow_other_key=False) -> dict:
    """Restores a backup into this (fresh) database and (empty) data folder."""
    source = Path(source)
    manifest = read_manifest(source)
    if manifest["signing_key"]["fingerprint"] != key_fingerprint() and not allow_other_key:
        raise BackupError(
            "this server's LIVE_VIEWER_SIGN_KEY is not the one the backup was made with: "
            "viewer links and signed URLs from before would stop working. Set the old key "
            "(see the manifest's signing_key), or pass --allow-other-key"
        )
    data_dir = Path(settings.LIVE_STREAM_DATA_DIR)
    if data_dir.exists() and any(data_dir.iterdir()):
        raise BackupError(f"LIVE_STREAM_DATA_DIR {data_dir} is not empty: restore into a new one")
    call_command("migrate", interactive=False, verbosity=0)
    busy = _holds_rows()
    if busy:
        raise BackupError(
            "the database is not fresh (rows in " + ", ".join(busy[:5]) + "): restore into "
            "a new, empty database"
        )
    shutil.copytree(source / DATA, data_dir, symlinks=True, dirs_exist_ok=True)
    try:
        call_command("loaddata", str(source / DATABASE), verbosity=0)  # one transaction
    except Exception:
        # The rows went back (loaddata's transaction): take the files back too.
        shutil.rmtree(data_dir, ignore_errors=True)
        raise
    return manifest
