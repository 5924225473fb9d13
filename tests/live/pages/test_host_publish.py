"""The host page's "Broadcast from this device": which cards offer it, what it holds."""

import re

import pytest

from live.models import Source
from live.services.cameras import create_camera
from live.services.lifecycle import start_broadcast

HOST = "/events/open-2026/live-host"


@pytest.fixture(autouse=True)
def teecam_whip(settings):
    settings.LIVEKIT_WHIP_URL = ""  # teecam's own WHIP process serves the livekit source
    settings.LIVE_WHIP_PUBLIC_URL = "https://tee.example.com/whip"


def panel_of(html, slug):
    found = re.search(rf'<details class="publish" id="publish-{slug}".*?</details>', html, re.S)
    return found.group(0) if found else None


def test_every_idle_card_offers_it_and_the_whip_camera_has_it_open(staff_client, event):
    whip = create_camera(event, "tee-1", "1st tee", source=Source.LIVEKIT)

    html = staff_client.get(HOST).content.decode()

    panel = panel_of(html, "tee-1")
    assert f'data-whip-url="https://tee.example.com/whip/{whip.ingest_name}"' in panel
    assert 'data-on-air="false"' in panel and " open>" in panel
    assert 'Go live<span class="visually-hidden"> from this device as 1st tee</span>' in panel
    # The mock camera may go live from a phone too, but that is not what it is set up for.
    main = panel_of(html, "main")
    assert main is not None and " open>" not in main


def test_the_stream_key_is_in_the_panel_but_in_no_url(staff_client, event):
    whip = create_camera(event, "tee-1", "1st tee", source=Source.LIVEKIT)

    html = staff_client.get(HOST).content.decode()

    panel = panel_of(html, "tee-1")
    assert f'<input type="hidden" data-publish-key value="{whip.stream_key}">' in panel
    urls = re.findall(r'(?:href|src|action|data-[a-z-]*url)="([^"]*)"', html)
    assert urls and not [url for url in urls if whip.stream_key in url]


def test_a_camera_live_from_another_source_does_not_offer_it(staff_client, event):
    tee = create_camera(event, "tee-1", "1st tee", source=Source.LIVEKIT)
    start_broadcast(tee, Source.RTMP, "test")  # OBS sends this camera now

    html = staff_client.get(HOST).content.decode()

    assert panel_of(html, "tee-1") is None
    assert panel_of(html, "main") is not None


def test_an_outside_livekit_takes_its_own_keys_so_no_card_offers_it(staff_client, event, settings):
    settings.LIVEKIT_WHIP_URL = "https://livekit.example.com/w"
    create_camera(event, "tee-1", "1st tee", source=Source.LIVEKIT)

    html = staff_client.get(HOST).content.decode()

    assert "data-publish " not in html


def test_a_whip_process_elsewhere_gets_its_origin_into_the_pages_csp(
    staff_client, event, settings
):
    settings.LIVE_WHIP_PUBLIC_URL = "https://whip.example.com:8443/whip"
    whip = create_camera(event, "tee-1", "1st tee", source=Source.LIVEKIT)

    response = staff_client.get(HOST)

    assert f'data-whip-url="https://whip.example.com:8443/whip/{whip.ingest_name}"' in (
        response.content.decode()
    )
    connect = re.search(r"connect-src ([^;]*)", response["Content-Security-Policy"]).group(1)
    assert connect.split() == ["'self'", "https://whip.example.com:8443"]


def test_an_outside_livekit_adds_nothing_to_the_csp(staff_client, event, settings):
    settings.LIVEKIT_WHIP_URL = "https://livekit.example.com/w"

    response = staff_client.get(HOST)

    connect = re.search(r"connect-src ([^;]*)", response["Content-Security-Policy"]).group(1)
    assert connect.split() == ["'self'"]
