"""Checking a WHIP offer and adjusting the answer.

aiortc answers almost any text with a 201, so the offer is checked here first:
SDP, with a video section offering a codec we take (H.264 or VP8).

The answer loses ``goog-remb`` and ``abs-send-time`` and gains a start-bitrate
hint: aiortc only does REMB, with which a browser on a busy machine stayed at
200-300 kbit/s for half a minute; without it the browser's own loss-based
control reached 2.5 Mbit/s within about 10 s.
"""

import re

MAX_OFFER_BYTES = 64 * 1024
VIDEO_CODECS = ("h264", "vp8")
START_BITRATE_KBPS = 1500


class BadOffer(ValueError):
    pass


def media_kinds(sdp):
    return [line.split()[0][2:] for line in sdp.splitlines() if line.startswith("m=")]


def video_codec(sdp):
    """The codec the video section settled on (its first payload type), lower case."""
    match = re.search(r"^m=video \S+ \S+ (\d+)", sdp, re.M)
    if not match:
        return ""
    name = re.search(rf"^a=rtpmap:{match.group(1)} ([^/\s]+)/", sdp, re.M)
    return name.group(1).lower() if name else ""


def check_offer(body: bytes):
    """The offer as text, or BadOffer naming what is wrong with it."""
    if not body:
        raise BadOffer("The body is empty: send the SDP offer.")
    if len(body) > MAX_OFFER_BYTES:
        raise BadOffer(f"The offer is larger than {MAX_OFFER_BYTES} bytes.")
    try:
        sdp = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadOffer("The offer is not UTF-8 text.")
    if "\x00" in sdp or not sdp.lstrip().startswith("v=0"):
        raise BadOffer("The body is not an SDP offer (it must start with v=0).")
    kinds = media_kinds(sdp)
    if "video" not in kinds:
        raise BadOffer("The offer has no video (m=video) section.")
    codecs = {name.lower() for name in re.findall(r"^a=rtpmap:\d+ ([^/\s]+)/", sdp, re.M)}
    if not codecs & set(VIDEO_CODECS):
        raise BadOffer("The offer's video is neither H.264 nor VP8.")
    if sdp.count("\r\n") == 0:
        # Some hand-written offers use bare newlines; aiortc wants CRLF.
        sdp = sdp.replace("\n", "\r\n")
    return sdp


def adjust_answer(sdp):
    lines = []
    for line in sdp.split("\r\n"):
        if line.startswith("a=rtcp-fb:") and "goog-remb" in line:
            continue
        if line.startswith("a=extmap:") and "abs-send-time" in line:
            continue
        if line.startswith("a=fmtp:") and (
            "profile-level-id" in line or "packetization-mode" in line
        ):
            line += f";x-google-start-bitrate={START_BITRATE_KBPS}"
        lines.append(line)
    text = "\r\n".join(lines)
    return _hint_vp8(text)


def _hint_vp8(sdp):
    """VP8 has no fmtp line of its own: add one carrying the start-bitrate hint."""
    out = []
    for line in sdp.split("\r\n"):
        out.append(line)
        match = re.match(r"a=rtpmap:(\d+) VP8/90000", line, re.I)
        if match and f"a=fmtp:{match.group(1)} " not in sdp:
            out.append(f"a=fmtp:{match.group(1)} x-google-start-bitrate={START_BITRATE_KBPS}")
    return "\r\n".join(out)
