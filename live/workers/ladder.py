"""Making the adaptive ladder: 480p and 240p beside a camera's own picture, behind master.m3u8.

The stream folder keeps ``index.m3u8`` as the source rendition (copied as the
camera sends it), so existing clients play on unchanged; the ladder adds
``<height>p/index.m3u8`` per rung and ``master.m3u8`` naming them all. Relative
URIs inherit the folder's signature, sub-folders included.

How a rung is made: one long-running ffmpeg per broadcast (rung_encoder.py) is fed
each finished segment of the source playlist in order and cuts every rung where the
source has a keyframe, timestamps kept. Each source segment starts on a keyframe, so
its rung segment is the pieces between its first timestamp and the next segment's,
renamed to the source segment's own name. Each rung's playlist is then the source
playlist's own entries that have a rung segment: the same sequence numbers,
durations, program date times and discontinuities, so hls.js switches rungs on
aligned segments.

Why from the segments and not from the camera: the same input for SRT, RTSP and
RTMP (nginx-rtmp writes the RTMP playlist; the packager may not share nginx's
address), and the source's height is known before anything is offered (only rungs
below it are). Why one ffmpeg and not one per segment: rung_encoder.py has the
measurements (an ffmpeg start alone cost more than a tenth of a core per camera).
A rung segment appears about one segment after the source's (a piece ends at the
next keyframe).
"""

import json
import logging
import os
import subprocess
import time

from django.conf import settings

from live.services.media_playlist import render_playlist, write_atomically
from live.services.paths import segments_kept_seconds
from live.services.renditions import MASTER_PLAYLIST, RUNG_PLAYLIST, rung_folder_name
from live.workers.rung_encoder import (
    AUDIO_KBPS,
    PIECE_PREFIX,
    RungEncoder,
    first_pts,
    rung_kbps,
    rung_width,
)

logger = logging.getLogger("live.packager")

# Rung segments must list this many before master.m3u8 names the rung: a player
# arriving at once then finds something to buffer on every rung.
MIN_RUNG_SEGMENTS = 2
# When the ladder first sees a broadcast it starts this many segments from the live edge.
START_BEHIND = 2
# Segments waiting for ffmpeg beyond this are skipped (it has fallen a window behind).
MAX_BACKLOG = 8
TRIM_EVERY_SECONDS = 5
# Source segments that may be newer than a rung's newest before the rung counts as stalled.
IN_FLIGHT = 3
# Piece ends and segment starts are the same keyframe's time, printed to a microsecond.
TOLERANCE = 0.02


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


def rung_run(entries, made):
    """The source entries a rung's playlist lists: the unbroken run of made segments up to
    its newest, as long as no more than IN_FLIGHT newer source segments wait for it (a
    rung segment is cut when the next source keyframe reaches ffmpeg, so the source's
    newest is always still in flight)."""
    flags = [made(entry.uri) for entry in entries]
    if True not in flags:
        return []
    last = len(flags) - 1 - flags[::-1].index(True)
    if len(flags) - 1 - last > IN_FLIGHT:
        return []  # the rung has stalled: players stay on the others
    first = last
    while first > 0 and flags[first - 1]:
        first -= 1
    return list(entries[first : last + 1])


