"""Reading the object-storage settings of recordings from the environment.

Like ``teecam/env.py``, free of Django imports: a wrong or missing setting stops
every process at start-up with one line naming it (docs/operations.md,
"Recordings in object storage"). The credentials are only checked for presence:
boto3 reads ``AWS_ACCESS_KEY_ID`` and ``AWS_SECRET_ACCESS_KEY`` from the
environment itself, so they never pass through teecam's settings, logs or pages.
"""

import os
import re
import sys
from dataclasses import dataclass

STORAGE_KINDS = ("local", "s3")
CREDENTIAL_VARS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
DEFAULT_PREFIX = "recordings"
DEFAULT_REGION = "us-east-1"
_BUCKET = re.compile(r"\A[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\Z")
_PREFIX = re.compile(r"\A[A-Za-z0-9._-]{1,100}(?:/[A-Za-z0-9._-]{1,100}){0,9}\Z")
_ENDPOINT = re.compile(
    r"\Ahttps?://(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?\Z"
)
_REGION = re.compile(r"\A[a-z0-9-]{1,40}\Z")


@dataclass(frozen=True)
class RecordingsStorage:
    kind: str = "local"
    bucket: str = ""
    prefix: str = DEFAULT_PREFIX
    endpoint_url: str = ""  # empty: AWS S3 itself
    region: str = DEFAULT_REGION


def recordings_storage(environ=os.environ):
    """(RecordingsStorage, None) from the environment, or (None, why) naming the setting."""

    def value(name):
        return environ.get(name, "").strip()

    kind = value("LIVE_RECORDINGS_STORAGE") or "local"
    if kind not in STORAGE_KINDS:
        return None, f"LIVE_RECORDINGS_STORAGE must be 'local' or 's3', got {kind!r}"
    if kind == "local":
        return RecordingsStorage(), None
    bucket = value("LIVE_S3_BUCKET")
    prefix = value("LIVE_S3_PREFIX").strip("/") or DEFAULT_PREFIX
    endpoint = value("LIVE_S3_ENDPOINT_URL").rstrip("/")
    region = value("LIVE_S3_REGION") or DEFAULT_REGION
    if not bucket:
        return None, "LIVE_S3_BUCKET is required with LIVE_RECORDINGS_STORAGE=s3"
    if not _BUCKET.match(bucket) or ".." in bucket:
        return None, f"LIVE_S3_BUCKET {bucket!r} is not a bucket name (3-63 of a-z, 0-9, '.', '-')"
    if not _PREFIX.match(prefix) or any(part in (".", "..") for part in prefix.split("/")):
        return None, (
            f"LIVE_S3_PREFIX {prefix!r} must be path parts of letters, digits, '.', '_' "
            "and '-' joined by '/'"
        )
    if endpoint and not _ENDPOINT.match(endpoint):
        # Not echoed: a URL may carry credentials (user:secret@host), refused here.
        return None, (
            "LIVE_S3_ENDPOINT_URL must be http(s)://host[:port], without credentials, "
            "a path or a query"
        )
    if not _REGION.match(region):
        return None, f"LIVE_S3_REGION {region!r} is not a region name (a-z, 0-9, '-')"
    for name in CREDENTIAL_VARS:
        if not value(name):
            return None, f"{name} is required with LIVE_RECORDINGS_STORAGE=s3"
    return RecordingsStorage(kind, bucket, prefix, endpoint, region), None


def env_recordings_storage():
    storage, problem = recordings_storage()
    if problem:
        sys.stderr.write(f"teecam: {problem}\n")
        sys.exit(2)
    return storage


def env_retention_days(name):
    """Days a finished recording is kept; None (empty, the default) keeps it."""
    value = os.environ.get(name, "").strip()
    if not value:
        return None
    if not value.isdigit() or int(value) < 1:
        sys.stderr.write(
            f"teecam: {name} must be empty (keep recordings) or a whole number of days, "
            f"1 or more; got {value!r}\n"
        )
        sys.exit(2)
    return int(value)
