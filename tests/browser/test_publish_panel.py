"""The host page's "Broadcast from this device" in Chromium with a fake camera,
against a WHIP answerer played by a second page of the same browser (Playwright
routes the page's /whip/ requests to it): the client half alone, real WebRTC and all."""

import pytest

from live.models import Broadcast, Source
from live.services.cameras import create_camera
from tests.processes import PATIENCE
from tests.browser.conftest import assert_no_axe_violations, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ANSWER_JS = """async (offer) => {
  const pc = new RTCPeerConnection();
  window.received = window.received || [];
  pc.ontrack = (event) => window.received.push(event.track.kind);
  await pc.setRemoteDescription({type: "offer", sdp: offer});
  await pc.setLocalDescription(await pc.createAnswer());
  await new Promise((done) => {
    if (pc.iceGatheringState === "complete") return done();
    pc.onicegatheringstatechange = () => pc.iceGatheringState === "complete" && done();
    setTimeout(done, 2000);
  });
  window.answerers = (window.answerers || []).concat([pc]);
  return pc.localDescription.sdp;
}"""

# What the page's live region says from now on, in order.
SAID_JS = """() => {
  window.said = [];
  const region = document.getElementById("publish-announce");
  new MutationObserver(() => window.said.push(region.textContent))
    .observe(region, {childList: true, characterData: true, subtree: true});
}"""

# The page's peer connections, kept for the test to look into.
KEEP_PCS_JS = """(() => {
  const Original = RTCPeerConnection;
  window.pcs = [];
  window.RTCPeerConnection = function (config) {
    const pc = new Original(config);
    window.pcs.push(pc);
    return pc;
  };
})()"""
# The picture the last session sends, and whether it is the one the preview shows.
SENT_JS = """(() => {
  const senders = window.pcs.at(-1).getSenders();
  const track = senders.find((s) => s.track && s.track.kind === "video").track;
  const shown = document.querySelector("#publish-tee-1 video").srcObject.getVideoTracks()[0];
  const sessions = window.pcs.length;
  const cap = senders.find((s) => s.track === track).getParameters().encodings[0].maxBitrate;
  return {height: track.getSettings().height, sameTrack: track === shown, sessions, cap};
})()"""


def test_the_panel_goes_live_recovers_a_dropped_connection_and_stops_sending(
    live_server, camera_context, event, staff_user, settings
):
    settings.LIVEKIT_WHIP_URL = ""
    settings.LIVE_WHIP_PUBLIC_URL = f"{live_server.url}/whip"  # as through nginx
    tee = create_camera(event, "tee-1", "1st tee", source=Source.LIVEKIT)
    make, messages = camera_context
    # bypass_csp: for axe (the CSP is checked by the tests against the real runwhip).
    context = make(viewport={"width": 375, "height": 812}, bypass_csp=True)
    answerer = context.new_page()
    answerer.goto(f"{live_server.url}/accounts/login/")
    requests = []

    def whip(route, request):
        requests.append((request.method, request.url, request.headers))
        if request.method == "POST":
            sdp = answerer.evaluate(ANSWER_JS, request.post_data)
            route.fulfill(
                status=201,
                headers={
                    "Location": f"/whip/{tee.ingest_name}/s1",
                    "Content-Type": "application/sdp",
                },
                body=sdp,
            )
        else:
            route.fulfill(status=200, body="")

    page = context.new_page()
    page.add_init_script(KEEP_PCS_JS)
    page.route("**/whip/**", whip)
    log_in(page, live_server.url, "marshal", "pw-marshal-123", f"/events/{event.pk}/live-host")
    panel = page.locator("#publish-tee-1")
    panel.get_by_role("button", name="Go live from this device as 1st tee").click()
    panel.get_by_text("Live from this device.").wait_for()
    page.locator("#publish-announce", has_text="1st tee: Live from this device.").wait_for()
    assert Broadcast.objects.get(camera=tee, stopped_at__isnull=True).source == Source.LIVEKIT
    stats = "document.querySelector('#publish-tee-1 [data-publish-stats]').textContent"
    page.wait_for_function(f"() => /kb\\/s · \\d+×\\d+ · \\d+ fps/.test({stats})")
    assert sorted(answerer.evaluate("window.received")) == ["audio", "video"]
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert_no_axe_violations(page)  # the open panel, live, with its preview and readout

    # The far end stops answering (a dead network path): once ICE notices (consent
    # checks, some seconds) and 3 s more, the page publishes again by itself.
    page.evaluate(SAID_JS)
    answerer.evaluate("window.answerers.forEach((pc) => pc.close())")
    page.wait_for_function(
        "() => window.said.includes('1st tee: Live from this device.')", timeout=30_000 * PATIENCE
    )
    assert page.evaluate("window.said") == [
        "1st tee: Reconnecting…",
        "1st tee: Live from this device.",
    ]
    assert [method for method, _, _ in requests] == ["POST", "DELETE", "POST"]

    # A lower resolution while live: the new picture goes into the same session.
    panel.get_by_label("Resolution").select_option("480")
    page.wait_for_function(f"() => ({SENT_JS}).height === 480 && ({SENT_JS}).cap === 1200000")
    sent = page.evaluate(SENT_JS)
    assert sent["sameTrack"] and sent["sessions"] == 2 and sent["cap"] == 1_200_000
    assert [method for method, _, _ in requests] == ["POST", "DELETE", "POST"]

    panel.get_by_role("button", name="Stop sending from this device to 1st tee").click()
    panel.get_by_text("Stopped sending from this device.").wait_for()
    page.wait_for_function(
        "() => document.activeElement.matches('#publish-tee-1 [data-publish-state]')"
    )
    methods = [method for method, _, _ in requests]
    assert methods == ["POST", "DELETE", "POST", "DELETE"], methods
    for _, url, headers in requests:
        assert tee.stream_key not in url
        assert headers["authorization"] == f"Bearer {tee.stream_key}"
    assert not [m for m in messages if tee.stream_key in m]
    preview = "document.querySelector('#publish-tee-1 video').srcObject"
    assert page.evaluate(f"{preview} === null")  # the device's camera is let go

    # Preview to aim, without sending; Camera off lets the camera go again.
    panel.get_by_role("button", name="Preview this device's camera for 1st tee").click()
    panel.get_by_text("Camera on: not sending yet.").wait_for()
    assert page.evaluate(f"{preview}.getVideoTracks()[0].readyState") == "live"
    panel.get_by_role("button", name="Camera off (this device's, for 1st tee)").click()
    panel.get_by_text("Camera off.").wait_for()
    assert page.evaluate(f"{preview} === null")
    assert len(requests) == 4  # nothing was sent


def test_a_browser_that_cannot_send_says_so_instead_of_offering_go_live(
    live_server, camera_context, event, staff_user, settings
):
    # As on a phone that opened the page over plain HTTP: no camera access there.
    settings.LIVEKIT_WHIP_URL = ""
    make, _ = camera_context
    context = make(viewport={"width": 375, "height": 812})
    context.add_init_script("delete Navigator.prototype.mediaDevices")
    page = context.new_page()
    log_in(page, live_server.url, "marshal", "pw-marshal-123", f"/events/{event.pk}/live-host")

    panel = page.locator("#publish-main")
    panel.locator("summary").click()
    panel.get_by_text("This browser cannot send its camera from this page").wait_for()
    assert panel.get_by_role("button", name="Go live from this device as Main camera").count() == 0
