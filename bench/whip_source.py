"""The WHIP rows of bench/ingest.py: a stamped WebRTC publisher and what it measures.

The camera is tests/ingest/whip_client.py's aiortc publisher, in this process on
an event loop of its own: 720p30 frames (a bar walking across grey) with the same
barcode as the other sources written into their top rows just before aiortc
encodes them, H.264 (``whip``: the WHIP process copies it) or VP8 (``whip-vp8``:
the WHIP process decodes it and its ffmpeg encodes x264 veryfast zerolatency),
and Opus from a 440 Hz tone. ICE runs over loopback.

CPU and RSS are those of ``manage.py runwhip`` and its ffmpeg together: the
WHIP process depacketizes (and for VP8 decodes) and muxes; its ffmpeg makes AAC
(and for VP8 H.264) and writes the HLS.
"""

import sys
import threading
import time

from harness import BASE_DIR

sys.path.insert(0, str(BASE_DIR))
from tests.ingest.whip_client import (  # noqa: E402
    PublisherThread,
    SyntheticVideo,
    WhipPublisher,
)

# source name -> the codec the publisher sends
WHIP_SOURCES = {"whip": "H264", "whip-vp8": "VP8"}
PATHS = {
    "whip": "aiortc publisher → WebRTC → runwhip (H.264 copied, Opus → AAC) → HLS",
    "whip-vp8": "aiortc publisher → WebRTC → runwhip (VP8 decoded) → ffmpeg x264 → HLS",
}


class _Running:
    """What the bench asks of a camera's process while waiting for a segment."""

    code = None

    def poll(self):
        return self.code


class WhipCamera:
    def __init__(self, url, token, codec, size, band, barcode_row):
        width, height = size
        self.band, self.barcode_row = band, barcode_row
        self.first_frame_at = None
        self.dropped_frames = 0  # the publisher sends late frames late, never drops them
        self.process = _Running()
        video = SyntheticVideo(width, height, fps=30, stamp=self._stamp)
        self.publisher = WhipPublisher(url, token, codec=codec, video=video)
        self.sender = PublisherThread()
        self.sender.publish(self.publisher, connected=False)

    def _stamp(self, frame, captured):
        if self.first_frame_at is None:
            self.first_frame_at = captured
        top = self.barcode_row(int(captured * 1000)) * self.band
        memoryview(frame.planes[0])[: len(top)] = top

    def stop(self):
        try:
            self.sender.call(self.publisher.close(), timeout=15)
        finally:
            self.sender.close()
            self.process.code = 0


def measure_together(pids, measure, seconds=10.0):
    """(CPU % of one core, RSS in MB) of several processes over the same seconds."""
    results = {}
    threads = [
        threading.Thread(target=lambda pid=pid: results.update({pid: measure(pid, seconds)}))
        for pid in pids
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 30)
    return (
        sum(cpu for cpu, _ in results.values()),
        sum(rss for _, rss in results.values()),
    )


def wait_ffmpeg_child(parent_pid, children_of, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for pid in children_of(parent_pid):
            try:
                with open(f"/proc/{pid}/comm") as comm:
                    if comm.read().strip() == "ffmpeg":
                        return pid
            except OSError:
                pass
        time.sleep(0.1)
    raise SystemExit("the WHIP process runs no ffmpeg")
