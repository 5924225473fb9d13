"""Signed media URLs follow nginx's secure_link_md5 so nginx can verify them alone."""

import base64
import hashlib
import time

import pytest

from live.services.media import (
    MediaDenied,
    MediaPath,
    media_secret,
    media_signature,
    sign_media_path,
    verify_signed_request,
)


def nginx_secure_link_md5(expression):
    """What nginx computes for ``secure_link_md5 "<expression>"``: the binary MD5,
    base64 with the URL alphabet (``+/`` to ``-_``) and the ``=`` padding removed."""
    digest = hashlib.md5(expression.encode()).digest()
    return base64.b64encode(digest).decode().translate(str.maketrans("+/", "-_")).rstrip("=")


@pytest.mark.parametrize("stream", ["tee", "open-2026-0123456789abcdef", "a_b-C"])
@pytest.mark.parametrize("expires", [1, 1_800_000_000, 999_999_999_999])
def test_the_signature_is_nginx_secure_link_md5_of_expiry_path_and_secret(stream, expires):
    expected = nginx_secure_link_md5(f"{expires}/hls/{stream} {media_secret()}")

    assert media_signature(stream, expires) == expected
    assert len(expected) == 22
    assert sign_media_path(MediaPath(stream, "index.m3u8"), expires) == (
        f"/hls/{expected}/{expires}/{stream}/index.m3u8"
    )


def test_the_signature_covers_the_stream_folder_not_the_file():
    expires = int(time.time()) + 600
    playlist = sign_media_path(MediaPath("tee", "index.m3u8"), expires)
    segment = sign_media_path(MediaPath("tee", "seg000.ts"), expires)

    assert playlist.rsplit("/", 1)[0] == segment.rsplit("/", 1)[0]


def test_a_signed_path_verifies_back_to_its_media_path():
    expires = int(time.time()) + 600
    _, _, signature, exp, rest = sign_media_path(MediaPath("tee", "seg001.ts"), expires).split(
        "/", 4
    )

    assert verify_signed_request(signature, exp, rest) == MediaPath("tee", "seg001.ts")


def test_verification_refuses_an_expired_url_with_410_and_a_forged_one_with_403():
    past = int(time.time()) - 1
    signature = media_signature("tee", past)

    with pytest.raises(MediaDenied) as expired:
        verify_signed_request(signature, str(past), "tee/index.m3u8")
    with pytest.raises(MediaDenied) as forged:
        verify_signed_request(signature, str(past + 7200), "tee/index.m3u8")

    assert (expired.value.status, expired.value.reason) == (410, "expired")
    assert (forged.value.status, forged.value.reason) == (403, "bad signature")


def test_the_media_secret_is_not_the_signing_key(settings):
    secret = media_secret()

    assert secret != settings.LIVE_VIEWER_SIGN_KEY
    assert settings.LIVE_VIEWER_SIGN_KEY not in secret
    assert len(secret) == 64  # a hex SHA-256 HMAC


def test_the_media_secret_is_derived_from_the_signing_key(settings):
    before = media_secret()
    assert media_secret() == before

    settings.LIVE_VIEWER_SIGN_KEY = "a-different-signing-key-" + "q" * 32

    assert media_secret() != before
    assert media_signature("tee", 1_800_000_000) != nginx_secure_link_md5(
        f"1800000000/hls/tee {before}"
    )
