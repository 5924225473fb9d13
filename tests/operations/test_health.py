"""``GET /healthz``, worker heartbeats, ``manage.py status`` and the heartbeat gauges."""

import subprocess
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from live.models import WorkerHeartbeat
from live.services.heartbeats import Heartbeat
from tests.processes import (
    GUNICORN,
    PYTHON,
    Processes,
    app_env,
    free_tcp_port,
    request,
    tcp_open,
    wait_for,
)


def test_healthz_answers_200_when_database_and_cache_answer(client, db):
    answer = client.get("/healthz")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "database": "ok", "cache": "ok"}
    assert "no-cache" in answer["Cache-Control"]


def test_healthz_names_the_cache_when_it_does_not_answer(client, db):
    """Redis on a closed port: a real connection that is refused."""
    closed = free_tcp_port()
    redis = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": f"redis://127.0.0.1:{closed}/0",
    }
    with override_settings(CACHES={"default": redis}):
        answer = client.get("/healthz")
    assert answer.status_code == 503
    body = answer.json()
    assert body["error"] == "unhealthy"
    assert body["detail"]["failing"] == ["cache"] and body["detail"]["database"] == "ok"
    assert answer["Retry-After"] == "5"


@pytest.mark.django_db(transaction=True)
def test_healthz_names_the_database_when_it_does_not_answer(tmp_path, data_dir):
    """A real gunicorn whose PostgreSQL is not there (a closed port)."""
    closed, port = free_tcp_port(), free_tcp_port()
    env = app_env(
        data_dir,
        DATABASE_URL=f"postgres://teecam@127.0.0.1:{closed}/teecam",
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_WORKERS=1,
    )
    procs = Processes(tmp_path / "logs")
    try:
        web = procs.start(
            "gunicorn", [GUNICORN, "-c", "deploy/gunicorn.conf.py", "teecam.wsgi"], env
        )
        wait_for(lambda: web.poll() is not None or tcp_open(port), 30, "gunicorn")
        answer = request(port, "GET", "/healthz")
        assert answer.status == 503, answer.text
        assert answer.json()["detail"]["failing"] == ["database"]
        assert "127.0.0.1" not in answer.text  # what failed, not where
        status = subprocess.run(
            [PYTHON, "manage.py", "status"], env=env, cwd=settings.BASE_DIR,
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert status.returncode != 0 and "database" in status.stderr
    finally:
        procs.close()


def test_healthz_takes_no_key_and_only_get(client, db):
    assert client.post("/healthz").status_code == 405


def test_a_heartbeat_writes_once_per_interval(db, settings):
    settings.LIVE_HEARTBEAT_SECONDS = 60
    beat = Heartbeat("packager")
    assert beat.beat() is True
    assert beat.beat() is False  # not due yet: no write
    row = WorkerHeartbeat.objects.get(kind="packager")
    assert row.pid == beat.pid and row.host == beat.host


def test_status_lists_each_worker_and_fails_while_one_is_late(db, settings, capsys):
    settings.LIVE_HEARTBEAT_SECONDS = 5
    for kind in ("packager", "whip", "scheduler", "webhooks"):
        Heartbeat(kind).beat()
    call_command("status")
    out = capsys.readouterr().out
    assert out.count(" ok") >= 6  # database, cache and four workers

    WorkerHeartbeat.objects.filter(kind="whip").update(
        beat_at=timezone.now() - timedelta(minutes=5)
    )
    with pytest.raises(CommandError, match="whip"):
        call_command("status")
    assert "late" in capsys.readouterr().out


def test_metrics_and_admin_show_heartbeats(db, client, admin_user, settings):
    settings.LIVE_METRICS_TOKEN = "metrics-token-0123456789"
    Heartbeat("scheduler").beat()
    scrape = client.get("/metrics", HTTP_AUTHORIZATION="Bearer metrics-token-0123456789")
    text = scrape.content.decode()
    assert 'teecam_worker_last_heartbeat_seconds{host="' in text
    assert 'kind="scheduler"' in text
    client.force_login(admin_user)
    page = client.get("/admin/live/workerheartbeat/")
    assert page.status_code == 200 and b"scheduler" in page.content
