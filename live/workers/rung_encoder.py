"""One long-running ffmpeg per broadcast making every rung of its ladder.

The ladder (ladder.py) hands it the source's finished segments in order; a feeding
thread writes their bytes to ffmpeg's stdin (concatenated MPEG-TS is one stream). It
decodes once, scales once per rung, encodes each rung with x264 and cuts each rung at
every keyframe into pieces (the segment muxer), listing each finished piece with its
end time in ``<rung>/.pieces.csv``. Timestamps are the source's own (``-copyts``,
``-fps_mode passthrough``, no mux delay) and a rung has a keyframe exactly where the
source has one (``-force_key_frames source``), so every source segment boundary is a
piece boundary: the ladder joins the pieces of each source segment under its name.

Why one process and not one ffmpeg per segment (the ladder until 2026-12): starting
ffmpeg costs about 96 ms of CPU before it reads a byte (Debian's build links some 200
libraries), and x264 starts its rate control afresh each time. Measured here on 8 s of
720p30 (bench/ladder.py's camera; CPU seconds, load average 7–14 on the 2 shared
cores): per-segment jobs 555 ms per second of video with veryfast; one long-running
ffmpeg 2.07 s per 8 s (26 %) with veryfast, 1.69 s (21 %) with superfast. Superfast it
is: the rungs are for weak networks, where a little less sharpness at the same bitrate
beats a missing segment. One x264 thread per rung keeps a rung from spreading over
both cores beside a busy encoder, and a stalled or dead ffmpeg costs at most the
segments fed to it: the ladder starts another.
"""

import csv
import logging
import queue
import shutil
import subprocess
import threading

from live.services.renditions import rung_folder_name
from live.workers.child_processes import _die_with_parent

logger = logging.getLogger("live.packager")

X264_PRESET = "superfast"
PIECES_LIST = ".pieces.csv"
PIECE_PREFIX = ".piece"
AUDIO_KBPS = 128  # what the master adds for audio when the source does not say


def rung_kbps(height):
    """Video bitrate of a rung: about 1,000 kb/s at 480p, 250 at 240p (16:9, 30 fps)."""
    return max(100, round(height * height * 0.0045 / 50) * 50)


def rung_width(width, height, rung_height):
    """Even width keeping the aspect ratio (what scale=-2 would pick)."""
    return max(2, round(width * rung_height / height / 2) * 2)


def first_pts(path):
    """Seconds of the first video timestamp (PES PTS) in an MPEG-TS file, or None.

    A source segment starts on a keyframe, so this is where its rung segment starts.
    """
    try:
        with open(path, "rb") as source:
            data = source.read(188 * 512)
    except OSError:
        return None
    for offset in range(0, len(data) - 187, 188):
        packet = data[offset : offset + 188]
        if packet[0] != 0x47 or not packet[1] & 0x40:  # sync byte, payload unit start
            continue
        control = (packet[3] >> 4) & 3
        if not control & 1:  # no payload
            continue
        start = 5 + packet[4] if control & 2 else 4
        pes = packet[start:]
        if len(pes) < 14 or pes[:3] != b"\0\0\1" or not 0xE0 <= pes[3] <= 0xEF:
            continue
        if not pes[7] & 0x80:
            continue
        p = pes[9:14]
        pts = (((p[0] >> 1) & 7) << 30) | (p[1] << 22) | ((p[2] >> 1) << 15) | (p[3] << 7)
        return (pts | (p[4] >> 1)) / 90000
    return None


