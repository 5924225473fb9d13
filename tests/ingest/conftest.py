"""Fixtures that run the real ingest chain: nginx-rtmp, the packager, cameras.

Django is pytest-django's live server (a thread in this process, on the test
database); nginx and the packager are subprocesses pointed at it. Each test gets
its own data dir (tests/conftest.py), nginx prefix, ports and processes, and every
process is killed at teardown, before the test database is flushed.
"""

import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings

from live.services.nginx_config import NginxOptions, write_nginx_config
from tests.browser.conftest import browser, fast_polling, new_context  # noqa: F401  (shared)
from tests.processes import (
    Api,
    NGINX,
    PYTHON,
    Processes,
    database_url,
    free_tcp_port,
    tcp_open,
    wait_for,
)
from tests.ingest.support import (
    RTMP_MODULE,
    ReconnectingCamera,
    camera_command,
    free_udp_ports,
    kill_marked,
)


@pytest.fixture
def run_id():
    """Marks this test's processes (inherited by the packager's ffmpegs)."""
    return uuid.uuid4().hex


@pytest.fixture
def procs(transactional_db, tmp_path, run_id, request):
    """Starts processes and kills them at teardown (before the database flush)."""
    registry = Processes(tmp_path / "logs")
    yield registry
    registry.close()
    kill_marked(run_id)
    report = getattr(request.node, "rep_call", None)
    if (report is not None and report.failed) or os.environ.get("INGEST_SHOW_LOGS"):
        print(registry.logs())  # pytest shows it with the failure (or with -s)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(autouse=True)
def private_targets_allowed(settings):
    """Simulcast targets here are nginx-rtmp on 127.0.0.1, which production refuses."""
    settings.LIVE_EGRESS_ALLOW_PRIVATE = True


@pytest.fixture
def srt_ports(settings):
    ports = free_udp_ports(4)
    settings.LIVE_SRT_PORTS = f"{ports[0]}-{ports[-1]}"
    return ports


@pytest.fixture
def api(live_server, admin_key):
    return Api(urlsplit(live_server.url).port, admin_key, timeout=20)


def _live_server_address(live_server):
    return f"127.0.0.1:{urlsplit(live_server.url).port}"


@pytest.fixture
def packager_env(live_server, data_dir, srt_ports, run_id):
    return {
        **os.environ,
        "DATABASE_URL": database_url(),
        "LIVE_STREAM_DATA_DIR": str(data_dir),
        "LIVE_SRT_PORTS": settings.LIVE_SRT_PORTS,
        "LIVE_VIEWER_SIGN_KEY": settings.LIVE_VIEWER_SIGN_KEY,
        "LIVE_SEGMENT_SECONDS": str(settings.LIVE_SEGMENT_SECONDS),
        "LIVE_RECONNECT_WINDOW_SECONDS": str(settings.LIVE_RECONNECT_WINDOW_SECONDS),
        "LIVE_TELEMETRY_LEVEL": "WARNING",
        "LIVE_EGRESS_ALLOW_PRIVATE": "1",
        "PYTHONUNBUFFERED": "1",
        "TEECAM_TEST_RUN": run_id,
    }


@pytest.fixture
def start_packager(procs, packager_env):
    """start_packager(lease_seconds=None) -> Popen of `manage.py livepackager --poll 0.25`."""

    def start(lease_seconds=None, name="packager"):
        command = [PYTHON, "manage.py", "livepackager", "--poll", "0.25"]
        if lease_seconds is not None:
            command += ["--lease-seconds", str(lease_seconds)]
        return procs.start(name, command, env=packager_env)

    return start


@dataclass
class Nginx:
    http_port: int
    rtmp_port: int
    config: Path
    prefix: Path

    @property
    def url(self):
        return f"http://127.0.0.1:{self.http_port}"


@pytest.fixture
def nginx(procs, live_server, tmp_path, settings):
    """nginx with the rendered config (signed /hls/, RTMP ingest) on free loopback ports."""
    if not (shutil.which(NGINX) and Path(RTMP_MODULE).exists()):
        pytest.fail("nginx with libnginx-mod-rtmp is missing: scripts/setup.sh --media")
    http_port, rtmp_port = free_tcp_port(), free_tcp_port()
    while rtmp_port == http_port:
        rtmp_port = free_tcp_port()
    settings.LIVE_RTMP_PORT = rtmp_port  # what ingest.publishUrl names
    prefix = tmp_path / "nginx"
    options = NginxOptions(
        listen=f"127.0.0.1:{http_port}",
        upstream=_live_server_address(live_server),
        prefix=str(prefix),
        rtmp_listen=f"127.0.0.1:{rtmp_port}",
        workers="1",
    )
    config = write_nginx_config(options, prefix / "nginx.conf")
    process = procs.start(
        "nginx", [NGINX, "-c", str(config), "-p", str(prefix), "-g", "daemon off;"]
    )
    wait_for(
        lambda: process.poll() is not None or (tcp_open(http_port) and tcp_open(rtmp_port)),
        10,
        "nginx to listen",
    )
    assert process.poll() is None, procs.log_of(process)
    return Nginx(http_port, rtmp_port, config, prefix)


def udp_bound(port):
    """A UDP socket is bound to ``port`` on this host (/proc/net/udp and udp6)."""
    wanted = f":{port:04X}"
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        if any(row.split()[1].endswith(wanted) for row in rows if len(row.split()) > 1):
            return True
    return False


@pytest.fixture
def camera(procs):
    """camera(url, muxer, **options) -> Popen of an ffmpeg camera simulator.

    camera(..., reconnect=True) -> a ReconnectingCamera, which starts the camera
    again whenever it exits, as hardware encoders and OBS do.
    """
    reconnecting = []

    def start(url, muxer, name="camera", reconnect=False, **options):
        command = camera_command(url, muxer, **options)
        if url.startswith("srt://") and not reconnect:
            # An SRT caller gives up at once if nobody listens yet: on a busy box the
            # packager's listener may come up after the test asks for the camera.
            port = int(urlsplit(url).port)
            wait_for(lambda: udp_bound(port), 20, f"the SRT listener on {port}")
        if reconnect:
            reconnecting.append(ReconnectingCamera(procs, name, command))
            return reconnecting[-1]
        return procs.start(name, command)

    yield start
    for each in reconnecting:
        each.stop()
