"""``manage.py backup`` and ``manage.py restore``, as real commands, on a site with a live
broadcast, a recording (real HLS from ffmpeg), a clip (cut by the clip cutter), an
API key, a webhook and a viewer link. The restore goes into a fresh database (of the
same engine as this run's) and an empty data folder; a real gunicorn on the restored
site then plays the replay through the old link and takes the old keys."""

import hashlib
import json
import re
import subprocess
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from live.models import Clip, ClipState, Recording, RecordingState
from live.services.apikeys import create_api_key
from live.services.audit import audit_log_path
from live.services.cameras import default_camera
from live.services.clips import create_clip, pieces_of
from live.services.ingest_hook import hook_query
from live.services.lifecycle import start_broadcast, stop_broadcast
from live.services.paths import output_dir_for
from live.services.backups import DATABASE, EXCLUDED_MODELS, MANIFEST
from live.services.viewer_links import mint_viewer_link
from live.services.webhooks import create_endpoint
from live.workers.clip_cutter import cut_pending_clips
from tests.processes import (
    GUNICORN,
    PYTHON,
    Processes,
    app_env,
    database_url,
    free_tcp_port,
    request,
    tcp_open,
    wait_for,
)

pytestmark = pytest.mark.django_db(transaction=True)


def _record_hls(folder, seconds=4):
    """What the packager's ffmpeg leaves in a broadcast's folder: 1 s segments, a playlist."""
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-re", "-f", "lavfi",
         "-i", "testsrc2=size=320x180:rate=25", "-f", "lavfi", "-i", "sine=frequency=440",
         "-t", str(seconds), "-c:v", "libx264", "-preset", "ultrafast", "-g", "25",
         "-c:a", "aac", "-f", "hls", "-hls_time", "1", "-hls_list_size", "0",
         "-hls_segment_filename", str(folder / "s%d.ts"), str(folder / "index.m3u8")],
        check=True, timeout=60,
    )  # fmt: skip


@pytest.fixture
def fresh_database(tmp_path):
    """A DATABASE_URL of a new, empty database of this run's engine; dropped after."""
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    name = f"{connection.settings_dict['NAME']}_restored"[:60]
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    yield database_url().rsplit("/", 1)[0] + "/" + quote(name)
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def procs(tmp_path):
    registry = Processes(tmp_path / "logs")
    yield registry
    registry.close()


def _run(command, env):
    result = subprocess.run(
        [PYTHON, "manage.py", *command], env=env, cwd=settings.BASE_DIR,
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


# dumpdata writes times to the millisecond, so a time whose microseconds are under 1,000
# is "…34.000Z" in the backup and, restored as exactly 34 s, "…34Z" after: the same time.
_WHOLE_SECOND = re.compile(r'(\d\d:\d\d:\d\d)\.000(?=Z|[+-]\d\d:\d\d|")')


def _rows(text):
    text = _WHOLE_SECOND.sub(r"\1", text)
    return sorted(json.dumps(row, sort_keys=True) for row in json.loads(text))


def _tree(folder):
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(Path(folder).rglob("*"))
        if path.is_file()
    }


