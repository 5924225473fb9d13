"""What a viewer token unlocks: the live broadcast's signed playlist, or why not."""

import time

import pytest

from live.services.access import check_viewer_access
from live.services.lifecycle import live_broadcast, start_broadcast, stop_broadcast
from live.services.tokens import mint_viewer_token
from live.services.viewer_links import mint_viewer_link, revoke_viewer_link

pytestmark = pytest.mark.django_db


@pytest.fixture
def live(event):
    return start_broadcast(event, "mock", "key:ops")[0]


def test_a_valid_token_for_the_live_broadcast_admits_the_viewer(event, live):
    token, claims = mint_viewer_token(event.pk, live.pk, 900)

    access = check_viewer_access(event.pk, token, live_broadcast(event.pk))

    assert access.problem is None
    assert access.token == claims
    assert access.broadcast == live
    now = time.time()
    hls_path, media_expires = access.signed_playlist(now)
    assert hls_path.endswith(f"/{live.stream_name}/index.m3u8")
    assert int(hls_path.split("/")[3]) == media_expires == access.media_expires(now)
    # Media URLs are short-lived (re-signed on each poll), never past the token.
    assert now + 60 <= media_expires <= min(claims.expires, now + 60 + 30)
    assert access.hls_path.endswith(f"/{live.stream_name}/index.m3u8")


def test_media_urls_never_outlive_a_short_token(event, live):
    token, claims = mint_viewer_token(event.pk, live.pk, 5)

    access = check_viewer_access(event.pk, token, live_broadcast(event.pk))

    assert int(access.hls_path.split("/")[3]) == claims.expires


@pytest.mark.parametrize(
    "make_token, problem",
    [
        (lambda event, live: "", "missing"),
        (lambda event, live: "not-a-token", "malformed"),
        (lambda event, live: mint_viewer_token("other-cup", live.pk, 900)[0], "invalid"),
        (
            lambda event, live: mint_viewer_token(event.pk, live.pk, 9, now=time.time() - 60)[0],
            "expired",
        ),
        (lambda event, live: mint_viewer_token(event.pk, live.pk + 1, 900)[0], "ended"),
    ],
    ids=["missing", "malformed", "invalid", "expired", "other-broadcast"],
)
def test_a_refused_token_names_the_problem_and_unlocks_nothing(event, live, make_token, problem):
    access = check_viewer_access(event.pk, make_token(event, live), live_broadcast(event.pk))

    assert access.problem == problem
    assert access.token is None
    assert access.hls_path is None
    assert access.broadcast == live


def test_a_token_of_a_stopped_broadcast_has_ended(event, live):
    token, _ = mint_viewer_token(event.pk, live.pk, 900)
    stop_broadcast(event, "key:ops")

    access = check_viewer_access(event.pk, token, live_broadcast(event.pk))

    assert (access.problem, access.broadcast, access.hls_path) == ("ended", None, None)


def test_a_revoked_link_unlocks_nothing(event, live):
    token, _, link = mint_viewer_link(live, 900, "key:ops")
    assert revoke_viewer_link(link, "key:ops")

    access = check_viewer_access(event.pk, token, live_broadcast(event.pk))

    assert (access.problem, access.token, access.hls_path) == ("revoked", None, None)
    assert access.link == link
