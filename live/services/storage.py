"""Recordings in object storage: where a stream's files are in the bucket, and the
few operations every process needs (put, list, read, delete).

On with ``LIVE_RECORDINGS_STORAGE=s3`` (docs/operations.md); the default, ``local``,
keeps everything on the media host's disk as before and never imports boto3. The
bucket mirrors the disk under ``LIVE_S3_PREFIX``: ``<prefix>/<stream>/<file>``
(a recording's segments one folder deeper, per media host: live/workers/uploader.py).
The bucket stays private: viewers never get a bucket URL; an app server reads an
object after teecam's own signature check (docs/scaling.md).

Every call goes over the network: a store that does not answer raises
``StorageUnavailable`` within seconds (short timeouts, two attempts) rather than
hanging a request or the packager. Its message names the S3 error code only, never
a credential or a signed URL.
"""

import threading
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path

from django.conf import settings

from live.services.media import CONTENT_TYPES

CONNECT_TIMEOUT_SECONDS = 2
READ_TIMEOUT_SECONDS = 10
_MISSING = ("NoSuchKey", "404", "NotFound")


class StorageUnavailable(Exception):
    """The object store did not answer, or refused (credentials, bucket, permissions)."""


def enabled():
    return settings.LIVE_RECORDINGS_STORAGE == "s3"


@lru_cache(maxsize=4)
def _store(bucket, prefix, endpoint_url, region):
    # Imported here: a local-disk deployment never loads boto3.
    from boto3.s3.transfer import TransferConfig
    from botocore.config import Config
    from storages.backends.s3 import S3Storage

    class RecordingStore(S3Storage):
        """django-storages' S3 backend, each object's type set by its name."""

        def get_object_parameters(self, name):
            parameters = super().get_object_parameters(name)
            parameters["ContentType"] = CONTENT_TYPES.get(
                Path(name).suffix, "application/octet-stream"
            )
            return parameters

    return RecordingStore(
        bucket_name=bucket,
        location=prefix,
        endpoint_url=endpoint_url or None,
        region_name=region,
        default_acl=None,  # private: the bucket's own policy, never public-read
        file_overwrite=True,
        # One part per segment: no thread pool per upload.
        transfer_config=TransferConfig(use_threads=False),
        signature_version="s3v4",
        addressing_style="path" if endpoint_url else None,
        client_config=Config(
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
            read_timeout=READ_TIMEOUT_SECONDS,
            retries={"max_attempts": 2, "mode": "standard"},
        ),
    )


def store():
    return _store(
        settings.LIVE_S3_BUCKET,
        settings.LIVE_S3_PREFIX,
        settings.LIVE_S3_ENDPOINT_URL,
        settings.LIVE_S3_REGION,
    )


def _key(stream, file=""):
    return store()._normalize_name(f"{stream}/{file}")


def describe(exc):
    """A short reason for logs and the host card: the S3 error code, or the failure's kind."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        error = response.get("Error", {})
        return f"{error.get('Code', 'error')}: {error.get('Message', '')}".strip(": ")[:160]
    return type(exc).__name__


def _call(function, *args):
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return function(*args)
    except (BotoCoreError, ClientError, OSError) as exc:
        raise StorageUnavailable(describe(exc)) from exc


def _missing(exc):
    return exc.response.get("Error", {}).get("Code") in _MISSING


def upload_file(path: Path, stream, file):
    """Puts the file at ``path`` as ``<stream>/<file>``, replacing it."""

    def put():
        with open(path, "rb") as handle:
            store().save(f"{stream}/{file}", handle)

    _call(put)


def upload_text(stream, file, text):
    from django.core.files.base import ContentFile

    _call(store().save, f"{stream}/{file}", ContentFile(text.encode()))


def listed(stream):
    """{name under the stream: size} of what the bucket holds of ``stream``."""

    def names():
        prefix = _key(stream)
        return {
            item.key[len(prefix) :]: item.size
            for item in store().bucket.objects.filter(Prefix=prefix)
        }

    return _call(names)


def open_object(stream, file):
    """(streaming body, length) of ``<stream>/<file>``, or None if the bucket lacks it."""
    from botocore.exceptions import ClientError

    def get():
        try:
            answer = store().bucket.Object(_key(stream, file)).get()
        except ClientError as exc:
            if _missing(exc):
                return None
            raise
        return answer["Body"], answer["ContentLength"]

    return _call(get)


def download(stream, file, destination: Path):
    """Copies ``<stream>/<file>`` to ``destination``; FileNotFoundError if the bucket lacks it."""
    from botocore.exceptions import ClientError

    def get():
        try:
            store().bucket.download_file(_key(stream, file), str(destination))
        except ClientError as exc:
            if _missing(exc):
                return False
            raise
        return True

    if not _call(get):
        raise FileNotFoundError(f"{stream}/{file} is not in the bucket")


def read_text(stream, file):
    found = open_object(stream, file)
    if found is None:
        return None
    body, _ = found
    try:
        return _call(body.read).decode(errors="replace")
    finally:
        body.close()


# A finished recording's playlist never changes once stored: app servers keep the
# newest few (a 2-hour one is about 500 KB) rather than ask the bucket at every play.
_PLAYLISTS: OrderedDict = OrderedDict()
_PLAYLISTS_LOCK = threading.Lock()
PLAYLISTS_KEPT = 16


def stored_playlist(stream, file):
    key = (settings.LIVE_S3_BUCKET, settings.LIVE_S3_PREFIX, stream, file)
    with _PLAYLISTS_LOCK:
        if key in _PLAYLISTS:
            _PLAYLISTS.move_to_end(key)
            return _PLAYLISTS[key]
    text = read_text(stream, file)
    if text is not None:
        with _PLAYLISTS_LOCK:
            _PLAYLISTS[key] = text
            while len(_PLAYLISTS) > PLAYLISTS_KEPT:
                _PLAYLISTS.popitem(last=False)
    return text


def forget_playlists(stream):
    with _PLAYLISTS_LOCK:
        for key in [key for key in _PLAYLISTS if key[2] == stream]:
            del _PLAYLISTS[key]


def delete_stream(stream):
    """Removes every object of ``stream`` from the bucket; returns how many there were."""

    def delete():
        batches = store().bucket.objects.filter(Prefix=_key(stream)).delete()
        return sum(len(batch.get("Deleted", [])) for batch in batches)

    forget_playlists(stream)
    return _call(delete)
