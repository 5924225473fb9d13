"""The units' commands, run in the sandbox their units describe, as near as a test can
come without systemd as PID 1 (a container's PID 1 is not systemd, so no unit can be
started here): a mount namespace where the whole file system is read-only but the
unit's ReadWritePaths (ProtectSystem=strict) and a temporary folder of its own
(PrivateTmp=yes), no capabilities (CapabilityBoundingSet=)
and no_new_privs (NoNewPrivileges=yes). Each process must come up, do its work (a
heartbeat written, /healthz answered) and stop cleanly on SIGTERM, writing nothing
anywhere else."""

import os
import shlex
import shutil
import subprocess

import pytest
from django.core.management import call_command

from live.models import WorkerHeartbeat
from tests.processes import (
    Processes,
    app_env,
    free_tcp_port,
    postgres_only,
    request,
    tcp_open,
    wait_for,
)

UNSHARE, SETPRIV = shutil.which("unshare"), shutil.which("setpriv")
SANDBOX = r"""
set -e
for dir in $TEECAM_WRITABLE; do mount --bind "$dir" "$dir"; done
mount -o remount,bind,ro /
exec setpriv --no-new-privs --bounding-set=-all --inh-caps=-all "$@"
"""
WORKERS = {
    "teecam-packager.service": "packager",
    "teecam-whip.service": "whip",
    "teecam-scheduler.service": "scheduler",
    "teecam-webhooks.service": "webhooks",
}

pytestmark = [
    pytest.mark.django_db(transaction=True),
    # Production's database (the webhook worker then has no file to write); once in CI.
    postgres_only("the production database: PostgreSQL; one run is enough"),
    pytest.mark.skipif(
        not (UNSHARE and SETPRIV and os.geteuid() == 0),
        reason="needs root for a mount namespace (unshare) and setpriv",
    ),
]


def _directive(text, name):
    lines = [line.split("=", 1)[1] for line in text.splitlines() if line.startswith(name + "=")]
    return lines[-1] if lines else ""


def _can_sandbox():
    probe = subprocess.run(
        [UNSHARE, "--mount", "--propagation", "private", "sh", "-c", SANDBOX, "x", "true"],
        env={"TEECAM_WRITABLE": "", "PATH": os.environ["PATH"]}, capture_output=True,
    )  # fmt: skip
    return probe.returncode == 0


def test_each_process_runs_in_its_units_sandbox(tmp_path, data_dir, settings):
    if not _can_sandbox():
        pytest.skip("this machine allows no mount namespace")
    units = tmp_path / "units"
    call_command("renderunits", "--out", str(units), stdout=open(os.devnull, "w"))
    data_dir.mkdir(parents=True, exist_ok=True)
    metrics = tmp_path / "run-teecam-web"  # the unit's RuntimeDirectory=
    metrics.mkdir()
    # PrivateTmp=yes: a writable temporary folder of the unit's own (gunicorn's workers
    # keep a file there). The test's folders are under /tmp, so TMPDIR points at it.
    private_tmp = tmp_path / "private-tmp"
    private_tmp.mkdir()
    port = free_tcp_port()
    procs = Processes(tmp_path / "logs")
    started = {}
    try:
        for unit in [*WORKERS, "teecam-web.service"]:
            text = (units / unit).read_text()
            writable = f"{_directive(text, 'ReadWritePaths')} {private_tmp}"
            if unit == "teecam-web.service":
                writable += f" {metrics}"
            env = app_env(
                data_dir,
                TEECAM_WRITABLE=writable,
                TMPDIR=str(private_tmp),
                PROMETHEUS_MULTIPROC_DIR=str(metrics),
                GUNICORN_BIND=f"127.0.0.1:{port}",
                GUNICORN_WORKERS=1,
                LIVE_WHIP_LISTEN=f"127.0.0.1:{free_tcp_port()}",
            )
            command = shlex.split(_directive(text, "ExecStart"))
            sandboxed = [UNSHARE, "--mount", "--propagation", "private", "sh", "-c", SANDBOX,
                         "sandbox", *command]  # fmt: skip
            started[unit] = procs.start(unit, sandboxed, env=env)
        for unit, kind in WORKERS.items():
            wait_for(
                lambda: started[unit].poll() is not None
                or WorkerHeartbeat.objects.filter(kind=kind).exists(),
                60,
                f"{unit}'s heartbeat",
            )
            assert started[unit].poll() is None, procs.log_of(started[unit])
        wait_for(lambda: tcp_open(port), 60, "gunicorn in its sandbox")
        assert request(port, "GET", "/healthz").status == 200
        for unit, process in started.items():
            process.terminate()
            assert process.wait(timeout=40) == 0, procs.log_of(process)
            log = procs.log_of(process)
            assert "Read-only file system" not in log and "Traceback" not in log, log
    finally:
        procs.close()
