"""Viewer tokens: ``<broadcast id>.<expiry>.<signature>``, HMAC-signed per event."""

import time

import pytest
from hypothesis import HealthCheck, example, given, settings as hypothesis_settings
from hypothesis import strategies as st

from live.services.media import (
    InvalidMediaPath,
    MediaDenied,
    MediaPath,
    media_signature,
    parse_media_path,
    verify_signed_request,
)
from live.services.tokens import InvalidToken, ViewerToken, mint_viewer_token, read_viewer_token

EVENT = "open-2026"
REASONS = {"missing", "malformed", "invalid", "expired"}
NOW = 1_800_000_000


def reason_for(token, event_id=EVENT, now=NOW):
    with pytest.raises(InvalidToken) as caught:
        read_viewer_token(token, event_id, now=now)
    assert caught.value.reason in REASONS
    assert str(caught.value) == caught.value.reason
    return caught.value.reason


@pytest.fixture
def token():
    return mint_viewer_token(EVENT, 42, 900, now=NOW)[0]


def test_a_minted_token_reads_back_as_its_claims():
    token, claims = mint_viewer_token(EVENT, 42, 900, now=NOW)

    assert claims == ViewerToken(EVENT, 42, NOW + 900, token.split(".")[2])
    assert read_viewer_token(token, EVENT, now=NOW) == claims
    assert token.split(".")[:2] == ["42", str(NOW + 900)]


def test_a_token_minted_without_a_clock_uses_the_current_time():
    token, claims = mint_viewer_token(EVENT, 7, 60)

    assert abs(claims.expires - (time.time() + 60)) <= 2
    assert read_viewer_token(token, EVENT) == claims


def test_the_expiry_is_an_aware_utc_datetime():
    claims = ViewerToken(EVENT, 1, NOW, "n" * 11)

    assert claims.expires_at.timestamp() == NOW
    assert claims.expires_at.utcoffset().total_seconds() == 0


def test_a_token_with_a_changed_signature_is_invalid(token):
    head, signature = token.rsplit(".", 1)
    middle = len(signature) // 2
    flipped = (
        signature[:middle] + ("A" if signature[middle] != "A" else "B") + signature[middle + 1 :]
    )

    assert reason_for(f"{head}.{flipped}") == "invalid"


def test_a_token_with_a_changed_broadcast_or_expiry_is_invalid(token):
    broadcast, expires, nonce, signature = token.split(".")
    other_nonce = ("A" if nonce[5] != "A" else "B").join([nonce[:5], nonce[6:]])

    assert reason_for(f"43.{expires}.{nonce}.{signature}") == "invalid"
    assert reason_for(f"{broadcast}.{int(expires) + 3600}.{nonce}.{signature}") == "invalid"
    assert reason_for(f"{broadcast}.{expires}.{other_nonce}.{signature}") == "invalid"


def test_two_tokens_minted_in_the_same_second_differ():
    first, _ = mint_viewer_token(EVENT, 42, 900, now=NOW)
    second, _ = mint_viewer_token(EVENT, 42, 900, now=NOW)

    assert first != second


def test_a_token_for_another_event_is_invalid(token):
    assert reason_for(token, event_id="other-cup") == "invalid"


def test_a_token_signed_with_another_key_is_invalid(token, settings):
    settings.LIVE_VIEWER_SIGN_KEY = "another-signing-key-" + "z" * 32

    assert reason_for(token) == "invalid"


def test_a_token_is_expired_from_its_expiry_second_on(token):
    assert read_viewer_token(token, EVENT, now=NOW + 899)
    assert reason_for(token, now=NOW + 900) == "expired"
    assert reason_for(token, now=NOW + 10**6) == "expired"


def test_an_expired_token_from_the_past_is_expired():
    old, _ = mint_viewer_token(EVENT, 42, 60, now=time.time() - 3600)

    with pytest.raises(InvalidToken) as caught:
        read_viewer_token(old, EVENT)
    assert caught.value.reason == "expired"


@pytest.mark.parametrize("token", ["", None])
def test_no_token_is_missing(token):
    assert reason_for(token) == "missing"


