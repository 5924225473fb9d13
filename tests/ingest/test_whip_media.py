"""The WHIP process's media pieces, without WebRTC: the HLS writer with real ffmpeg
(the transcode path, a phone turning, audio and video on one clock), the
pass-through timestamp guard, and the offer and answer checks."""

import re
import fractions

import av
import pytest
from aiortc.rtcrtpreceiver import TimestampMapper

from live.services.cameras import default_camera
from live.services.paths import output_dir_for
from live.services.lifecycle import start_broadcast
from live.services.nginx_config import NginxOptions, render_nginx_config
from live.workers.whip import passthrough
from live.workers.whip.hls_writer import HlsWriter, whip_ffmpeg_command
from live.workers.whip.sdp import BadOffer, adjust_answer, check_offer, video_codec
from tests.ingest.support import probe_codecs, wait_for_playable_segments
from tests.ingest.whip_client import SineAudio, SyntheticVideo
from tests.processes import run_coroutine

pytestmark = [pytest.mark.ingest]


def _frames(track, count):
    track.start = float("-inf")  # all due now: no real-time pacing

    async def take():
        return [await track.recv() for _ in range(count)]

    return run_coroutine(take())


def test_decoded_frames_are_transcoded_into_playable_hls_on_one_clock(db, event, settings):
    settings.LIVEKIT_WHIP_URL = ""
    broadcast, _ = start_broadcast(default_camera(event.pk), "livekit", "staff:marshal")
    # 3 s of a 320x240 picture that turns to 240x320 half way, with its sound.
    video = _frames(SyntheticVideo(320, 240, fps=30), 45) + _frames(
        SyntheticVideo(240, 320, fps=30), 45
    )
    audio = _frames(SineAudio(), 150)
    writer = HlsWriter(broadcast, whip_ffmpeg_command(broadcast, copy_video=False), False)
    for index, frame in enumerate(video):
        # aiortc's per-track clocks: video 90 kHz from 0, audio 48 kHz from 0.
        frame.pts, frame.time_base = index * 3000, fractions.Fraction(1, 90000)
        writer.put("video", frame)
        for sound in audio[index * 5 // 3 : (index + 1) * 5 // 3]:
            writer.put("audio", sound)
    writer.close()

    folder = output_dir_for(broadcast)
    names = wait_for_playable_segments(folder, count=2, timeout=10)
    assert writer.process.returncode == 0
    assert probe_codecs(folder / names[-1]) == {"video": "h264", "audio": "aac"}
    with av.open(str(folder / names[-1])) as media:
        stream = media.streams.video[0]
        assert (stream.width, stream.height) == (320, 240)  # kept the first size
    assert "#EXT-X-ENDLIST" not in (folder / "index.m3u8").read_text()


def test_the_timestamp_guard_takes_a_step_back_for_a_step_back_and_wraps_only_at_2_32():
    passthrough.install()
    mapper = TimestampMapper()
    assert mapper.map(1000) == 0
    assert mapper.map(4000) == 3000
    assert mapper.map(2500) == 1500  # a B-frame: before, not 2^32 later
    assert mapper.map(7000) == 6000
    wrapping = TimestampMapper()
    wrapping.map(2**32 - 1500)
    assert wrapping.map(1500) == 3000  # through the wrap


def test_encoded_units_know_their_keyframes():
    idr = b"\x00\x00\x00\x01\x67\x42" + b"\x00\x00\x00\x01\x68\xce" + b"\x00\x00\x01\x65\x88"
    delta = b"\x00\x00\x00\x01\x41\x9a"
    assert passthrough.EncodedVideo(idr, 0).keyframe
    assert not passthrough.EncodedVideo(delta, 0).keyframe


OFFER = (
    "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96 102\r\nc=IN IP4 0.0.0.0\r\n"
    "a=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 goog-remb\r\n"
    "a=rtpmap:102 H264/90000\r\na=fmtp:102 packetization-mode=1;profile-level-id=42e01f\r\n"
    "a=extmap:3 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n"
)


def test_offers_are_checked_and_answers_lose_remb_and_gain_a_start_bitrate():
    assert check_offer(OFFER.encode()) == OFFER
    assert check_offer(OFFER.replace("\r\n", "\n").encode()) == OFFER
    with pytest.raises(BadOffer, match="neither H.264 nor VP8"):
        check_offer(OFFER.replace("VP8", "AV1").replace("H264", "H265").encode())
    with pytest.raises(BadOffer, match="larger than"):
        check_offer(b"v=0\r\n" + b"a" * 70000)
    answer = adjust_answer(OFFER)
    assert "goog-remb" not in answer and "abs-send-time" not in answer
    assert "profile-level-id=42e01f;x-google-start-bitrate=1500" in answer
    assert "a=fmtp:96 x-google-start-bitrate=1500" in answer
    assert video_codec(answer) == "vp8"


def test_the_rendered_nginx_proxies_whip_to_the_whip_process_unbuffered(data_dir, settings):
    settings.LIVE_WHIP_LISTEN = "127.0.0.1:18889"
    text = render_nginx_config(NginxOptions(prefix="/tmp/teecam-nginx-test"))
    block = text[text.index("location /whip/ {") :]
    block = block[: block.index("}")]
    assert "proxy_pass http://127.0.0.1:18889;" in block
    assert "proxy_buffering off;" in block and "proxy_request_buffering off;" in block
    other = render_nginx_config(
        NginxOptions(prefix="/tmp/teecam-nginx-test", whip_upstream="10.0.0.5:8889")
    )
    assert "proxy_pass http://10.0.0.5:8889;" in other
    none = render_nginx_config(NginxOptions(prefix="/tmp/teecam-nginx-test", whip=False))
    assert "location /whip/" not in none


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("LIVE_WHIP_UDP_PORTS", "abc", "LIVE_WHIP_UDP_PORTS must be a range like 40000-40199"),
        ("LIVE_WHIP_UDP_PORTS", "40199-40000", "LIVE_WHIP_UDP_PORTS must be a range"),
        ("LIVE_WHIP_UDP_PORTS", "70000-70010", "LIVE_WHIP_UDP_PORTS must be a range"),
        ("LIVE_WHIP_ICE_ADDRESS", "tee.example.com", "'tee.example.com' is not an IPv4 address"),
        ("LIVE_WHIP_ICE_ADDRESS", "10.0.0.5;x", "'10.0.0.5;x' is not an IPv4 address"),
    ],
)
def test_runwhip_refuses_bad_ice_settings_by_name(settings, name, value, message):
    from django.core.management import CommandError, call_command

    setattr(settings, name, value if name == "LIVE_WHIP_UDP_PORTS" else [value])
    with pytest.raises(CommandError, match=re.escape(message)):
        call_command("runwhip", "--listen", "127.0.0.1:1")
