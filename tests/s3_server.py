"""An S3 API over HTTP for the tests: moto's server on a loopback port.

No S3 server can be installed here (MinIO is in neither Debian's archive nor
PyPI), so the tests start moto's server (``moto[server]``, requirements-dev.txt)
as a subprocess on a free loopback port. boto3 and django-storages talk to it over
HTTP exactly as they talk to MinIO or AWS S3: real requests, real signatures, real
listings. Each test gets a bucket of its own.
"""

import os
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.processes import free_tcp_port, spawn, stop_group, tcp_open, wait_for

MOTO_SERVER = str(Path(sys.executable).parent / "moto_server")
KEY_ID, SECRET = "moto-test-key-id", "moto-test-secret"
PREFIX = "recordings"


@dataclass
class Bucket:
    name: str
    endpoint: str
    client: object

    def env(self):
        """What a teecam process needs to use this bucket."""
        return {
            "LIVE_RECORDINGS_STORAGE": "s3",
            "LIVE_S3_BUCKET": self.name,
            "LIVE_S3_PREFIX": PREFIX,
            "LIVE_S3_ENDPOINT_URL": self.endpoint,
            "LIVE_S3_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": KEY_ID,
            "AWS_SECRET_ACCESS_KEY": SECRET,
        }

    def keys(self, stream):
        prefix = f"{PREFIX}/{stream}/"
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.name, Prefix=prefix
        )
        return {item["Key"][len(prefix) :] for page in pages for item in page.get("Contents", [])}

    def get(self, stream, key):
        answer = self.client.get_object(Bucket=self.name, Key=f"{PREFIX}/{stream}/{key}")
        return answer["Body"].read(), answer["ContentType"]


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """moto's S3 server, one for the session, on a loopback port."""
    port = free_tcp_port()
    log = tmp_path_factory.mktemp("moto") / "moto-server.log"
    process = spawn([MOTO_SERVER, "-H", "127.0.0.1", "-p", str(port)], dict(os.environ), log)
    try:
        wait_for(lambda: process.poll() is not None or tcp_open(port), 60, "moto's S3 server")
        assert process.poll() is None, log.read_text()
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_group(process)


@pytest.fixture
def s3(s3_server, settings, monkeypatch):
    """This test's bucket, and teecam (this process) set to store recordings in it."""
    import boto3

    bucket = Bucket(
        f"teecam-{uuid.uuid4().hex[:12]}",
        s3_server,
        boto3.client(
            "s3",
            endpoint_url=s3_server,
            aws_access_key_id=KEY_ID,
            aws_secret_access_key=SECRET,
            region_name="us-east-1",
        ),
    )
    bucket.client.create_bucket(Bucket=bucket.name)
    for name, value in bucket.env().items():
        if name.startswith("AWS_"):
            monkeypatch.setenv(name, value)
        else:
            setattr(settings, name, value)
    return bucket
