"""A plain WHIP publisher in Python (aiortc): what a test or the bench points at runwhip.

Its video is drawn here (a moving bar on grey, yuv420p, no numpy), optionally
with a hook that stamps each frame just before it is sent (the bench's barcode);
its audio is a 440 Hz tone. aiortc encodes them (VP8 or H.264, as asked) and
sends them over ICE on this machine.
"""

import asyncio
import fractions
import math
import os
import struct
import threading
import time

import aiohttp
import aioice.ice
import av
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AUDIO_PTIME, MediaStreamTrack
from aiortc.rtcrtpsender import RTCRtpSender

# As tests/processes.py: bounds stretch on a busy box (the bench imports this too).
PATIENCE = float(os.environ.get("TEECAM_TEST_PATIENCE", "4"))

VIDEO_CLOCK = 90000
AUDIO_RATE = 48000


def _with_loopback(gather):
    """aioice leaves loopback out of its candidates: a machine whose only address is
    loopback (a CI sandbox) would have none. The publisher (and a WHIP app run in the
    same process) offer it too."""

    def addresses(use_ipv4, use_ipv6):
        found = gather(use_ipv4, use_ipv6)
        return found + ["127.0.0.1"] if use_ipv4 and "127.0.0.1" not in found else found

    return addresses


aioice.ice.get_host_addresses = _with_loopback(aioice.ice.get_host_addresses)


class SyntheticVideo(MediaStreamTrack):
    kind = "video"

    def __init__(self, width=426, height=240, fps=30, stamp=None):
        super().__init__()
        self.width, self.height, self.fps = width, height, fps
        self.stamp = stamp  # stamp(frame, captured_epoch_seconds) draws into the frame
        self.count = 0
        self.start = None
        # Planes are stored with PyAV's padded line sizes.
        probe = av.VideoFrame(width, height, "yuv420p")
        luma_line, chroma_line = probe.planes[0].line_size, probe.planes[1].line_size
        bar = max(8, width // 16)
        # A few pre-drawn luma planes (a bar walking across), reused in turn: drawing
        # 720p frames in pure Python each time would cost the publisher, not the server.
        self.planes = []
        for step in range(16):
            x = step * (width - bar) // 15
            row = bytes([128]) * x + bytes([235]) * bar + bytes([128]) * (luma_line - x - bar)
            self.planes.append(row * height)
        self.chroma = bytes([128]) * (chroma_line * ((height + 1) // 2))

    async def recv(self):
        if self.start is None:
            self.start = time.monotonic()
        due = self.start + self.count / self.fps
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        frame = av.VideoFrame(self.width, self.height, "yuv420p")
        frame.planes[0].update(self.planes[self.count % len(self.planes)])
        frame.planes[1].update(self.chroma)
        frame.planes[2].update(self.chroma)
        if self.stamp is not None:
            self.stamp(frame, time.time())
        frame.pts = self.count * VIDEO_CLOCK // self.fps
        frame.time_base = fractions.Fraction(1, VIDEO_CLOCK)
        self.count += 1
        return frame


class SineAudio(MediaStreamTrack):
    kind = "audio"

    def __init__(self, frequency=440):
        super().__init__()
        self.samples = int(AUDIO_PTIME * AUDIO_RATE)
        self.count = 0
        self.start = None
        period = [
            int(8000 * math.sin(2 * math.pi * frequency * n / AUDIO_RATE))
            for n in range(AUDIO_RATE // frequency * 10)
        ]
        self.period = period

    async def recv(self):
        if self.start is None:
            self.start = time.monotonic()
        due = self.start + self.count * AUDIO_PTIME
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        frame = av.AudioFrame(format="s16", layout="stereo", samples=self.samples)
        first = self.count * self.samples
        values = [self.period[(first + n) % len(self.period)] for n in range(self.samples)]
        frame.planes[0].update(
            struct.pack(f"<{2 * self.samples}h", *[v for v in values for _ in "lr"])
        )
        frame.pts = first
        frame.sample_rate = AUDIO_RATE
        frame.time_base = fractions.Fraction(1, AUDIO_RATE)
        self.count += 1
        return frame


class WhipError(Exception):
    def __init__(self, status, body):
        super().__init__(f"WHIP answered {status}: {body}")
        self.status = status
        self.body = body


class WhipPublisher:
    """POST an offer, keep the session, DELETE it on close."""

    def __init__(
        self, url, token, codec="VP8", video=None, audio=True, close_timeout=5, ssl_context=None
    ):
        self.close_timeout = close_timeout
        # HTTPS: the context that trusts the server's certificate (None: the default).
        self.ssl = ssl_context if ssl_context is not None else True
        self.url = url
        self.token = token
        self.codec = codec
        self.video = video or SyntheticVideo()
        self.audio = SineAudio() if audio else None
        self.pc = None
        self.location = None

    async def publish(self):
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        transceiver = self.pc.addTransceiver(self.video, direction="sendonly")
        codecs = RTCRtpSender.getCapabilities("video").codecs
        transceiver.setCodecPreferences(
            [c for c in codecs if c.mimeType.lower() == f"video/{self.codec.lower()}"]
        )
        if self.audio is not None:
            self.pc.addTransceiver(self.audio, direction="sendonly")
        await self.pc.setLocalDescription(await self.pc.createOffer())
        headers = {"Content-Type": "application/sdp"}
        if self.token is not None:
            headers["Authorization"] = f"Bearer {self.token}"
        async with aiohttp.ClientSession() as http:
            async with http.post(
                self.url, data=self.pc.localDescription.sdp, headers=headers, ssl=self.ssl
            ) as response:
                body = await response.text()
                if response.status != 201:
                    await self.pc.close()
                    raise WhipError(response.status, body)
                self.location = response.headers["Location"]
        await self.pc.setRemoteDescription(RTCSessionDescription(body, "answer"))
        return self.location

    async def wait_connected(self, timeout=15):
        """Until ICE and DTLS are up (aiortc cannot close a sender cleanly before)."""
        timeout *= PATIENCE
        deadline = time.monotonic() + timeout
        while self.pc.connectionState != "connected":
            if time.monotonic() > deadline or self.pc.connectionState in ("failed", "closed"):
                raise AssertionError(
                    f"WHIP connection {self.pc.connectionState} after {timeout} s"
                )
            await asyncio.sleep(0.05)

    async def close(self, send_delete=True):
        if send_delete and self.location:
            base = self.url.split("/whip/")[0]
            async with aiohttp.ClientSession() as http:
                async with http.delete(
                    base + self.location,
                    headers={"Authorization": f"Bearer {self.token}"},
                    ssl=self.ssl,
                ) as response:
                    await response.read()
                    status = response.status
        else:
            status = None
        if self.pc is not None:
            # aiortc can wait forever for a sender task that never ran (seen when the
            # server closed first): bounded, like the server's own close.
            try:
                await asyncio.wait_for(self.pc.close(), self.close_timeout)
            except asyncio.TimeoutError:
                pass
        return status


class PublisherThread:
    """A WhipPublisher on an event loop of its own, for tests and benches that wait
    synchronously (for segments, for the database) while it sends."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def call(self, coroutine, timeout=30):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def publish(self, publisher, connected=True):
        async def start():
            location = await publisher.publish()
            if connected:
                await publisher.wait_connected()
            return location

        return self.call(start())

    def close(self):
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
