"""A camera whose audio carries tee-shot strikes, and its clock (shots tests, bench/shots.py).

The strike is a 40 ms burst of noise with the club head's ring (a 4.2 kHz tone
dying over about 100 ms; the audio detector, live/workers/strikes.py, takes a burst
without a ring for a clap), well above a quiet tone, every ``every`` seconds from
``first``. ``CameraClock`` reads ffmpeg's ``-progress`` reports: the
least delayed ``now − out_time`` is the wall-clock time of the camera's zero, so a
strike at ``first + k × every`` happened at ``origin + first + k × every``.
"""

import re
import subprocess
import threading
import time
from array import array
from pathlib import Path

SAMPLE_RATE = 8000


def strike_audio(every, first):
    phase = f"mod(t+{every - first},{every})"
    return (
        f"aevalsrc='0.02*sin(2*PI*440*t)"
        f"+if(lt({phase},0.04),0.9*(2*random(0)-1)*exp(-{phase}*60),0)"
        f"+if(lt({phase},0.3),0.3*sin(2*PI*4200*t)*exp(-{phase}*35),0)':s=44100:c=mono"
    )


def strike_camera_command(url, every, first, size="426x240", rate=30, bitrate="600k"):
    """ffmpeg as an SRT (mpegts) camera, in real time, reporting its progress on stdout."""
    return [
        "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-re",
        "-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}",
        "-f", "lavfi", "-i", strike_audio(every, first),
        "-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency", "-g", str(rate),
        "-pix_fmt", "yuv420p", "-b:v", bitrate, "-c:a", "aac", "-b:a", "96k",
        "-progress", "pipe:1", "-stats_period", "0.25",
        "-f", "mpegts", url,
    ]  # fmt: skip


class CameraClock:
    """The camera's zero in wall-clock seconds (``origin``), from the progress reports
    its ffmpeg writes to ``log_path`` (stdout): the least delayed ``now − out_time``."""

    def __init__(self, log_path):
        self.origin = None
        self.behind = 0.0  # how far the camera has fallen behind real time (a busy box)
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._tail, args=(Path(log_path),), daemon=True)
        self.thread.start()

    def _tail(self, path):
        offset, partial = 0, b""
        while not self.stopping.wait(0.01):
            try:
                with open(path, "rb") as log:
                    log.seek(offset)
                    chunk = log.read()
            except FileNotFoundError:
                continue
            now = time.time()
            offset += len(chunk)
            lines = (partial + chunk).split(b"\n")
            partial = lines.pop()
            for line in lines:
                match = re.match(rb"out_time_us=(\d+)", line)
                if match and int(match[1]) > 0:
                    origin = now - int(match[1]) / 1e6
                    self.origin = origin if self.origin is None else min(self.origin, origin)
                    self.behind = origin - self.origin

    def wait(self, timeout=30):
        deadline = time.monotonic() + timeout
        while self.origin is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert self.origin is not None, "the camera reported no progress"
        return self.origin

    def stop(self):
        self.stopping.set()


def first_strike_in(media_path, threshold=12000):
    """Seconds from the start of a media file's audio to its first strike, or None."""
    pcm = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", str(media_path), "-map", "0:a:0",
         "-ac", "1", "-ar", str(SAMPLE_RATE), "-f", "s16le", "-"],
        capture_output=True, check=True, timeout=30,
    ).stdout  # fmt: skip
    samples = array("h")
    samples.frombytes(pcm[: len(pcm) // 2 * 2])
    loud = next((index for index, value in enumerate(samples) if abs(value) > threshold), None)
    return None if loud is None else loud / SAMPLE_RATE
