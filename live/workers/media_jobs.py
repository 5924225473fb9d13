"""Short ffmpeg jobs the packager runs beside each broadcast: ladder rungs and thumbnails.

Both work from the finished segments of the broadcast's own playlist
(``index.m3u8``), whoever wrote it: the packager's ffmpeg for SRT and RTSP,
nginx-rtmp for RTMP. One code path for every ingest, no second connection to
the camera or the relay, and a job that fails costs one segment, not the stream.

Jobs (live/workers/ffmpeg_job.py) never block the packager's loop: each pass
polls them and starts the next.
"""

import logging

from live.services.media import PLAYLIST
from live.services.media_playlist import read_playlist
from live.services.paths import output_dir_for
from live.workers.ladder import Ladder
from live.workers.thumbnailer import Thumbnailer

logger = logging.getLogger("live.packager")


class MediaJobs:
    """The packager's ladder and thumbnail work, one ``tick`` per held broadcast per pass."""

    def __init__(self):
        self.ladders, self.thumbnailers, self.ticked = {}, {}, set()

    def tick(self, broadcast):
        self.ticked.add(broadcast.pk)
        try:
            folder = output_dir_for(broadcast)
            playlist = read_playlist(folder / PLAYLIST)
            ladder = self.ladders.setdefault(broadcast.pk, Ladder(folder, broadcast.pk))
            ladder.tick(playlist, wanted=broadcast.camera.ladder)
            thumbnailer = self.thumbnailers.setdefault(
                broadcast.pk, Thumbnailer(folder, broadcast.pk)
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
