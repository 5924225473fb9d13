"""Making the adaptive ladder: 480p and 240p beside a camera's own picture, behind master.m3u8.

The stream folder keeps ``index.m3u8`` as the source rendition (copied as the
camera sends it), so existing clients play on unchanged; the ladder adds
``<height>p/index.m3u8`` per rung and ``master.m3u8`` naming them all. Relative
URIs inherit the folder's signature, sub-folders included.

How a rung is made: each finished segment of the source playlist is transcoded
by one short ffmpeg (decoded once, scaled once per rung, x264 veryfast
zerolatency, AAC copied) into a segment of the same name in each rung's
folder, timestamps kept (``-copyts``, no mux delay). Each rung's playlist is
then the source playlist's own entries that have a rung segment: the same
sequence numbers, durations, program date times and discontinuities, so hls.js
switches rungs on aligned segments. Every rung segment starts with a keyframe
because it is encoded alone.

Why from the segments and not a second long-running ffmpeg: the same input for
SRT, RTSP and RTMP (nginx-rtmp writes the RTMP playlist; its ``live`` app lets
127.0.0.1 play, but the packager may not share nginx's address or know its
port), the source's height is known before anything is offered (only rungs
below it are), and a long-running reader of a live playlist numbers and dates
its own segments, so its rungs would not line up with the source. The price is
one ffmpeg start per segment (measured in bench/ladder.py) and rungs about one
segment behind the source.
"""

import json
import logging
import os
import subprocess
import time

from django.conf import settings

from live.services.paths import segments_kept_seconds
from live.services.renditions import MASTER_PLAYLIST, RUNG_PLAYLIST, rung_folder_name
from live.workers.ffmpeg_job import Job
from live.services.media_playlist import render_playlist, write_atomically

logger = logging.getLogger("live.packager")

AUDIO_KBPS = 128  # what the master adds for audio when the source does not say
# Rung segments must list this many before master.m3u8 names the rung: a player
# arriving at once then finds something to buffer on every rung.
MIN_RUNG_SEGMENTS = 2
# A rung falls behind by at most this many segments: older ones are skipped.
MAX_BEHIND = 2
TRIM_EVERY_SECONDS = 5


def rung_kbps(height):
    """Video bitrate of a rung: about 1,000 kb/s at 480p, 250 at 240p (16:9, 30 fps)."""
    return max(100, round(height * height * 0.0045 / 50) * 50)


def rung_width(width, height, rung_height):
    """Even width keeping the aspect ratio (what scale=-2 would pick)."""
    return max(2, round(width * rung_height / height / 2) * 2)


def rungs_for(source_height):
    """The rungs offered for a source this tall: those below it only."""
    return [height for height in settings.LIVE_LADDER_RUNGS if height < source_height]


def probe_source(path):
    """(width, height, total kb/s) of a source segment, or None."""
    result = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0",
         "-show_entries", "stream=width,height:format=bit_rate", "-of", "json", str(path)],
        capture_output=True, text=True, timeout=10,
    )  # fmt: skip
    try:
        found = json.loads(result.stdout)
        stream = found["streams"][0]
        kbps = int(found.get("format", {}).get("bit_rate") or 0) // 1000
        return int(stream["width"]), int(stream["height"]), kbps
    except (ValueError, KeyError, IndexError):
        return None


def rung_command(source_path, outputs, source_size):
    """One ffmpeg: decode the segment once, one scaled x264 output per rung.

    outputs: [(rung height, temporary output path)].
    """
    width, height = source_size
    labels = [f"[v{rung}]" for rung, _ in outputs]
    scales = ";".join(
        f"[s{index}]scale={rung_width(width, height, rung)}:{rung}{labels[index]}"
        for index, (rung, _) in enumerate(outputs)
    )
    splits = "".join(f"[s{index}]" for index in range(len(outputs)))
    graph = f"[0:v:0]split={len(outputs)}{splits};{scales}"
    command = [
        "ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-loglevel", "error",
        "-copyts", "-i", str(source_path), "-filter_complex", graph,
    ]  # fmt: skip
    for (rung, path), label in zip(outputs, labels):
        kbps = rung_kbps(rung)
        command += [
            "-map", label, "-map", "0:a:0?",
            "-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency",
            "-pix_fmt", "yuv420p", "-profile:v", "main",
            "-b:v", f"{kbps}k", "-maxrate", f"{kbps * 6 // 5}k", "-bufsize", f"{kbps}k",
            # The source's own timestamps, unshifted: rungs line up with it.
            "-enc_time_base:v", "-1", "-muxdelay", "0", "-muxpreload", "0",
            "-c:a", "copy", "-f", "mpegts", str(path),
        ]  # fmt: skip
    return command


