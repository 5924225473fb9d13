"""The host page's "Broadcast from this device" against the real WHIP process
(manage.py runwhip) and packager, in Chromium with a fake camera: the host page goes
live from the device, a viewer plays it, closing the page ends the session and then
the broadcast, and a publisher back within the reconnect window continues the same
broadcast."""

import re

import pytest

from live.models import Broadcast, Source
from live.services.cameras import create_camera
from live.services.states import state_of
from live.services.viewer_links import mint_viewer_link
from live.http import viewer_path
from tests.processes import PATIENCE
from tests.browser.conftest import assert_video_plays, log_in
from tests.ingest.conftest import packager_env, procs, run_id, srt_ports  # noqa: F401
from tests.ingest.support import free_udp_ports
from tests.processes import PYTHON, free_tcp_port, tcp_open, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.ingest, pytest.mark.django_db(transaction=True)]

WINDOW = 6  # the reconnect window, shortened (health goes stalled after 3 s)


@pytest.fixture
def whip_ingest(procs, packager_env, settings, live_server):  # noqa: F811
    """runwhip and the packager on this test's database, ports and short window."""
    port = free_tcp_port()
    udp = free_udp_ports(8)
    settings.LIVEKIT_WHIP_URL = ""
    settings.LIVE_WHIP_PUBLIC_URL = f"http://127.0.0.1:{port}/whip"
    settings.LIVE_RECONNECT_WINDOW_SECONDS = WINDOW  # what the host page's states use
    env = {
        **packager_env,
        "LIVEKIT_WHIP_URL": "",
        "LIVE_RECONNECT_WINDOW_SECONDS": str(WINDOW),
        "LIVE_WHIP_LISTEN": f"127.0.0.1:{port}",
        "LIVE_WHIP_UDP_PORTS": f"{udp[0]}-{udp[-1]}",
        "LIVE_WHIP_ICE_ADDRESS": "127.0.0.1",
        # Long: only the page's own DELETE can end a session within the tests' waits.
        "LIVE_WHIP_MEDIA_TIMEOUT_SECONDS": "30",
    }
    whip = procs.start("runwhip", [PYTHON, "manage.py", "runwhip"], env=env)
    procs.start("packager", [PYTHON, "manage.py", "livepackager", "--poll", "0.25"], env=env)
    wait_for(lambda: whip.poll() is not None or tcp_open(port), 20, "runwhip to listen")
    assert whip.poll() is None, procs.log_of(whip)
    return lambda: procs.log_of(whip)


def state_now(camera):
    live = Broadcast.objects.filter(camera=camera, stopped_at__isnull=True).first()
    last = Broadcast.objects.filter(camera=camera).order_by("-pk").first()
    return state_of(live, last).code


def go_live_from_a_phone(live_server, make_context, event, tee, width=375):
    context = make_context(viewport={"width": width, "height": 812})
    page = context.new_page()
    log_in(page, live_server.url, "marshal", "pw-marshal-123", f"/events/{event.pk}/live-host")
    page.locator("#publish-tee-1").get_by_role(
        "button", name="Go live from this device as 1st tee"
    ).click()
    page.locator("#publish-tee-1").get_by_text("Live from this device.").wait_for()
    # The server's truth, through the card's own badge: pictures arrive.
    page.locator("#camera-tee-1 [data-testid=state]", has_text="Live").wait_for(
        timeout=20_000 * PATIENCE
    )
    return context, page


