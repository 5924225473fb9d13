"""Patches to aiortc's receiver that let H.264 through without a second encode.

aiortc hands out decoded frames only. The receiver looks its decoder up with
``get_decoder``: for H.264 (when LIVE_WHIP_PASSTHROUGH is on) the lookup here
returns a decoder that returns the encoded access unit itself, so the track
yields ``EncodedVideo`` items the HLS writer muxes as they are. Everything
else (VP8, audio) is decoded as before.

aiortc also takes any backwards RTP timestamp for a 32-bit wrap, so a
publisher sending B-frames makes a pts jump of 2^32 (an ffmpeg that then
fills the gap with frames): only a step back from near the top of the range
counts as a wrap here.
"""

from dataclasses import dataclass
from fractions import Fraction

import aiortc.rtcrtpreceiver as receiver_module
from django.conf import settings

VIDEO_TIME_BASE = Fraction(1, 90000)
IDR, SPS = 5, 7
WRAP = 1 << 32


@dataclass
class EncodedVideo:
    """One H.264 access unit (Annex B) with its RTP-clock timestamp."""

    data: bytes
    pts: int
    time_base: Fraction = VIDEO_TIME_BASE

    @property
    def keyframe(self):
        return any(nal_type in (IDR, SPS) for nal_type in nal_types(self.data))


def nal_types(data):
    """The NAL unit types of an Annex B access unit."""
    found = []
    start = data.find(b"\x00\x00\x01")
    while start != -1 and start + 3 < len(data):
        found.append(data[start + 3] & 0x1F)
        start = data.find(b"\x00\x00\x01", start + 3)
    return found


class PassThroughDecoder:
    def decode(self, encoded_frame):
        return [EncodedVideo(bytes(encoded_frame.data), encoded_frame.timestamp)]


def guarded_map(self, timestamp):
    """TimestampMapper.map that takes a step back for a step back (B-frames,
    reordering), and only a step forward across 2^32 for a wrap."""
    if self._origin is None:
        self._origin = self._last = timestamp
        return 0
    step = (timestamp - self._last) % WRAP
    if step < WRAP // 2:
        if timestamp < self._last:
            self._origin -= WRAP  # a real wrap: the clock went past 2^32
        self._last = timestamp
        return timestamp - self._origin
    return self._last - self._origin - (WRAP - step)


_installed = False


def install():
    global _installed
    if _installed:
        return
    original = receiver_module.get_decoder

    def get_decoder(codec):
        if codec.mimeType.lower() == "video/h264" and settings.LIVE_WHIP_PASSTHROUGH:
            return PassThroughDecoder()
        return original(codec)

    receiver_module.get_decoder = get_decoder
    receiver_module.TimestampMapper.map = guarded_map
    _installed = True
