"""The WHIP endpoint's HTTP answers (RFC 9725), in this process: aiohttp's test
server runs the real app; offers come from a real aiortc publisher.

The media path and the real ``manage.py runwhip`` process are in test_whip.py.
"""

import asyncio

import pytest
from aiohttp.test_utils import TestClient, TestServer

from live.models import Broadcast, Camera
from live.services.cameras import create_camera, default_camera, rotate_stream_key
from live.services.lifecycle import start_broadcast, stop_broadcast
from live.workers.whip.server import SESSIONS, make_app
from tests.ingest.whip_client import WhipError
from tests.ingest.whip_client import WhipPublisher as RealPublisher
from tests.processes import run_coroutine

pytestmark = [pytest.mark.ingest]

OFFER_WITHOUT_VIDEO = (
    "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=rtpmap:111 opus/48000/2\r\n"
)


@pytest.fixture
def whip_camera(transactional_db, event, settings):
    settings.LIVEKIT_WHIP_URL = ""
    settings.LIVE_WHIP_ALLOWED_ORIGINS = ["http://host.example.test"]
    camera = default_camera(event.pk)
    camera.source = "livekit"
    camera.save()
    return camera


def WhipPublisher(url, token):
    # In one process with the server, aiortc's close can wait for a sender task that
    # never ran (see whip_client.close): do not spend 5 s on it per test.
    return RealPublisher(url, token, close_timeout=0.5)


def run(scenario):
    """Runs scenario(client) against the real app on a loopback port."""

    async def main():
        app = make_app()
        async with TestClient(TestServer(app, host="127.0.0.1")) as client:
            try:
                return await scenario(client)
            finally:
                await app[SESSIONS].close_all()

    return run_coroutine(main())


def url_of(client, camera):
    return str(client.make_url(f"/whip/{camera.ingest_name}"))


def sdp_post(client, camera, body, token=None, content_type="application/sdp", name=None):
    headers = {"Content-Type": content_type}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return client.post(f"/whip/{name or camera.ingest_name}", data=body, headers=headers)


def test_a_publisher_with_the_key_gets_201_an_answer_and_a_location_it_can_delete(whip_camera):
    broadcast, _ = start_broadcast(whip_camera, "livekit", "staff:marshal")

    async def scenario(client):
        publisher = WhipPublisher(url_of(client, whip_camera), whip_camera.stream_key)
        location = await publisher.publish()
        await publisher.wait_connected()
        assert location.startswith(f"/whip/{whip_camera.ingest_name}/")
        assert whip_camera.stream_key not in location
        assert publisher.pc.remoteDescription.sdp.startswith("v=0")
        assert "goog-remb" not in publisher.pc.remoteDescription.sdp
        # A second publisher while the first is connected: 409.
        second = WhipPublisher(url_of(client, whip_camera), whip_camera.stream_key)
        with pytest.raises(WhipError) as refused:
            await second.publish()
        assert refused.value.status == 409
        assert await publisher.close() == 200
        gone = await client.delete(location)
        return gone.status, await gone.json()

    status, body = run(scenario)
    assert status == 404 and body["error"] == "not_found"
    broadcast.refresh_from_db()
    assert broadcast.stopped_at is None  # the broadcast waits for a reconnect


def test_a_wrong_or_missing_key_is_401_with_www_authenticate_and_kept_for_the_host_page(
    whip_camera,
):
    start_broadcast(whip_camera, "livekit", "staff:marshal")

    async def scenario(client):
        publisher = WhipPublisher(url_of(client, whip_camera), "not-the-key")
        with pytest.raises(WhipError) as wrong:
            await publisher.publish()
        offer = publisher.pc.localDescription.sdp
        missing = await sdp_post(client, whip_camera, offer)
        return wrong.value, missing.status, missing.headers.get("WWW-Authenticate")

    wrong, missing_status, challenge = run(scenario)
    assert wrong.status == 401 and '"error": "unauthorized"' in wrong.body
    assert missing_status == 401 and challenge.startswith("Bearer")
    camera = Camera.objects.get(pk=whip_camera.pk)
    assert camera.last_refused_reason == "wrong stream key (WHIP)"
    assert camera.last_refused_from == "127.0.0.1"