def master_text(source_size, source_kbps, rungs):
    width, height = source_size
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-INDEPENDENT-SEGMENTS"]
    bandwidth = max(source_kbps, rung_kbps(height) + AUDIO_KBPS) * 1000
    lines += [f"#EXT-X-STREAM-INF:BANDWIDTH={bandwidth},RESOLUTION={width}x{height}", "index.m3u8"]
    for rung in rungs:
        rate = (rung_kbps(rung) * 6 // 5 + AUDIO_KBPS) * 1000
        size = f"{rung_width(width, height, rung)}x{rung}"
        lines += [
            f"#EXT-X-STREAM-INF:BANDWIDTH={rate},RESOLUTION={size}",
            f"{rung_folder_name(rung)}/{RUNG_PLAYLIST}",
        ]
    return "\n".join(lines) + "\n"


class Ladder:
    """One broadcast's ladder: the packager ticks it every pass."""

    def __init__(self, folder, broadcast_id):
        self.folder, self.broadcast_id = folder, broadcast_id
        self.job = None
        self.done = None  # the sequence number of the newest segment handled
        self.probed = None  # (discontinuity number, (width, height), kb/s)
        self.written = {}  # file name -> text last written
        self.trimmed_at = 0.0

    def tick(self, playlist, wanted=True):
        if not wanted:
            self.cancel()
            self._remove_master()
            return
        if self.job is not None and self.job.poll() is not None:
            self.job = None
        if playlist is None or not playlist.entries:
            return
        if self.job is None:
            self._start_next(playlist)
        self._publish(playlist)
        if time.monotonic() - self.trimmed_at > TRIM_EVERY_SECONDS:
            self.trimmed_at = time.monotonic()
            self._trim(playlist)

    def cancel(self):
        if self.job is not None:
            self.job.cancel()
            self.job = None

    @property
    def rungs(self):
        return rungs_for(self.probed[1][1]) if self.probed and self.probed[1] else []

    def _start_next(self, playlist):
        waiting = [
            entry for entry in playlist.entries if self.done is None or entry.sequence > self.done
        ]
        if not waiting:
            return
        entry = waiting[max(0, len(waiting) - MAX_BEHIND)]
        self.done = entry.sequence
        source = self.folder / entry.uri
        if self.probed is None or self.probed[0] != entry.discontinuity:
            found = probe_source(source)
            if found is None:
                return
            self.probed = (entry.discontinuity, found[:2], found[2])
        if not self.rungs:
            return
        outputs = []
        for rung in self.rungs:
            folder = self.folder / rung_folder_name(rung)
            folder.mkdir(exist_ok=True)
            outputs.append((rung, folder / f".{entry.uri}.tmp", folder / entry.uri))
        command = rung_command(source, [(rung, tmp) for rung, tmp, _ in outputs], self.probed[1])
        timeout = 5 + 4 * settings.LIVE_SEGMENT_SECONDS
        label = f"broadcast {self.broadcast_id}: ladder segment {entry.uri}"
        self.job = Job(command, [(tmp, final) for _, tmp, final in outputs], timeout, label)

    def _publish(self, playlist):
        """Each rung's playlist from the source's entries, then master.m3u8 once all have some."""
        ready = True
        for rung in self.rungs:
            folder = self.folder / rung_folder_name(rung)
            run = []
            for entry in playlist.entries:
                run = run + [entry] if (folder / entry.uri).is_file() else []
            if len(run) < MIN_RUNG_SEGMENTS:
                ready = False
            if run:
                self._write(folder / RUNG_PLAYLIST, render_playlist(playlist.header, run))
        if ready and self.rungs:
            _, size, kbps = self.probed
            self._write(self.folder / MASTER_PLAYLIST, master_text(size, kbps, self.rungs))
        elif not self.rungs:
            self._remove_master()

    def _write(self, path, text):
        key = str(path)
        if self.written.get(key) != text:
            write_atomically(path, text)
            self.written[key] = text

    def _remove_master(self):
        try:
            (self.folder / MASTER_PLAYLIST).unlink()
        except FileNotFoundError:
            pass
        self.written.pop(str(self.folder / MASTER_PLAYLIST), None)

    def _trim(self, playlist):
        """Delete rung segments the source no longer lists, once old (the source's rule)."""
        listed = {entry.uri for entry in playlist.entries}
        cutoff = time.time() - segments_kept_seconds()
        for rung in settings.LIVE_LADDER_RUNGS:
            try:
                entries = list(os.scandir(self.folder / rung_folder_name(rung)))
            except FileNotFoundError:
                continue
            for item in entries:
                if item.name.endswith(".ts") and item.name not in listed:
                    try:
                        if item.stat().st_mtime < cutoff:
                            os.unlink(item.path)
                    except FileNotFoundError:
                        pass
