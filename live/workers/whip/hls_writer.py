"""A WHIP session's picture and sound into the broadcast's live HLS, as the packager's
ffmpeg writes it for SRT (same folder, flags, numbering, reconnect rule).

aiortc's tracks are muxed here into NUT on an ffmpeg's stdin, in a thread of its
own so that a slow pipe never stalls the event loop. H.264 the publisher sent
(``EncodedVideo``) is copied; decoded video (VP8, or H.264 with pass-through
off) goes as raw frames and ffmpeg encodes it with x264 veryfast zerolatency;
Opus arrives decoded and ffmpeg makes AAC of it.

aiortc's timestamps are per track and start at 0: each track is put on one
wall-clock origin at its first item, so sound and picture stay together, and
a jump of more than ``MAX_JUMP_SECONDS`` re-anchors the track instead of
leaving a gap an encoder would fill.
"""

import logging
import queue
import subprocess
import threading
import time
from fractions import Fraction

import av

from live.workers.child_processes import spawn_marked, terminate
from live.workers.ffmpeg_command import hls_output, transcode_codecs
from live.services.paths import LOG_SUFFIX, output_dir_for
from live.services.media import PLAYLIST
from live.workers.whip.passthrough import EncodedVideo

logger = logging.getLogger("live.whip")

WHIP_MARKER = "TEECAM_WHIP_BROADCAST"  # not the packager's: it must not reap these
VIDEO_TIME_BASE = Fraction(1, 90000)
AUDIO_RATE = 48000
AUDIO_TIME_BASE = Fraction(1, AUDIO_RATE)
MAX_JUMP_SECONDS = 5
QUEUE_ITEMS = 600  # about 10 s of 30 fps video with its audio


def whip_ffmpeg_command(broadcast, copy_video):
    """The ffmpeg reading a session's NUT on stdin. Asks the database (is the broadcast
    recorded?): build it in a thread, not on the event loop."""
    folder = output_dir_for(broadcast)
    folder.mkdir(parents=True, exist_ok=True)
    # A publisher coming back within the reconnect window continues the playlist.
    resume = (folder / PLAYLIST).exists()
    codecs = ["-c:v", "copy", "-c:a", "aac", "-b:a", "128k"] if copy_video else transcode_codecs()
    return [
        "ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-loglevel", "info",
        "-analyzeduration", "500000", "-probesize", "500000",
        "-f", "nut", "-i", "pipe:0",
        "-map", "0:v:0", "-map", "0:a:0?",
        "-fps_mode", "passthrough",
        *codecs,
        *hls_output(broadcast, resume),
    ]  # fmt: skip


class TrackClock:
    """Maps one track's timestamps onto the session's wall clock (seconds)."""

    def __init__(self, origin):
        self.origin = origin
        self.offset = None
        self.last_seconds = None

    def seconds(self, item_seconds, arrival):
        jumped = (
            self.last_seconds is not None
            and abs(item_seconds - self.last_seconds) > MAX_JUMP_SECONDS
        )
        if self.offset is None or jumped:
            self.offset = (arrival - self.origin) - item_seconds
        self.last_seconds = item_seconds
        return item_seconds + self.offset