def test_a_camera_not_started_is_refused_with_409_and_the_refusal_kept(whip_camera):
    async def scenario(client):
        publisher = WhipPublisher(url_of(client, whip_camera), whip_camera.stream_key)
        with pytest.raises(WhipError) as refused:
            await publisher.publish()
        return refused.value

    refused = run(scenario)
    assert refused.status == 409 and "start it on the host page" in refused.body
    assert not Broadcast.objects.exists()
    camera = Camera.objects.get(pk=whip_camera.pk)
    assert camera.last_refused_reason == "the camera was not started on the host page"


def test_an_auto_start_camera_starts_its_broadcast_when_it_publishes(whip_camera):
    Camera.objects.filter(pk=whip_camera.pk).update(auto_start=True)

    async def scenario(client):
        publisher = WhipPublisher(url_of(client, whip_camera), whip_camera.stream_key)
        await publisher.publish()
        await publisher.wait_connected()
        await publisher.close()

    run(scenario)
    broadcast = Broadcast.objects.get()
    assert broadcast.started_by == f"camera:{whip_camera.slug}"
    assert broadcast.source == "livekit"


def test_bad_requests_get_the_json_error_shape_naming_the_problem(whip_camera):
    start_broadcast(whip_camera, "livekit", "staff:marshal")
    key = whip_camera.stream_key

    async def scenario(client):
        answers = {}
        for name, response in {
            "garbage": sdp_post(client, whip_camera, b"hello", key),
            "no video": sdp_post(client, whip_camera, OFFER_WITHOUT_VIDEO, key),
            "not utf-8": sdp_post(client, whip_camera, b"v=0\r\n\xff\xfe", key),
            "json": sdp_post(client, whip_camera, "{}", key, "application/json"),
            "unknown camera": sdp_post(client, whip_camera, "v=0", key, name="no-such-cam"),
        }.items():
            async with response as answer:
                answers[name] = (answer.status, await answer.json())
        return answers

    answers = run(scenario)
    assert answers["garbage"][0] == 400 and "v=0" in answers["garbage"][1]["detail"]
    assert answers["no video"] == (
        400,
        {"error": "invalid", "detail": "The offer has no video (m=video) section."},
    )
    assert answers["not utf-8"][0] == 400
    assert answers["json"][0] == 415 and "application/sdp" in answers["json"][1]["detail"]
    # The offer is checked before the camera: an unknown camera with a bad offer is 400 ...
    assert answers["unknown camera"][0] == 400


def test_an_unknown_camera_is_404(whip_camera):
    async def scenario(client):
        publisher = WhipPublisher(
            str(client.make_url("/whip/no-such-camera")), whip_camera.stream_key
        )
        with pytest.raises(WhipError) as refused:
            await publisher.publish()
        return refused.value

    assert run(scenario).status == 404


def test_requests_over_the_per_address_budget_get_429_with_retry_after(
    whip_camera, settings, still_rate_clock
):
    settings.LIVE_RATE_LIMITS = {**settings.LIVE_RATE_LIMITS, "whip": (3, 60)}

    async def scenario(client):
        statuses = []
        for _ in range(4):
            async with sdp_post(client, whip_camera, b"x", "k") as answer:
                statuses.append((answer.status, answer.headers.get("Retry-After")))
        return statuses

    statuses = run(scenario)
    assert [status for status, _ in statuses] == [400, 400, 400, 429]
    assert int(statuses[-1][1]) > 0


def test_wrong_keys_spend_the_addresss_failure_budget(whip_camera, settings, still_rate_clock):
    settings.LIVE_RATE_LIMITS = {**settings.LIVE_RATE_LIMITS, "ingest-failure": (2, 60)}
    start_broadcast(whip_camera, "livekit", "staff:marshal")

    async def scenario(client):
        publisher = WhipPublisher(url_of(client, whip_camera), "guess")
        with pytest.raises(WhipError):
            await publisher.publish()
        offer = publisher.pc.localDescription.sdp
        statuses = []
        for token in ("guess-2", "guess-3", whip_camera.stream_key):
            async with sdp_post(client, whip_camera, offer, token) as answer:
                statuses.append(answer.status)
        return statuses

    # Even the right key waits once an address has guessed too often.
    assert run(scenario) == [401, 429, 429]


