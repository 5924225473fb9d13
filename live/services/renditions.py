"""The adaptive ladder's files: ``master.m3u8`` and ``<height>p/index.m3u8`` per rung.

The packager makes them (live/workers/ladder.py, which says how); request code asks
here for the signed master playlist.
"""

import os

from live.services.media import MediaPath, sign_media_path
from live.services.paths import output_file_name

MASTER_PLAYLIST = "master.m3u8"
RUNG_PLAYLIST = "index.m3u8"


def rung_folder_name(height):
    return f"{height}p"


def master_path(broadcast, expires):
    """The signed path of the broadcast's master playlist, or None without a ladder.

    The file is the truth (no query on status's hot path): the packager writes it
    once every rung has segments and removes it when the camera's ladder is off.
    """
    if broadcast is None or not broadcast.is_live:
        return None
    if not os.path.isfile(output_file_name(broadcast, MASTER_PLAYLIST)):
        return None
    return sign_media_path(MediaPath(broadcast.stream_name, MASTER_PLAYLIST), expires)
