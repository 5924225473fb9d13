"""Malformed WHIP offers against the real ``manage.py runwhip`` process.

A valid offer from a real aiortc publisher is mutated (a line dropped, doubled,
truncated or garbled, the video ``a=mid:`` broken, sections reordered, the text
cut anywhere) and each mutant POSTed with the camera's key. Every answer must be
a 2xx or a 4xx in the one JSON error shape, never a 5xx; a mutant that was
accepted is ended with DELETE. Then a valid offer must still get 201: a session
that failed to start left the registry (before, one broken ``a=mid:`` held the
camera at 409 until runwhip restarted, and eight filled LIVE_WHIP_MAX_SESSIONS).
"""

import http.client
import json
import random
import time

import pytest
from aiortc import RTCConfiguration, RTCPeerConnection

from live.services.cameras import default_camera
from live.services.lifecycle import start_broadcast
from tests.ingest.support import free_udp_ports
from tests.ingest.whip_client import SineAudio, SyntheticVideo
from tests.processes import PYTHON, free_tcp_port, run_coroutine, tcp_open, wait_for

pytestmark = [pytest.mark.ingest, pytest.mark.django_db(transaction=True)]

SEED = 20
CASES = 90
# The whole run stays modest on a loaded 2-core box; the cases stop early past it.
BUDGET_SECONDS = 45


@pytest.fixture
def whip(procs, packager_env, settings):
    """runwhip on a free port, ICE on loopback, no request budget in the way."""
    settings.LIVEKIT_WHIP_URL = ""
    port = free_tcp_port()
    udp = free_udp_ports(8)
    env = {
        **packager_env,
        "LIVEKIT_WHIP_URL": "",
        "LIVE_WHIP_LISTEN": f"127.0.0.1:{port}",
        "LIVE_WHIP_UDP_PORTS": f"{udp[0]}-{udp[-1]}",
        "LIVE_WHIP_ICE_ADDRESS": "127.0.0.1",
        "LIVE_RATE_WHIP_PER_MINUTE": "100000",
        "LIVE_WHIP_MAX_SESSIONS": "2",
    }
    process = procs.start("runwhip", [PYTHON, "manage.py", "runwhip"], env=env)
    wait_for(lambda: process.poll() is not None or tcp_open(port), 20, "runwhip to listen")
    assert process.poll() is None, procs.log_of(process)
    return port


@pytest.fixture
def whip_camera(event):
    camera = default_camera(event.pk)
    camera.source = "livekit"
    camera.save()
    start_broadcast(camera, "livekit", "staff:marshal")
    return camera


def valid_offer():
    async def make():
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        pc.addTransceiver(SyntheticVideo(), direction="sendonly")
        pc.addTransceiver(SineAudio(), direction="sendonly")
        await pc.setLocalDescription(await pc.createOffer())
        sdp = pc.localDescription.sdp
        await pc.close()
        return sdp

    return run_coroutine(make())


def sections(lines):
    """The session part and each m= section, as lists of lines."""
    parts = [[]]
    for line in lines:
        if line.startswith("m="):
            parts.append([])
        parts[-1].append(line)
    return parts


GARBAGE = ["", "x", "a=", "m=", "a=mid:", "a=rtpmap:", "a=rtpmap:96", "-1", "99999999999",
           "a=fingerprint:sha-256 zz", "a=candidate:1 1 udp x y z", "a=ssrc:", "\u00e9\u00e9",
           "a=group:BUNDLE", "a=setup:", "a=ice-ufrag:", "c=IN IP4", "a=extmap:x"]  # fmt: skip


def mutate(offer, rng):
    lines = offer.split("\r\n")
    kind = rng.choice(
        ["drop", "double", "garble", "mid", "reorder", "truncate", "swap", "value", "numbers"]
    )
    index = rng.randrange(1, len(lines) - 1)  # keep "v=0" so it reaches aiortc
    if kind == "drop":
        del lines[index]
    elif kind == "double":
        lines.insert(index, lines[index])
    elif kind == "garble":
        lines[index] = rng.choice(GARBAGE)
    elif kind == "mid":
        mids = [i for i, line in enumerate(lines) if line.startswith("a=mid:")]
        lines[rng.choice(mids)] = rng.choice(["a=mid:", "a=mid:9", "a=mid:0 1", "a=mid", "mid:0"])
    elif kind == "reorder":
        head, *media = sections(lines)
        rng.shuffle(media)
        lines = head + [line for section in media for line in section]
    elif kind == "truncate":
        return f"{offer[: rng.randrange(8, len(offer))]}", kind
    elif kind == "swap":
        other = rng.randrange(1, len(lines) - 1)
        lines[index], lines[other] = lines[other], lines[index]
    elif kind == "value":
        key, _, _ = lines[index].partition(":")
        lines[index] = f"{key}:{rng.choice(GARBAGE)}"
    else:
        lines[index] = "".join(
            str(rng.choice([0, 1, 65536, 4294967296])) if char.isdigit() else char
            for char in lines[index]
        )
    return "\r\n".join(lines), kind


def post(port, name, key, body):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        headers = {"Content-Type": "application/sdp", "Authorization": f"Bearer {key}"}
        connection.request("POST", f"/whip/{name}", body=body.encode(), headers=headers)
        response = connection.getresponse()
        return response.status, response.getheader("Location"), response.read()
    finally:
        connection.close()


def delete(port, location, key):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("DELETE", location, headers={"Authorization": f"Bearer {key}"})
        return connection.getresponse().status
    finally:
        connection.close()


def test_malformed_offers_are_4xx_in_the_error_shape_and_never_lock_the_camera(whip, whip_camera):
    offer = valid_offer()
    rng = random.Random(SEED)
    name, key = whip_camera.ingest_name, whip_camera.stream_key
    seen, started = {}, time.monotonic()
    for case in range(CASES):
        if time.monotonic() - started > BUDGET_SECONDS:
            break
        body, kind = mutate(offer, rng)
        status, location, answer = post(whip, name, key, body)
        seen[status] = seen.get(status, 0) + 1
        assert status < 500, (case, kind, status, answer[:300], body)
        assert status != 409, (case, kind, "a failed session kept the camera")
        if status == 201:
            assert delete(whip, location, key) == 200
        else:
            error = json.loads(answer)
            assert set(error) == {"error", "detail"} and error["detail"], (case, answer)
    print(
        f"\nWHIP fuzz: {sum(seen.values())} offers in {time.monotonic() - started:.1f} s: {seen}"
    )
    assert seen.get(400, 0) >= 10, seen  # the fuzz did reach the negotiation

    status, location, answer = post(whip, name, key, offer)
    assert status == 201, answer
    assert delete(whip, location, key) == 200