class Ladder:
    """One broadcast's ladder: the packager ticks it every pass."""

    def __init__(self, folder, broadcast_id):
        self.folder, self.broadcast_id = folder, broadcast_id
        self.encoder = None
        self.finishing = None  # (encoder, waiting) of the run before a discontinuity
        self.fed = None  # the sequence number of the newest segment handed to ffmpeg
        self.waiting = []  # [(entry, first timestamp)] fed, their rung segments not yet made
        self.probed = None  # (discontinuity number, (width, height), kb/s)
        self.written = {}  # file name -> text last written
        self.trimmed_at = 0.0

    @property
    def job(self):
        """The running ffmpeg (bench/ladder.py waits for it), or None."""
        return self.encoder.process if self.encoder is not None else None

    def tick(self, playlist, wanted=True):
        if not wanted:
            self.cancel()
            self._remove_master()
            return
        if playlist is None or not playlist.entries:
            return
        self._feed(playlist)
        if self.encoder is not None:
            self._assemble(self.encoder, self.waiting)
        if self.finishing is not None and not self.finishing[0].running:
            self._assemble(*self.finishing, final=True)
            self.finishing = None
        self._publish(playlist)
        if time.monotonic() - self.trimmed_at > TRIM_EVERY_SECONDS:
            self.trimmed_at = time.monotonic()
            self._trim(playlist)

    def cancel(self):
        for encoder in (self.encoder, self.finishing and self.finishing[0]):
            if encoder is not None:
                encoder.kill()
        self.encoder, self.finishing, self.waiting = None, None, []

    @property
    def rungs(self):
        return rungs_for(self.probed[1][1]) if self.probed and self.probed[1] else []

    def _feed(self, playlist):
        new = [
            entry for entry in playlist.entries if self.fed is None or entry.sequence > self.fed
        ]
        if self.fed is None:
            new = new[-START_BEHIND:]
        for entry in new:
            self.fed = entry.sequence
            encoder = self.encoder
            if (
                encoder is None
                or not encoder.running
                or encoder.discontinuity != entry.discontinuity
            ):
                if not self._start_encoder(entry):
                    continue
                encoder = self.encoder
            start = first_pts(self.folder / entry.uri)
            if start is None:
                continue
            if encoder.queued >= MAX_BACKLOG:
                logger.warning(
                    "broadcast %s: ladder behind, %s skipped", self.broadcast_id, entry.uri
                )
                continue
            encoder.feed(self.folder / entry.uri)
            self.waiting.append((entry, start))

    def _start_encoder(self, entry):
        """A new ffmpeg from this segment on (first, after a discontinuity, after a crash)."""
        if self.encoder is not None:
            if self.encoder.running and self.encoder.discontinuity != entry.discontinuity:
                # The run's last segment comes once ffmpeg has read the end and exited.
                if self.finishing is not None:
                    self.finishing[0].kill()
                self.encoder.finish()
                self.finishing = (self.encoder, self.waiting)
            else:
                logger.warning("broadcast %s: ladder ffmpeg exited", self.broadcast_id)
                self.encoder.kill()
            self.encoder, self.waiting = None, []
        if self.probed is None or self.probed[0] != entry.discontinuity:
            found = probe_source(self.folder / entry.uri)
            if found is None:
                return False
            self.probed = (entry.discontinuity, found[:2], found[2])
        if not self.rungs:
            return False
        label = f"broadcast {self.broadcast_id}: ladder"
        self.encoder = RungEncoder(
            self.folder, self.rungs, self.probed[1], entry.discontinuity, label
        )
        return True

    def _assemble(self, encoder, waiting, final=False):
        """Join each waiting segment's pieces, rung by rung, once ffmpeg has cut past it
        (``waiting`` is consumed). final: ffmpeg has exited; the last takes what is left."""
        encoder.collect()
        while waiting:
            (entry, start), following = waiting[0], waiting[1:]
            until = following[0][1] if following else (float("inf") if final else None)
            if until is None or not all(
                any(end >= until - TOLERANCE for end, _ in encoder.pieces[rung])
                for rung in encoder.rungs
            ):
                return  # ffmpeg has not cut past this segment on every rung yet
            for rung in encoder.rungs:
                mine = [piece for piece in encoder.pieces[rung] if piece[0] <= until + TOLERANCE]
                encoder.pieces[rung] = encoder.pieces[rung][len(mine) :]
                parts = [path for end, path in mine if end > start + TOLERANCE]
                self._join(parts, self.folder / rung_folder_name(rung) / entry.uri)
                for end, path in mine:
                    if end <= start + TOLERANCE:
                        path.unlink(missing_ok=True)  # from before this segment
            waiting.pop(0)

    @staticmethod
    def _join(parts, final):
        if not parts:
            return
        try:
            if len(parts) > 1:
                # Further keyframes inside the source segment: MPEG-TS joins by concatenation.
                with open(parts[0], "ab") as first:
                    for part in parts[1:]:
                        first.write(part.read_bytes())
                        part.unlink()
            os.chmod(parts[0], 0o644)  # nginx workers run as another user
            os.replace(parts[0], final)
        except FileNotFoundError:  # the folder went with its broadcast
            pass

    def _publish(self, playlist):
        """Each rung's playlist from the source's entries, then master.m3u8 once all have some."""
        ready = True
        for rung in self.rungs:
            folder = self.folder / rung_folder_name(rung)
            run = rung_run(playlist.entries, lambda uri: (folder / uri).is_file())
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
                if item.name.endswith(".ts") and (
                    item.name not in listed or item.name.startswith(PIECE_PREFIX)
                ):
                    try:
                        if item.stat().st_mtime < cutoff:
                            os.unlink(item.path)
                    except FileNotFoundError:
                        pass