def test_cors_preflight_allows_the_configured_origin_and_exposes_location(whip_camera):
    async def scenario(client):
        answers = []
        for origin in ("http://host.example.test", "https://elsewhere.example.test"):
            async with client.options(
                f"/whip/{whip_camera.ingest_name}",
                headers={
                    "Origin": origin,
                    "Access-Control-Request-Method": "POST",
                    "Access-Control-Request-Headers": "authorization, content-type",
                },
            ) as answer:
                answers.append((answer.status, dict(answer.headers)))
        return answers

    (allowed_status, allowed), (other_status, other) = run(scenario)
    assert allowed_status == 204
    assert allowed["Access-Control-Allow-Origin"] == "http://host.example.test"
    assert "POST" in allowed["Access-Control-Allow-Methods"]
    assert "DELETE" in allowed["Access-Control-Allow-Methods"]
    assert "Authorization" in allowed["Access-Control-Allow-Headers"]
    assert allowed["Access-Control-Expose-Headers"] == "Location"
    assert other_status == 204 and "Access-Control-Allow-Origin" not in other


@pytest.mark.parametrize("action", ["stop", "rotate"])
def test_a_stopped_broadcast_or_a_rotated_key_ends_the_session(whip_camera, action):
    start_broadcast(whip_camera, "livekit", "staff:marshal")
    act = {"stop": stop_broadcast, "rotate": rotate_stream_key}[action]

    async def scenario(client):
        publisher = WhipPublisher(url_of(client, whip_camera), whip_camera.stream_key)
        location = await publisher.publish()
        await publisher.wait_connected()
        sessions = client.server.app[SESSIONS]
        assert len(sessions) == 1
        await asyncio.get_running_loop().run_in_executor(None, act, whip_camera, "staff:marshal")
        for _ in range(100):  # the session checks every 2 s
            if not len(sessions):
                break
            await asyncio.sleep(0.1)
        gone = await client.delete(location)
        await publisher.close(send_delete=False)
        return len(sessions), gone.status

    assert run(scenario) == (0, 404)


def test_a_full_process_answers_503_with_retry_after(whip_camera, event, settings):
    settings.LIVE_WHIP_MAX_SESSIONS = 1
    start_broadcast(whip_camera, "livekit", "staff:marshal")
    other = create_camera(event, "tee-2", "Tee 2", source="livekit")
    start_broadcast(other, "livekit", "staff:marshal")

    async def scenario(client):
        first = WhipPublisher(url_of(client, whip_camera), whip_camera.stream_key)
        await first.publish()
        second = WhipPublisher(url_of(client, other), other.stream_key)
        with pytest.raises(WhipError) as full:
            await second.publish()
        return full.value

    full = run(scenario)
    assert full.status == 503 and "at most 1 WHIP publishers" in full.body


def test_hostile_offers_names_and_sessions_get_a_clear_4xx(whip_camera):
    start_broadcast(whip_camera, "livekit", "staff:marshal")
    key = whip_camera.stream_key
    big = "v=0\r\n" + "a=x-pad:" + "x" * 100_000 + "\r\n"

    async def scenario(client):
        answers = {}
        for name, response in {
            "offer over 64 KiB": sdp_post(client, whip_camera, big, key),
            "body over 128 KiB": sdp_post(client, whip_camera, big * 2, key),
            "NUL in the name": sdp_post(client, whip_camera, "v=0", key, name="main%00x"),
            "newline in the name": sdp_post(client, whip_camera, "v=0", key, name="a%0Ab"),
            "huge bearer": sdp_post(client, whip_camera, "v=0", "k" * 6000),
            "unknown session": client.delete(f"/whip/{whip_camera.ingest_name}/no-such-id"),
        }.items():
            async with response as answer:
                answers[name] = (answer.status, await answer.json())
        return answers

    answers = run(scenario)
    assert answers["offer over 64 KiB"][0] == 400
    assert "larger than" in answers["offer over 64 KiB"][1]["detail"]
    assert answers["body over 128 KiB"][0] == 413
    for name, (status, body) in answers.items():
        assert 400 <= status < 500 and set(body) == {"error", "detail"}, (name, status, body)
    assert Broadcast.objects.get().stopped_at is None  # nothing of it reached the broadcast