def malformed_variants(token):
    broadcast, expires, nonce, signature = token.split(".")
    return {
        "no dots": token.replace(".", ""),
        "two parts": f"{broadcast}.{signature}",
        "extra dot": f"{broadcast}.{expires}.{nonce}.{signature}.",
        "extra part": f"{broadcast}.{expires}.{nonce}.1.{signature}",
        "leading zero broadcast": f"0{broadcast}.{expires}.{nonce}.{signature}",
        "leading zero expiry": f"{broadcast}.0{expires}.{nonce}.{signature}",
        "zero broadcast": f"0.{expires}.{nonce}.{signature}",
        "negative broadcast": f"-{broadcast}.{expires}.{nonce}.{signature}",
        "arabic-indic digits": f"\u0664\u0662.{expires}.{nonce}.{signature}",
        "arabic-indic one": f"\u0661.{expires}.{nonce}.{signature}",
        "fullwidth digits": f"\uff14\uff12.{expires}.{nonce}.{signature}",
        "short signature": f"{broadcast}.{expires}.{nonce}.{signature[:-1]}",
        "long signature": f"{broadcast}.{expires}.{nonce}.{signature}A",
        "padded signature": f"{broadcast}.{expires}.{nonce}.{signature}=",
        "standard base64": f"{broadcast}.{expires}.{nonce}.{signature[:-1]}+",
        "leading space": " " + token,
        "trailing space": token + " ",
        "trailing newline": token + "\n",
        "inner tab": f"{broadcast}.\t{expires}.{nonce}.{signature}",
        "short nonce": f"{broadcast}.{expires}.{nonce[:-1]}.{signature}",
        "nonce with dot": f"{broadcast}.{expires}.{nonce[:-1]}..{signature}",
        "very long": token + "A" * 10_000,
        "huge broadcast id": f"{'9' * 19}.{expires}.{nonce}.{signature}",
        "huge expiry": f"{broadcast}.{'9' * 13}.{nonce}.{signature}",
        "bytes": token.encode(),
        "number": 42,
        "list": [token],
    }


@pytest.mark.parametrize("name", list(malformed_variants("1.2.n.x")))
def test_a_malformed_token_is_malformed(token, name):
    assert reason_for(malformed_variants(token)[name]) == "malformed"


# Properties: whatever arrives from a URL, the readers answer or refuse, never crash.


@hypothesis_settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.one_of(
        st.text(),
        st.from_regex(r"\A[0-9]{1,20}\.[0-9]{1,14}\.[A-Za-z0-9_=+/-]{40,46}\Z"),
        st.builds(
            lambda b, e, s: f"{b}.{e}.{s}",
            st.integers(min_value=-5, max_value=10**20),
            st.integers(min_value=-5, max_value=10**14),
            st.text(alphabet="ABCabc019_-", min_size=43, max_size=43),
        ),
    ),
    st.text(max_size=80),
)
@example("1.1." + "A" * 43, "")
def test_reading_any_text_as_a_token_returns_claims_or_raises_invalid_token(text, event_id):
    try:
        claims = read_viewer_token(text, event_id, now=NOW)
    except InvalidToken as exc:
        assert exc.reason in REASONS
    else:
        assert isinstance(claims, ViewerToken)


@hypothesis_settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.one_of(
        st.text(),
        st.builds(lambda rest: "/hls/" + rest, st.text()),
        st.builds(
            lambda parts: "/hls/" + "/".join(parts),
            st.lists(st.sampled_from(["tee", "..", ".", "%2e%2e", "%252e", "a\\b", "", "x.ts"])),
        ),
        st.none(),
        st.integers(),
        st.binary(),
    )
)
@example("/hls/tee/index.m3u8")
@example("/hls/%2525252e%2525252e/x")
def test_parsing_any_media_path_returns_a_path_or_raises_invalid_media_path(path):
    try:
        media_path = parse_media_path(path)
    except InvalidMediaPath:
        return
    assert isinstance(media_path, MediaPath)
    assert ".." not in media_path.file.split("/")
    assert ".." != media_path.stream
    assert "\\" not in media_path.path


@hypothesis_settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(), st.text(), st.text())
@example("A" * 22, "1", "tee/index.m3u8")
@example("A" * 22, "9" * 12, "tee/../x")
def test_verifying_any_signed_request_returns_a_path_or_raises_media_denied(
    signature, expires, rest
):
    try:
        media_path = verify_signed_request(signature, expires, rest, now=NOW)
    except MediaDenied as exc:
        assert exc.status in (403, 410)
    else:
        assert isinstance(media_path, MediaPath)


@hypothesis_settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.one_of(
        st.text(),
        st.builds(
            lambda parts: "/".join(parts),
            st.lists(
                st.sampled_from(["tee", "..", ".", "seg000.ts", "", "%2e%2e", "a\\b", "~"]),
                min_size=1,
            ),
        ),
    )
)
def test_a_genuinely_signed_request_never_names_a_file_outside_its_stream(rest):
    # Sign whatever the first part is, so the signature check cannot be what refuses.
    stream = rest.split("/")[0]
    expires = str(NOW + 600)
    try:
        media_path = verify_signed_request(
            media_signature(stream, int(expires)), expires, rest, now=NOW
        )
    except MediaDenied as exc:
        assert exc.status == 403
        return
    assert media_path.stream == stream
    assert all(part not in ("", ".", "..") for part in media_path.file.split("/"))
    assert not media_path.file.startswith("/")