def encoder_command(folder, rungs, source_size):
    """ffmpeg reading MPEG-TS on stdin, writing each rung's pieces in its folder."""
    width, height = source_size
    labels = [f"[v{rung}]" for rung in rungs]
    # Each rung scaled from the one above it: cheaper than from the source.
    steps, previous = [], "[0:v:0]"
    for index, rung in enumerate(rungs):
        size = f"{rung_width(width, height, rung)}:{rung}"
        if index + 1 < len(rungs):
            steps.append(
                f"{previous}scale={size}:flags=fast_bilinear,split=2{labels[index]}[t{index}]"
            )
            previous = f"[t{index}]"
        else:
            steps.append(f"{previous}scale={size}:flags=fast_bilinear{labels[index]}")
    command = [
        "ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-loglevel", "error",
        # Probing 5 s (the default) would hold every rung five segments back.
        "-copyts", "-probesize", "500000", "-analyzeduration", "1000000",
        # Deblocking the source is a tenth of decoding it; the rungs scale it down anyway.
        "-skip_loop_filter", "all",
        "-f", "mpegts", "-i", "pipe:0", "-filter_complex", ";".join(steps),
    ]  # fmt: skip
    for rung, label in zip(rungs, labels):
        kbps = rung_kbps(rung)
        out = folder / rung_folder_name(rung)
        command += [
            "-map", label, "-map", "0:a:0?",
            "-c:v", "libx264", "-preset", X264_PRESET, "-tune", "zerolatency", "-threads", "1",
            "-pix_fmt", "yuv420p", "-profile:v", "main", "-force_key_frames", "source",
            "-b:v", f"{kbps}k", "-maxrate", f"{kbps * 6 // 5}k", "-bufsize", f"{kbps}k",
            # The source's own timestamps, frame for frame: rungs line up with it.
            "-enc_time_base:v", "-1", "-fps_mode", "passthrough",
            "-muxdelay", "0", "-muxpreload", "0", "-c:a", "copy",
            # A piece per keyframe (any time past the tiny segment_time cuts).
            "-f", "segment", "-segment_format", "mpegts", "-segment_time", "0.001",
            "-reset_timestamps", "0", "-segment_list_type", "csv",
            "-segment_list", str(out / PIECES_LIST), str(out / f"{PIECE_PREFIX}%d.ts"),
        ]  # fmt: skip
    return command


class RungEncoder:
    """The running ffmpeg of one broadcast's ladder, for one run of its source (a
    discontinuity starts another): feed it segments, collect finished pieces."""

    def __init__(self, folder, rungs, source_size, discontinuity, label):
        self.folder, self.rungs, self.discontinuity = folder, rungs, discontinuity
        self.label = label
        for rung in rungs:
            rung_dir = folder / rung_folder_name(rung)
            rung_dir.mkdir(exist_ok=True)
            (rung_dir / PIECES_LIST).unlink(missing_ok=True)
        # Beside the packager's own log of the stream, outside the served folder.
        self.log_path = folder.parent / f".{folder.name}.ladder.log"
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                encoder_command(folder, rungs, source_size),
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=log,
                preexec_fn=_die_with_parent,
            )
        self.backlog = queue.Queue()
        self.read_upto = {rung: 0 for rung in rungs}
        self.pieces = {rung: [] for rung in rungs}  # [(end seconds, path)], oldest first
        threading.Thread(target=self._feed, daemon=True, name=label).start()

    def _feed(self):
        stdin = self.process.stdin
        try:
            for path in iter(self.backlog.get, None):
                try:
                    with open(path, "rb") as segment:
                        shutil.copyfileobj(segment, stdin, 1 << 16)
                    stdin.flush()
                except FileNotFoundError:  # trimmed before its turn: a gap, no more
                    logger.warning("%s: segment %s gone before it was fed", self.label, path)
        except (BrokenPipeError, ValueError, OSError):
            return  # ffmpeg ended; the ladder sees it and starts another
        finally:
            try:
                stdin.close()
            except OSError:
                pass

    def feed(self, path):
        self.backlog.put(path)

    @property
    def queued(self):
        return self.backlog.qsize()

    @property
    def running(self):
        return self.process.poll() is None

    def finish(self):
        """No more input: ffmpeg closes its last pieces and exits on its own."""
        self.backlog.put(None)

    def kill(self):
        self.backlog.put(None)
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()

    def collect(self):
        """Read the pieces each rung finished since the last call."""
        for rung in self.rungs:
            listing = self.folder / rung_folder_name(rung) / PIECES_LIST
            try:
                with open(listing, "rb") as lines:
                    lines.seek(self.read_upto[rung])
                    text = lines.read()
            except FileNotFoundError:
                continue
            complete = text[: text.rfind(b"\n") + 1]  # a line still being written waits
            self.read_upto[rung] += len(complete)
            for row in csv.reader(complete.decode(errors="replace").splitlines()):
                if len(row) >= 3:
                    path = self.folder / rung_folder_name(rung) / row[0]
                    self.pieces[rung].append((float(row[2]), path))
