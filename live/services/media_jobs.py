"""Short ffmpeg jobs the packager runs beside each broadcast: ladder rungs and thumbnails.

Both work from the finished segments of the broadcast's own playlist
(``index.m3u8``), whoever wrote it: the packager's ffmpeg for SRT and RTSP,
nginx-rtmp for RTMP. One code path for every ingest, no second connection to
the camera or the relay, and a job that fails costs one segment, not the stream.

Jobs never block the packager's loop: each pass polls them and starts the next.
They die with the packager (PR_SET_PDEATHSIG) and carry no child marker, so
they are not taken for a broadcast's ingest ffmpeg.
"""

import logging
import os
import subprocess
import time
from pathlib import Path

from live.services.child_processes import _die_with_parent
from live.services.hls_output import output_dir_for
from live.services.media import PLAYLIST
from live.services.media_playlist import read_playlist

logger = logging.getLogger("live.packager")


class Job:
    """One ffmpeg writing temporary files, renamed into place only if it succeeds."""

    def __init__(self, command, outputs, timeout, label):
        # outputs: [(temporary path, final path)]
        self.outputs, self.label = outputs, label
        self.deadline = time.monotonic() + timeout
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            preexec_fn=_die_with_parent,
        )

    def poll(self):
        """None while running; else True if it succeeded (its files are in place)."""
        code = self.process.poll()
        if code is None:
            if time.monotonic() < self.deadline:
                return None
            self.cancel()
            logger.warning("%s: ffmpeg took too long, killed", self.label)
            return False
        errors = self.process.stderr.read().decode(errors="replace").strip()
        self.process.stderr.close()
        if code != 0:
            logger.warning("%s: ffmpeg exited with %s: %s", self.label, code, errors[-300:])
            self._remove_temporaries()
            return False
        try:
            for temporary, final in self.outputs:
                os.chmod(temporary, 0o644)  # nginx workers run as another user
                os.replace(temporary, final)
        except FileNotFoundError:  # the folder went with its broadcast
            return False
        return True

    def cancel(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process.stderr.close()
        self._remove_temporaries()

    def _remove_temporaries(self):
        for temporary, _ in self.outputs:
            try:
                Path(temporary).unlink()
            except FileNotFoundError:
                pass


class MediaJobs:
    """The packager's ladder and thumbnail work, one ``tick`` per held broadcast per pass."""

    def __init__(self):
        # Imported here: both import Job from this module.
        from live.services.renditions import Ladder
        from live.services.thumbnails import Thumbnailer

        self._ladder, self._thumbnailer = Ladder, Thumbnailer
        self.ladders, self.thumbnailers, self.ticked = {}, {}, set()

    def tick(self, broadcast):
        self.ticked.add(broadcast.pk)
        try:
            folder = output_dir_for(broadcast)
            playlist = read_playlist(folder / PLAYLIST)
            ladder = self.ladders.setdefault(broadcast.pk, self._ladder(folder, broadcast.pk))
            ladder.tick(playlist, wanted=broadcast.camera.ladder)
            thumbnailer = self.thumbnailers.setdefault(
                broadcast.pk, self._thumbnailer(folder, broadcast.pk)
            )
            thumbnailer.tick(playlist)
        except Exception:  # the ladder or a thumbnail must never cost the stream
            logger.exception("broadcast %s: ladder or thumbnail pass failed", broadcast.pk)

    def end_pass(self):
        """Forget (and stop the jobs of) broadcasts this pass did not tick."""
        for broadcast_id in (set(self.ladders) | set(self.thumbnailers)) - self.ticked:
            self.forget(broadcast_id)
        self.ticked = set()

    def forget(self, broadcast_id):
        for workers in (self.ladders, self.thumbnailers):
            worker = workers.pop(broadcast_id, None)
            if worker is not None:
                worker.cancel()

    def close(self):
        for broadcast_id in set(self.ladders) | set(self.thumbnailers):
            self.forget(broadcast_id)