def test_the_host_page_goes_live_from_the_device_and_a_viewer_plays_it(
    live_server, camera_context, new_context, event, staff_user, whip_ingest, fast_polling
):
    tee = create_camera(event, "tee-1", "1st tee", source=Source.LIVEKIT)
    make, messages = camera_context
    _, page = go_live_from_a_phone(live_server, make, event, tee)
    broadcast = Broadcast.objects.get(camera=tee, stopped_at__isnull=True)
    assert broadcast.source == Source.LIVEKIT
    stats = "document.querySelector('#publish-tee-1 [data-publish-stats]').textContent"
    page.wait_for_function(f"() => /\\d kb\\/s · \\d+×\\d+ · \\d+ fps/.test({stats})")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    # After Go live, focus is on the panel's new state, not lost with the Go live button.
    assert page.evaluate("document.activeElement.matches('#publish-tee-1 [data-publish-state]')")

    token, _, _ = mint_viewer_link(broadcast, 600, "test", camera=tee)
    viewer = new_context(viewport={"width": 375, "height": 740}).new_page()
    viewer.goto(f"{live_server.url}{viewer_path(event.pk, token, 'tee-1')}")
    assert_video_plays(viewer)
    assert not [m for m in messages if tee.stream_key in m]


def test_closing_the_publishing_page_ends_the_session_then_the_broadcast(
    live_server, camera_context, event, staff_user, whip_ingest
):
    tee = create_camera(event, "tee-1", "1st tee", source=Source.LIVEKIT)
    make, _ = camera_context
    _, page = go_live_from_a_phone(live_server, make, event, tee)
    broadcast = Broadcast.objects.get(camera=tee, stopped_at__isnull=True)

    page.close()  # pagehide: DELETE with keepalive (the server's watchdog waits 30 s here)

    # The page says goodbye (its peer connection closes, its DELETE follows): the
    # session ends at once, not when the server's no-media watchdog would end it.
    ended = re.compile(r"ended: (connection closed|the publisher sent DELETE)")
    wait_for(lambda: ended.search(whip_ingest()), 5, "the session to end")
    wait_for(lambda: state_now(tee) == "reconnecting", 10, "the camera to go reconnecting")
    wait_for(lambda: state_now(tee) == "ended", WINDOW + 10, "the broadcast to end")
    broadcast.refresh_from_db()
    assert broadcast.stopped_at is not None
    assert broadcast.stopped_by == "packager:camera-lost"


def test_a_publisher_back_within_the_window_continues_the_same_broadcast(
    live_server, camera_context, event, staff_user, whip_ingest, fast_polling
):
    tee = create_camera(event, "tee-1", "1st tee", source=Source.LIVEKIT)
    make, _ = camera_context
    context, page = go_live_from_a_phone(live_server, make, event, tee)
    broadcast = Broadcast.objects.get(camera=tee, stopped_at__isnull=True)
    whip = []
    page.on("request", lambda r: "/whip/" in r.url and whip.append(r.method))

    # A network change: the browser goes offline and comes back (the `online` event).
    context.set_offline(True)
    context.set_offline(False)

    page.locator("#publish-tee-1").get_by_text("Reconnecting…").wait_for()
    page.locator("#publish-tee-1").get_by_text("Live from this device.").wait_for(
        timeout=20_000 * PATIENCE
    )
    assert [method for method in whip if method != "OPTIONS"][:1] == ["DELETE"]
    assert "POST" in whip
    wait_for(lambda: state_now(tee) == "live", 20, "pictures from the new session")
    live = Broadcast.objects.get(camera=tee, stopped_at__isnull=True)
    assert live.pk == broadcast.pk
    assert Broadcast.objects.filter(camera=tee).count() == 1
    log = whip_ingest()
    assert "ended: the publisher sent DELETE" in log  # through CORS, with its bearer
    assert log.count(f"of tee-1 (broadcast {broadcast.pk}) started") == 2

    # The card's own Stop ends the broadcast: the device stops sending and says so.
    card = page.locator("#camera-tee-1")
    card.get_by_role("checkbox", name="Yes, end this camera's broadcast").check()
    card.get_by_role("button", name="Stop 1st tee").click()
    page.locator("#publish-tee-1").get_by_text("this device stopped sending").wait_for()
    assert page.evaluate("document.querySelector('#publish-tee-1 video').srcObject") is None
    wait_for(lambda: whip_ingest().count("ended:") == 2, 10, "the second session to end")
