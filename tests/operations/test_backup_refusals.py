"""What ``restore`` refuses (and ``backup``): each leaves everything as it was."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from live.models import Event
from live.services.backups import DATABASE, MANIFEST

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def backup(event, tmp_path):
    out = tmp_path / "backup"
    call_command("backup", "--out", str(out), stdout=io.StringIO())
    return out


def _restore(source, *args):
    call_command("restore", str(source), *args, stdout=io.StringIO())


def test_a_backup_goes_into_a_new_folder(backup, tmp_path):
    with pytest.raises(CommandError, match="not an empty folder"):
        call_command("backup", "--out", str(backup))
    manifest = json.loads((backup / MANIFEST).read_text())
    assert manifest["rows"]["live.event"] == 1 and manifest["rows"]["live.camera"] == 1


def test_restore_refuses_a_database_that_is_not_fresh(backup, data_dir, settings, tmp_path):
    settings.LIVE_STREAM_DATA_DIR = tmp_path / "empty"
    with pytest.raises(CommandError, match="not fresh"):
        _restore(backup)
    assert list(Event.objects.values_list("pk", flat=True)) == ["open-2026"]
    assert not (tmp_path / "empty").exists() or not any((tmp_path / "empty").iterdir())


def test_restore_refuses_an_unfinished_or_damaged_backup(backup):
    text = (backup / DATABASE).read_text()
    (backup / DATABASE).write_text(text.replace("open-2026", "open-2027"))
    with pytest.raises(CommandError, match="does not match its manifest"):
        _restore(backup)
    (backup / MANIFEST).unlink()
    with pytest.raises(CommandError, match="unfinished backup"):
        _restore(backup)


def test_restore_refuses_another_signing_key(backup, settings):
    settings.LIVE_VIEWER_SIGN_KEY = "another-key-0123456789abcdef0123456789abcdef"
    with pytest.raises(CommandError, match="LIVE_VIEWER_SIGN_KEY"):
        _restore(backup)