class HlsWriter:
    """Started from the event loop's thread: ffmpeg gets SIGKILL when the thread that
    started it ends (PR_SET_PDEATHSIG follows the thread), so never from the writer's."""

    def __init__(self, broadcast, command, copy_video, has_audio=True):
        self.broadcast = broadcast
        self.copy_video = copy_video
        self.has_audio = has_audio
        self.items = queue.Queue(maxsize=QUEUE_ITEMS)
        self.dropped = 0
        self.closed = False
        self.process = self._start_ffmpeg(command)
        self.thread = threading.Thread(target=self._run, daemon=True, name="whip-hls")
        self.thread.start()

    # Called from the event loop -----------------------------------------

    def put(self, kind, item):
        if self.closed:
            return
        try:
            self.items.put_nowait((kind, item, time.monotonic()))
        except queue.Full:
            self.dropped += 1
            if self.dropped in (1, 100, 1000):
                logger.warning(
                    "broadcast %s: HLS writer behind, %s items dropped",
                    self.broadcast.pk,
                    self.dropped,
                )

    def close(self, timeout=5.0):
        """Ends the output (ffmpeg sees end of input and finishes its segment); blocks."""
        self.closed = True
        self.items.put((None, None, None))
        self.thread.join(timeout)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            terminate(self.process)
        logger.info(
            "broadcast %s: WHIP ffmpeg %s exited with %s",
            self.broadcast.pk,
            self.process.pid,
            self.process.returncode,
        )

    # The writer thread --------------------------------------------------

    def _run(self):
        container = None
        try:
            container = self._mux_until_closed()
        except (BrokenPipeError, av.FFmpegError, OSError) as exc:
            logger.warning("broadcast %s: WHIP HLS output failed: %s", self.broadcast.pk, exc)
        finally:
            self.closed = True
            if container is not None:
                try:
                    container.close()
                except (av.FFmpegError, OSError):
                    pass
            try:
                self.process.stdin.close()
            except OSError:
                pass

    def _mux_until_closed(self):
        container = video = audio = None
        clocks = {}
        last_pts = {}
        while True:
            kind, item, arrival = self.items.get()
            if kind is None:
                return container
            if container is None:
                if kind != "video" or not self._starts_video(item):
                    continue  # sound before the first picture (or keyframe) is dropped
                container, video, audio = self._open(item)
                origin = arrival
                clocks = {"video": TrackClock(origin), "audio": TrackClock(origin)}
            stream = video if kind == "video" else audio
            if stream is None:
                continue
            seconds = clocks[kind].seconds(float(item.pts * item.time_base), arrival)
            pts = int(seconds / stream.time_base)
            # Strictly increasing per stream, whatever the publisher's clock did.
            if kind in last_pts and pts <= last_pts[kind]:
                pts = last_pts[kind] + 1
            last_pts[kind] = pts
            self._mux(container, stream, item, pts)

    def _starts_video(self, item):
        if isinstance(item, EncodedVideo) != self.copy_video:
            return False  # not what ffmpeg was started for (cannot happen: same setting)
        return not isinstance(item, EncodedVideo) or item.keyframe

    def _start_ffmpeg(self, command):
        log_path = output_dir_for(self.broadcast).parent / (
            f".{self.broadcast.stream_name}{LOG_SUFFIX}"
        )
        process, _ = spawn_marked(
            command, WHIP_MARKER, self.broadcast.pk, log_path, [], stdin=subprocess.PIPE
        )
        logger.info(
            "broadcast %s: WHIP ffmpeg %s started (%s%s)",
            self.broadcast.pk,
            process.pid,
            "H.264 copied" if self.copy_video else "transcoding with x264",
            ", continuing the playlist" if "+append_list" in " ".join(command) else "",
        )
        return process

    def _mux(self, container, stream, item, pts):
        if isinstance(item, EncodedVideo):
            packet = av.Packet(item.data)
            packet.pts = packet.dts = pts
            # ffmpeg's stream copy drops everything before a packet flagged key.
            packet.is_keyframe = item.keyframe
            packet.time_base = stream.time_base
            packet.stream = stream
            container.mux(packet)
            return
        if stream.type == "video" and (item.width, item.height) != (stream.width, stream.height):
            # A phone turned: keep the first size, so the rest of the chain never restarts.
            item = item.reformat(width=stream.width, height=stream.height, format="yuv420p")
        elif stream.type == "video" and item.format.name != "yuv420p":
            item = item.reformat(format="yuv420p")
        item.pts = pts
        item.time_base = stream.time_base
        for packet in stream.encode(item):
            container.mux(packet)

    def _open(self, first):
        container = av.open(
            f"pipe:{self.process.stdin.fileno()}",
            "w",
            format="nut",
            options={"flush_packets": "1"},
        )
        if self.copy_video:
            video = container.add_stream("h264", rate=30)
        else:
            video = container.add_stream("rawvideo", rate=30)
            video.width, video.height, video.pix_fmt = first.width, first.height, "yuv420p"
        video.time_base = VIDEO_TIME_BASE
        audio = None
        if self.has_audio:
            audio = container.add_stream("pcm_s16le", rate=AUDIO_RATE, layout="stereo")
            audio.time_base = AUDIO_TIME_BASE
        return container, video, audio
