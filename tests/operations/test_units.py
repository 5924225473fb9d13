"""``manage.py renderunits``: the systemd units for this install, checked by systemd's
own analyzer (``systemd-analyze verify`` and ``security --offline``), as CI runs it."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from live.services.systemd_units import UNITS

ANALYZE = shutil.which("systemd-analyze")
SERVICES = [name for name in UNITS if name.endswith(".service")]
# Exposure (0 safe … 10 open) systemd-analyze gives each service here; nginx's master
# runs as root to bind 80/443, so it gets a higher bar than the others.
MAX_EXPOSURE = {"teecam-nginx.service": 3.5}
DEFAULT_MAX_EXPOSURE = 2.5


@pytest.fixture
def units(tmp_path):
    out = tmp_path / "units"
    call_command("renderunits", "--out", str(out), stdout=open("/dev/null", "w"))
    return out


def _verify(paths):
    return subprocess.run(
        [ANALYZE, "verify", "--man=no", *map(str, paths)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip


@pytest.mark.skipif(ANALYZE is None, reason="scripts/setup.sh installs systemd")
def test_systemd_analyze_verify_finds_nothing_to_say_about_the_units(units):
    result = _verify(sorted(units.iterdir()))
    assert result.returncode == 0 and result.stderr == "", result.stderr


@pytest.mark.skipif(ANALYZE is None, reason="scripts/setup.sh installs systemd")
def test_the_verify_check_catches_a_broken_unit(units):
    """The check above can fail: a misspelt value and a missing program are reported."""
    unit = units / "teecam-scheduler.service"
    unit.write_text(unit.read_text().replace("ProtectSystem=strict", "ProtectSystem=stric"))
    assert "protect system value" in _verify([unit]).stderr
    unit.write_text(re.sub(r"ExecStart=\S+", "ExecStart=/nonexistent/python", unit.read_text()))
    assert _verify([unit]).returncode != 0


@pytest.mark.skipif(ANALYZE is None, reason="scripts/setup.sh installs systemd")
@pytest.mark.parametrize("name", SERVICES)
def test_each_service_is_sandboxed(units, name):
    limit = MAX_EXPOSURE.get(name, DEFAULT_MAX_EXPOSURE)
    result = subprocess.run(
        [ANALYZE, "security", "--offline=true", f"--threshold={limit * 10:.0f}",
         "--no-pager", str(units / name)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr


def test_every_service_restarts_reads_the_env_file_and_is_hardened(units):
    for name in SERVICES:
        text = (units / name).read_text()
        assert "PartOf=teecam.target" in text, name
        assert "Restart=on-failure" in text, name
        assert "EnvironmentFile=/etc/teecam/teecam.env" in text or name == "teecam-nginx.service"
        for line in ("NoNewPrivileges=yes", "ProtectSystem=strict", "PrivateTmp=yes",
                     "ProtectHome=yes", "ProtectProc=invisible"):  # fmt: skip
            assert line in text, (name, line)
        assert "User=root" not in text, name
    data = str(Path(settings.LIVE_STREAM_DATA_DIR).resolve())
    for name in ("teecam-web.service", "teecam-packager.service", "teecam-whip.service"):
        assert re.search(rf"^ReadWritePaths=.*{re.escape(data)}", (units / name).read_text(), re.M)
    webhooks = (units / "teecam-webhooks.service").read_text()
    if connection.vendor == "sqlite":  # a file the services' user owns
        assert "DynamicUser" not in webhooks and "User=teecam" in webhooks
    else:
        assert "DynamicUser=yes" in webhooks and not re.search("^User=", webhooks, re.M)
    target = (units / "teecam.target").read_text()
    for name in UNITS[1:]:
        assert name in target, name


def test_the_units_name_this_installs_paths(units):
    web = (units / "teecam-web.service").read_text()
    assert f"WorkingDirectory={Path(settings.BASE_DIR).resolve()}" in web
    base = Path(settings.BASE_DIR).resolve()
    gunicorn = Path(sys.executable).parent / "gunicorn"
    assert f"ExecStart={gunicorn} -c {base}/deploy/gunicorn.conf.py teecam.wsgi" in web
    packager = (units / "teecam-packager.service").read_text()
    assert f"ExecStart={sys.executable} {base}/manage.py livepackager" in packager
    assert "ListenStream=127.0.0.1:8000" in (units / "teecam-web.socket").read_text()


@pytest.mark.parametrize(
    "argument, value",
    [
        ("--user", "root"),
        ("--user", "te cam"),
        ("--env-file", "etc/teecam.env"),
        ("--env-file", "/etc/teecam/my env"),
        ("--nginx-config", "/etc/%n.conf"),
        ("--web-listen", "127.0.0.1:8000;x"),
    ],
)
def test_values_that_would_change_a_unit_are_refused(tmp_path, argument, value):
    with pytest.raises(CommandError, match=argument):
        call_command("renderunits", "--out", str(tmp_path / "units"), argument, value)
    assert not (tmp_path / "units").exists()


def test_an_install_under_home_is_refused(tmp_path, settings):
    settings.LIVE_STREAM_DATA_DIR = "/home/club/teecam/data/live"
    with pytest.raises(CommandError, match="ProtectHome"):
        call_command("renderunits", "--out", str(tmp_path / "units"))
