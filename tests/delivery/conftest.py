"""Real nginx with the rendered config in front of pytest-django's live server.

Django is the live server (a thread in this process, on the test database);
nginx is a subprocess on a free loopback port, rendered by the same code as
`manage.py rendernginx` and killed at teardown, before the database is flushed.
"""

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.test import override_settings

from live.services.apikeys import create_api_key
from live.services.nginx_config import NginxOptions, write_nginx_config
from tests.browser.conftest import browser, new_context  # noqa: F401  (shared fixtures)
from tests.processes import NGINX, Api, Processes, free_tcp_port, tcp_open, wait_for


@pytest.fixture(scope="session")
def static_root(tmp_path_factory):
    """collectstatic into a temporary folder, once per run: what nginx serves as /static/."""
    folder = tmp_path_factory.mktemp("staticfiles")
    with override_settings(STATIC_ROOT=str(folder)):
        call_command("collectstatic", interactive=False, verbosity=0)
    return folder


@pytest.fixture
def procs(transactional_db, tmp_path):
    """Starts processes; stops them at teardown, before the test database is flushed."""
    registry = Processes(tmp_path / "logs")
    yield registry
    registry.close()


@dataclass
class Nginx:
    port: int
    config: Path
    prefix: Path
    app_port: int  # the live server's, for asking Django directly
    process: object = None  # the Popen, for tests that stop one

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"


def live_server_port(live_server):
    return urlsplit(live_server.url).port


@pytest.fixture
def start_nginx(procs, live_server, static_root, tmp_path, data_dir):
    """start_nginx(**NginxOptions fields) -> Nginx, on a free port before the live server."""
    if not shutil.which(NGINX):
        pytest.fail(f"{NGINX} is missing: scripts/setup.sh --media installs it")
    app_port = live_server_port(live_server)
    started = []

    def start(**options):
        port = free_tcp_port()
        prefix = tmp_path / f"nginx-{len(started)}"
        config = write_nginx_config(
            NginxOptions(
                **{
                    "listen": f"127.0.0.1:{port}",
                    "upstream": f"127.0.0.1:{app_port}",
                    "prefix": str(prefix),
                    "static_root": str(static_root),
                    "rtmp": False,
                    "workers": "1",
                    **options,
                }
            ),
            prefix / "nginx.conf",
        )
        process = procs.start(
            "nginx",
            [NGINX, "-c", str(config), "-p", str(prefix), "-e", str(prefix / "error.log"),
             "-g", "daemon off;"],
        )  # fmt: skip
        wait_for(lambda: process.poll() is not None or tcp_open(port), 10, "nginx to listen")
        assert process.poll() is None, procs.log_of(process) + _read(prefix / "error.log")
        started.append(port)
        return Nginx(port, config, prefix, app_port, process)

    return start


@pytest.fixture
def nginx(start_nginx):
    """nginx with the rendered config's defaults (role all, the poll cache on), no RTMP."""
    return start_nginx()


def _read(path):
    return Path(path).read_text(errors="replace") if os.path.exists(path) else ""


@pytest.fixture
def admin_key_raw(transactional_db):
    return create_api_key("delivery-ops", is_admin=True)[1]


@pytest.fixture
def api(nginx, admin_key_raw):
    """The JSON API through nginx."""
    return Api(nginx.port, admin_key_raw)
