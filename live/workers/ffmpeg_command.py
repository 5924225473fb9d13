"""The packager's ffmpeg command line, and when a copying ffmpeg must transcode instead.

A broadcast is first packaged by copying its H.264/AAC as is; if ffmpeg's log
shows another codec, the next start transcodes.
"""

import logging
from pathlib import Path

from django.conf import settings

from live.services.paths import output_dir_for
from live.services.media import PLAYLIST
from live.services.recordings import keeps_segments
from live.services.sources import facts_of

logger = logging.getLogger("live.packager")


def ffmpeg_command(broadcast, transcode=False, resume=False):
    """The ffmpeg that turns the camera into a live HLS window."""
    if facts_of(broadcast.source).srt_port:
        source = [
            "-i",
            f"srt://0.0.0.0:{broadcast.ingest_port}?mode=listener"
            f"&passphrase={broadcast.ingest_secret}&pbkeylen=16&latency=200000",
        ]
    else:
        source = ["-rtsp_transport", "tcp", "-timeout", "5000000", "-i", broadcast.camera_url]
    if transcode:
        codecs = transcode_codecs()
    else:
        # The bitstream filter accepts only H.264: any other video fails ffmpeg at
        # once, before a segment is written, and the restart transcodes.
        codecs = ["-c", "copy", "-bsf:v", "h264_mp4toannexb"]
    return [
        "ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-loglevel", "info",
        "-analyzeduration", "1000000", "-probesize", "1000000",
        *source,
        "-map", "0:v:0", "-map", "0:a:0?",
        *codecs,
        *hls_output(broadcast, resume),
    ]  # fmt: skip


def transcode_codecs():
    """x264 veryfast zerolatency with a keyframe on every segment boundary, AAC audio."""
    seconds = settings.LIVE_SEGMENT_SECONDS
    return [
        "-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency",
        "-pix_fmt", "yuv420p", "-g", str(30 * seconds), "-sc_threshold", "0",
        "-force_key_frames", f"expr:gte(t,n_forced*{seconds})",
        "-c:a", "aac", "-b:a", "128k",
    ]  # fmt: skip


def hls_output(broadcast, resume=False):
    """ffmpeg's output options for the broadcast's live HLS window (the packager's and
    the WHIP process's alike)."""
    folder = output_dir_for(broadcast)
    seconds = settings.LIVE_SEGMENT_SECONDS
    flags = hls_flags(broadcast)
    if resume:
        # Continue the same playlist after a reconnect: same path, and append_list
        # carries on the media sequence of the segments already listed and puts a
        # discontinuity where the camera came back. (An epoch start number here
        # would renumber the listed segments, and discont_start would add a
        # second, bogus discontinuity before the first of them.)
        flags += "+append_list"
        numbering = []
    else:
        # Sequence numbers (and file names) from the clock: a fresh playlist never
        # reuses a name a player or cache has already seen.
        numbering = ["-hls_start_number_source", "epoch"]
    return [
        "-f", "hls", "-hls_time", str(seconds),
        "-hls_list_size", str(settings.LIVE_PLAYLIST_SEGMENTS),
        "-hls_flags", flags,
        *numbering,
        "-hls_segment_filename", str(folder / "s%d.ts"),
        str(folder / PLAYLIST),
    ]  # fmt: skip


def hls_flags(broadcast):
    """A recorded broadcast keeps its segments: the packager lists them in
    recording.m3u8 (live/services/recording_playlists.py) instead of ffmpeg deleting them."""
    flags = "program_date_time+independent_segments+temp_file+omit_endlist"
    return flags if keeps_segments(broadcast) else "delete_segments+" + flags


def needs_transcode(log_path: Path):
    """ffmpeg's input report names a codec that HLS copy cannot carry."""
    try:
        text = log_path.read_text(errors="replace")[-20000:]
    except FileNotFoundError:
        return False
    inputs = [line for line in text.splitlines() if "Stream #0:" in line and "->" not in line]
    for line in inputs[-4:]:
        if "Video:" in line and "Video: h264" not in line:
            return True
        if "Audio:" in line and "Audio: aac" not in line:
            return True
    return False


def switch_to_transcode(broadcast, child, restart):
    """True when a copying child's input turned out not to be H.264/AAC: its next
    start transcodes."""
    if child.transcode or not needs_transcode(child.log_path):
        return False
    logger.info("broadcast %s: input is not H.264/AAC, transcoding", broadcast.pk)
    restart.transcode = True
    return True
