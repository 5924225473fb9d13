"""One WHIP publish: its peer connection, the tasks that feed the HLS writer, its end.

A session ends on DELETE, when the peer connection fails or closes, when no
media arrived for LIVE_WHIP_MEDIA_TIMEOUT_SECONDS (a closed tab sends neither
BYE nor DELETE, and ICE consent takes about 28 s to expire), or when the
broadcast stops or the camera's key is rotated. The broadcast itself stays
live: the packager sees the segments stop, shows "reconnecting", and ends it
after the reconnect window unless a new session continues it.
"""

import asyncio
import logging
import secrets
import time

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError
from aiortc.rtcrtpreceiver import RTCRtpReceiver
from asgiref.sync import sync_to_async
from django.conf import settings

from live.services.publishing import still_publishing
from live.workers.whip.hls_writer import HlsWriter, whip_ffmpeg_command
from live.workers.whip.sdp import adjust_answer, media_kinds, video_codec

logger = logging.getLogger("live.whip")

FIRST_MEDIA_SECONDS = 15  # ICE and DTLS first; a phone on a slow network needs a while
CHECK_SECONDS = 2  # how often the broadcast and key are checked
CLOSE_SECONDS = 5


def _preferred(kind, passthrough):
    codecs = RTCRtpReceiver.getCapabilities(kind).codecs
    if kind == "audio":
        order = ["audio/opus"]
    else:
        order = ["video/H264", "video/VP8"] if passthrough else ["video/VP8", "video/H264"]
    ranked = [c for name in order for c in codecs if c.mimeType.lower() == name.lower()]
    # RTX rides along with the codecs it repairs.
    return ranked + [c for c in codecs if c.mimeType.lower() == f"{kind}/rtx"]


class UnusableOffer(ValueError):
    """An offer aiortc could not negotiate: the publisher's fault (400), not ours."""


class Session:
    def __init__(self, camera, broadcast, address):
        self.id = secrets.token_urlsafe(16)
        self.ingest_name = camera.ingest_name
        self.camera_slug = camera.slug
        self.stream_key = camera.stream_key
        self.broadcast = broadcast
        self.address = address
        self.pc = None
        self.writer = None
        self.tasks = []
        self.started = time.monotonic()
        self.last_media = None
        self.first_video = asyncio.Event()
        self.closing = None
        self.on_closed = None

    def __str__(self):
        return f"WHIP session {self.id[:6]}… of {self.camera_slug} (broadcast {self.broadcast.pk})"

    async def answer(self, offer_sdp):
        """The SDP answer for the offer (all our candidates in it: no trickle)."""
        kinds = media_kinds(offer_sdp)
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        passthrough = settings.LIVE_WHIP_PASSTHROUGH
        # Transceivers and codec preferences before the offer, or aiortc ignores them.
        for kind in ("video", "audio"):
            if kind in kinds:
                transceiver = self.pc.addTransceiver(kind, direction="recvonly")
                transceiver.setCodecPreferences(_preferred(kind, passthrough))

        @self.pc.on("track")
        def on_track(track):
            self.tasks.append(asyncio.ensure_future(self._consume(track)))

        @self.pc.on("connectionstatechange")
        async def on_state():
            if self.pc.connectionState in ("failed", "closed"):
                await self.close(f"connection {self.pc.connectionState}")

        try:
            await self.pc.setRemoteDescription(RTCSessionDescription(offer_sdp, "offer"))
            await self.pc.setLocalDescription(await self.pc.createAnswer())
        except OSError:
            raise  # no port for ICE: ours, not the offer's
        except Exception as exc:
            # aiortc meets a malformed offer with whatever its parser hits first
            # (ValueError, IndexError, AssertionError, KeyError, RuntimeError…).
            raise UnusableOffer(f"{type(exc).__name__}: {exc}"[:200]) from exc
        answer = self.pc.localDescription.sdp
        # H.264 is copied when pass-through is on (passthrough.py decides the same way).
        copy_video = passthrough and video_codec(answer) == "h264"
        command = await sync_to_async(whip_ffmpeg_command)(self.broadcast, copy_video)
        self.writer = HlsWriter(self.broadcast, command, copy_video, has_audio="audio" in kinds)
        self.tasks.append(asyncio.ensure_future(self._watch()))
        if passthrough:
            self.tasks.append(asyncio.ensure_future(self._ask_for_keyframes()))
        return adjust_answer(answer)

    async def _consume(self, track):
        while True:
            try:
                item = await track.recv()
            except MediaStreamError:
                return
            self.last_media = time.monotonic()
            if track.kind == "video":
                self.first_video.set()
            self.writer.put(track.kind, item)

    async def _watch(self):
        timeout = settings.LIVE_WHIP_MEDIA_TIMEOUT_SECONDS
        check = sync_to_async(still_publishing)
        next_check = 0.0
        while True:
            await asyncio.sleep(0.5)
            now = time.monotonic()
            if self.last_media is None:
                if now - self.started > FIRST_MEDIA_SECONDS:
                    return await self.close("no media arrived")
            elif now - self.last_media > timeout:
                return await self.close(f"no media for {timeout} s")
            if now >= next_check:
                next_check = now + CHECK_SECONDS
                if not await check(self.broadcast.pk, self.stream_key):
                    return await self.close("the broadcast stopped or the key was rotated")

    async def _ask_for_keyframes(self):
        """A keyframe each segment: browsers send one only when asked, and copied
        H.264 can only be cut into segments at keyframes. Counted from the first
        picture (a keyframe), so the first segment is one segment long."""
        await self.first_video.wait()
        while True:
            await asyncio.sleep(settings.LIVE_SEGMENT_SECONDS)
            for transceiver in self.pc.getTransceivers():
                if transceiver.kind != "video":
                    continue
                for source in transceiver.receiver.getSynchronizationSources():
                    await transceiver.receiver._send_rtcp_pli(source.source)

    async def close(self, reason):
        """Ends the session (once; later calls wait for the first)."""
        if self.closing is None:
            self.closing = asyncio.ensure_future(self._close(reason))
        await asyncio.shield(self.closing)

    async def _close(self, reason):
        logger.info("%s ended: %s", self, reason)
        try:
            current = asyncio.current_task()
            for task in self.tasks:
                if task is not current and not task.done():
                    task.cancel()
            if self.pc is not None:
                try:
                    # aiortc can wait forever for a sender or receiver task that never
                    # started; the session must end regardless, or the camera stays busy.
                    await asyncio.wait_for(self.pc.close(), CLOSE_SECONDS)
                except asyncio.TimeoutError:
                    logger.warning("%s: the peer connection did not close in time", self)
                except Exception:
                    # A half-negotiated connection (a malformed offer) can raise here.
                    logger.warning("%s: the peer connection failed to close", self, exc_info=True)
            if self.writer is not None:
                await asyncio.get_running_loop().run_in_executor(None, self.writer.close)
        finally:
            # Whatever failed above, the session leaves the registry: a session that
            # stayed would hold its camera (409) and a place of LIVE_WHIP_MAX_SESSIONS.
            if self.on_closed is not None:
                self.on_closed(self)
