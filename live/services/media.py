"""Signed media paths: ``/hls/<signature>/<expiry>/<stream>/<file>``.

The signature covers the expiry and the stream's folder (``/hls/<stream>``), not
the file, so a playlist's relative segment URIs inherit it: one signature admits
the playlist and every segment it lists, in hls.js and in Safari alike. The
scheme is nginx's ``secure_link_md5 "$exp/hls/$stream <secret>"`` so that nginx
can verify the very URLs Django issues without calling Django. MD5 is what
nginx offers there; the secret is derived from LIVE_VIEWER_SIGN_KEY so the nginx
config never holds the key that mints viewer tokens.
"""

import hashlib
import hmac
import re
import time
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import unquote

from django.conf import settings

from live.services.encoding import b64url

MAX_PATH_LENGTH = 512
PLAYLIST = "index.m3u8"  # every stream's playlist, whatever its source
# What each media file is served as (nginx, Django's fallback, the bucket's objects).
CONTENT_TYPES = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".ts": "video/mp2t",
    ".m4s": "video/iso.segment",
    ".mp4": "video/mp4",
    ".aac": "audio/aac",
    ".jpg": "image/jpeg",  # a live camera's thumb.jpg (live/services/thumbnails.py)
}
STREAM_NAME_RE = re.compile(r"\A[A-Za-z0-9_-]{1,80}\Z")
_PART_RE = re.compile(r"\A[A-Za-z0-9_.-]{1,120}\Z")
_SIGNATURE_RE = re.compile(r"\A[A-Za-z0-9_-]{22}\Z")
_EXPIRES_RE = re.compile(r"\A[1-9][0-9]{0,11}\Z")


class InvalidMediaPath(ValueError):
    pass


class MediaDenied(Exception):
    """``status`` is 403 for a missing or wrong signature, 410 for an expired one."""

    def __init__(self, status, reason):
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class MediaPath:
    stream: str
    file: str  # relative to the stream's folder, e.g. "index.m3u8"

    @property
    def path(self):
        return f"/hls/{self.stream}/{self.file}"


def media_secret() -> str:
    return _derive_media_secret(settings.LIVE_VIEWER_SIGN_KEY)


# Derived once per key, not on every signature: status polls and media requests sign
# or verify one each. Keyed by the key, so a changed setting derives a new secret.
@lru_cache(maxsize=4)
def _derive_media_secret(sign_key: str) -> str:
    return hmac.new(sign_key.encode(), b"teecam media signing v1", hashlib.sha256).hexdigest()


def media_signature(stream: str, expires: int) -> str:
    material = f"{expires}/hls/{stream} {media_secret()}".encode()
    return b64url(hashlib.md5(material).digest())


def _split_stream_file(rest: str) -> MediaPath:
    parts = rest.split("/")
    if len(parts) < 2:
        raise InvalidMediaPath("path must name a stream and a file: /hls/<stream>/<file>")
    stream, files = parts[0], parts[1:]
    if not STREAM_NAME_RE.match(stream):
        raise InvalidMediaPath("stream name may hold only letters, digits, '_' and '-'")
    for part in files:
        if part in (".", "..") or not _PART_RE.match(part):
            raise InvalidMediaPath(
                "each path part may hold only letters, digits, '.', '_' and '-'"
            )
    return MediaPath(stream, "/".join(files))


def parse_media_path(path) -> MediaPath:
    """Validate a path such as ``/hls/tee/index.m3u8`` given to the signer."""
    if not isinstance(path, str) or not path:
        raise InvalidMediaPath("path is required, e.g. /hls/<stream>/index.m3u8")
    if len(path) > MAX_PATH_LENGTH:
        raise InvalidMediaPath(f"path is longer than {MAX_PATH_LENGTH} characters")
    decoded = path
    for _ in range(3):  # catch %2e%2e and %252e%252e alike
        decoded = unquote(decoded)
    if ".." in decoded.split("/") or "\\" in decoded or "\x00" in decoded:
        raise InvalidMediaPath("path may not contain '..' or escape its folder")
    if not path.startswith("/hls/"):
        raise InvalidMediaPath("path must start with /hls/")
    return _split_stream_file(path[len("/hls/") :])


def sign_media_path(media_path: MediaPath, expires: int) -> str:
    signature = media_signature(media_path.stream, expires)
    return f"/hls/{signature}/{expires}/{media_path.stream}/{media_path.file}"


def looks_signed(parts) -> bool:
    """Whether path parts after /hls/ read as ``<signature>/<expiry>/<stream>/<file>``.

    Only the signature's shape counts, so a tampered expiry still reads as signed.
    """
    return len(parts) >= 4 and bool(_SIGNATURE_RE.match(parts[0]))


def verify_signature(signature: str, expires: str, rest: str) -> MediaPath:
    """The file a signed URL names if its signature holds, expired or not; else MediaDenied."""
    if not _SIGNATURE_RE.match(signature) or not _EXPIRES_RE.match(expires):
        raise MediaDenied(403, "malformed signature")
    try:
        media_path = _split_stream_file(rest)
    except InvalidMediaPath:
        raise MediaDenied(403, "malformed path")
    expected = media_signature(media_path.stream, int(expires))
    if not hmac.compare_digest(expected, signature):
        raise MediaDenied(403, "bad signature")
    return media_path


def verify_signed_request(signature: str, expires: str, rest: str, now=None) -> MediaPath:
    """The file a signed URL names, or MediaDenied (403 bad, 410 expired)."""
    media_path = verify_signature(signature, expires, rest)
    if int(expires) <= (now if now is not None else time.time()):
        raise MediaDenied(410, "expired")
    return media_path
