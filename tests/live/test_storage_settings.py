"""The object-storage settings: a wrong or missing one stops a process at start-up with
one line naming it (and never the credentials' values); local disk needs nothing."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from teecam.storage_env import RecordingsStorage, recordings_storage

REPO = Path(__file__).resolve().parents[2]
GOOD = {
    "LIVE_RECORDINGS_STORAGE": "s3",
    "LIVE_S3_BUCKET": "teecam-recordings",
    "LIVE_S3_ENDPOINT_URL": "http://127.0.0.1:9000",
    "AWS_ACCESS_KEY_ID": "an-access-key-id",
    "AWS_SECRET_ACCESS_KEY": "a-very-secret-access-key",
}


def test_local_disk_is_the_default_and_needs_nothing():
    assert recordings_storage({}) == (RecordingsStorage(), None)
    assert recordings_storage({"LIVE_RECORDINGS_STORAGE": "local"})[0].kind == "local"


def test_s3_with_its_settings_and_their_defaults():
    storage, problem = recordings_storage(GOOD)
    assert problem is None
    assert storage == RecordingsStorage(
        "s3", "teecam-recordings", "recordings", "http://127.0.0.1:9000", "us-east-1"
    )
    aws = {**GOOD, "LIVE_S3_ENDPOINT_URL": "", "LIVE_S3_PREFIX": "/club/teecam/"}
    storage, _ = recordings_storage({**aws, "LIVE_S3_REGION": "eu-central-1"})
    assert (storage.endpoint_url, storage.prefix, storage.region) == (
        "",
        "club/teecam",
        "eu-central-1",
    )


@pytest.mark.parametrize(
    "change, named",
    [
        ({"LIVE_RECORDINGS_STORAGE": "ftp"}, "LIVE_RECORDINGS_STORAGE"),
        ({"LIVE_S3_BUCKET": ""}, "LIVE_S3_BUCKET"),
        ({"LIVE_S3_BUCKET": "Has_Capitals"}, "LIVE_S3_BUCKET"),
        ({"LIVE_S3_PREFIX": "a/../b"}, "LIVE_S3_PREFIX"),
        ({"LIVE_S3_PREFIX": "spaces here"}, "LIVE_S3_PREFIX"),
        ({"LIVE_S3_ENDPOINT_URL": "minio:9000"}, "LIVE_S3_ENDPOINT_URL"),
        ({"LIVE_S3_ENDPOINT_URL": "http://user:pw@minio:9000"}, "LIVE_S3_ENDPOINT_URL"),
        ({"LIVE_S3_ENDPOINT_URL": "http://minio:9000/?x=1"}, "LIVE_S3_ENDPOINT_URL"),
        ({"LIVE_S3_REGION": "EU Central"}, "LIVE_S3_REGION"),
        ({"AWS_ACCESS_KEY_ID": ""}, "AWS_ACCESS_KEY_ID"),
        ({"AWS_SECRET_ACCESS_KEY": "  "}, "AWS_SECRET_ACCESS_KEY"),
    ],
)
def test_a_wrong_or_missing_setting_is_named(change, named):
    storage, problem = recordings_storage({**GOOD, **change})
    assert storage is None and problem.startswith(named)
    assert "pw@" not in problem and GOOD["AWS_SECRET_ACCESS_KEY"] not in problem


def run_check(**env):
    environ = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=REPO,
        env={**environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_process_stops_at_start_up_naming_the_setting_and_never_the_secret():
    missing = {**GOOD, "AWS_ACCESS_KEY_ID": ""}
    answer = run_check(**missing)
    assert answer.returncode == 2
    assert answer.stderr.strip() == (
        "teecam: AWS_ACCESS_KEY_ID is required with LIVE_RECORDINGS_STORAGE=s3"
    )
    retention = run_check(LIVE_RECORDING_RETENTION_DAYS="a week")
    assert retention.returncode == 2 and "LIVE_RECORDING_RETENTION_DAYS" in retention.stderr
    good = run_check(**GOOD, LIVE_RECORDING_RETENTION_DAYS="30")
    assert good.returncode == 0, good.stderr
    assert GOOD["AWS_SECRET_ACCESS_KEY"] not in good.stdout + good.stderr