def test_a_backup_restores_into_a_fresh_database_and_data_folder_and_nothing_changed(
    event, other_event, data_dir, tmp_path, settings, fresh_database, procs
):
    settings.LIVE_WEBHOOK_ALLOW_PRIVATE = True
    # A recorded broadcast with real segments, a clip cut from it, a link to it.
    camera = default_camera(event.pk)
    recorded, _ = start_broadcast(camera, "rtmp", "staff:marshal")
    link_token, _, _ = mint_viewer_link(recorded, 3600, "staff:marshal")
    _record_hls(output_dir_for(recorded))
    stop_broadcast(event, "staff:marshal")
    recording = Recording.objects.get(broadcast=recorded)
    assert recording.state == RecordingState.READY, recording.problem
    start = max(pieces_of(recording)[0].start, recording.started_at) + timedelta(seconds=0.5)
    clip, _ = create_clip(camera, start, 1, "staff:marshal")
    assert cut_pending_clips() == 1
    assert Clip.objects.get(pk=clip.pk).state == ClipState.READY
    # An API key, a webhook, and a broadcast live while the backup is made.
    _, api_key = create_api_key("website", events=[event.pk])
    create_endpoint("http://127.0.0.1:9/hooks/teecam")
    live_camera = default_camera(other_event.pk)
    live, _ = start_broadcast(live_camera, "rtmp", "staff:starter")

    backup = tmp_path / "backup"
    _run(["backup", "--out", str(backup)], app_env(data_dir))
    manifest = json.loads((backup / MANIFEST).read_text())
    assert settings.LIVE_VIEWER_SIGN_KEY not in (backup / MANIFEST).read_text()
    assert "LIVE_VIEWER_SIGN_KEY" in manifest["signing_key"]["where"]
    original_rows = (backup / DATABASE).read_text()

    restored_dir = tmp_path / "restored-data"
    restored_env = app_env(restored_dir, DATABASE_URL=fresh_database)
    _run(["restore", str(backup)], restored_env)

    # Nothing else changed: every row, every file, the audit log byte for byte.
    dumped = _run(
        ["dumpdata", "--natural-foreign", *[f"--exclude={label}" for label in EXCLUDED_MODELS]],
        restored_env,
    )
    assert _rows(dumped) == _rows(original_rows)
    call_command("dumpdata", "--natural-foreign", *[f"--exclude={m}" for m in EXCLUDED_MODELS],
                 output=str(tmp_path / "now.json"), verbosity=0)  # fmt: skip
    assert _rows((tmp_path / "now.json").read_text()) == _rows(original_rows)
    assert _tree(restored_dir) == _tree(data_dir)
    restored_audit = restored_dir / audit_log_path().relative_to(data_dir)
    assert restored_audit.read_bytes() == audit_log_path().read_bytes()
    assert len(restored_audit.read_text().splitlines()) == 3  # start, stop, start

    # A second restore over it is refused and changes nothing.
    again = subprocess.run(
        [PYTHON, "manage.py", "restore", str(backup)], env=restored_env,
        cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert again.returncode != 0 and "not empty" in again.stderr

    # The restored site, served by gunicorn: the old link plays the replay, the old
    # API key and the camera's stream key work.
    port = free_tcp_port()
    web = procs.start(
        "gunicorn",
        [GUNICORN, "-c", "deploy/gunicorn.conf.py", "teecam.wsgi"],
        env={**restored_env, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": "1"},
    )
    wait_for(lambda: web.poll() is not None or tcp_open(port), 30, "gunicorn on the restore")
    assert web.poll() is None, procs.log_of(web)
    key = {"X-API-Key": api_key}
    status = request(port, "GET", f"/events/{event.pk}/live/status?token={link_token}", key)
    assert status.status == 200, status.text
    replay_path = status.json()["replayPath"]
    replay = request(port, "GET", replay_path)
    assert replay.status == 200 and "#EXT-X-ENDLIST" in replay.text
    first = next(line for line in replay.text.splitlines() if line and line[0] != "#")
    segment = request(port, "GET", replay_path.rsplit("/", 1)[0] + "/" + first)
    assert segment.status == 200 and segment.body[:1] == b"G"
    found = request(port, "GET", f"/events/{event.pk}/clips/{clip.pk}", key)
    assert found.status == 200, found.text
    clip_file = request(port, "GET", found.json()["url"])
    assert clip_file.status == 200 and len(clip_file.body) > 1000
    assert (
        request(port, "GET", f"/events/{event.pk}/live/status", {"X-API-Key": "tc_x"}).status
        == 401
    )

    hook = f"/ingest/rtmp/publish{hook_query()}"
    form = {"call": "publish", "app": "live", "name": live_camera.ingest_name, "addr": "127.0.0.1"}
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    admitted = request(
        port, "POST", hook, headers, urlencode({**form, "key": live_camera.stream_key}).encode()
    )
    # The answer renames the feed to the stream, with the relay's secret for the hls application.
    assert admitted.status == 302
    assert admitted.headers["location"].split("?")[0] == live.stream_name
    refused = request(port, "POST", hook, headers, urlencode({**form, "key": "wrong"}).encode())
    assert refused.status == 403
