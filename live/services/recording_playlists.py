"""``recording.m3u8`` and ``dvr.m3u8`` beside a live ``index.m3u8``, without a second encode.

The live playlist (nginx-rtmp's or the packager's ffmpeg's) is a short sliding
window. The packager appends every segment it lists to ``recording.m3u8`` (an
EVENT playlist while live, ``#EXT-X-ENDLIST`` once finished) and rewrites
``dvr.m3u8``, the last ``LIVE_DVR_SECONDS`` of it, for rewinding. Segments are
kept (no longer trimmed) while the broadcast is recorded.

Appends are whole entries in one ``write`` under an ``flock`` that finishing
takes too, so a finished playlist never gets another line. Each entry carries
``#EXT-X-PROGRAM-DATE-TIME``, the wall time clips are cut by: ffmpeg's own when
the live playlist has one, else the segment file's mtime less its duration
(nginx-rtmp writes none).
"""

import fcntl
import math
import os
import re
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone as dt_timezone
from pathlib import Path

from django.conf import settings

from live.services.media import PLAYLIST

RECORDING_PLAYLIST = "recording.m3u8"
DVR_PLAYLIST = "dvr.m3u8"
# A finished recording's playlist is copied here: nginx serves this copy, when it
# exists, as immutable (an ``if (-f …)`` would break its try_files), else the
# growing recording.m3u8 as no-cache.
READY_MARKER = ".recording-final.m3u8"
LOCK_FILE = ".recording.lock"
ENDLIST = "#EXT-X-ENDLIST"
_NUMBER_RE = re.compile(r"(\d+)\.ts\Z")


@dataclass
class Entry:
    uri: str
    duration: float
    discontinuity: bool = False
    program_time: datetime | None = None


@dataclass
class Playlist:
    media_sequence: int
    target: int
    entries: list
    ended: bool


def _parse_time(value):
    try:
        return datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None


def parse_playlist(text) -> Playlist:
    sequence, target, entries, ended = 0, 0, [], False
    duration, discontinuity, program_time = None, False, None
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("#EXT-X-MEDIA-SEQUENCE:"):
            sequence = int(line.split(":", 1)[1] or 0)
        elif line.startswith("#EXT-X-TARGETDURATION:"):
            target = int(line.split(":", 1)[1] or 0)
        elif line.startswith("#EXTINF:"):
            duration = float(line[len("#EXTINF:") :].split(",")[0])
        elif line == "#EXT-X-DISCONTINUITY":
            discontinuity = True
        elif line.startswith("#EXT-X-PROGRAM-DATE-TIME:"):
            program_time = _parse_time(line.split(":", 1)[1])
        elif line == ENDLIST:
            ended = True
        elif line and not line.startswith("#") and duration is not None:
            entries.append(Entry(line, duration, discontinuity, program_time))
            duration, discontinuity, program_time = None, False, None
    return Playlist(sequence, target, entries, ended)


def read_playlist(path: Path):
    try:
        return parse_playlist(path.read_text(errors="replace"))
    except (FileNotFoundError, ValueError):
        return None


def _iso(moment):
    return (
        moment.astimezone(dt_timezone.utc)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


def entry_lines(entry: Entry):
    lines = ["#EXT-X-DISCONTINUITY"] if entry.discontinuity else []
    if entry.program_time is not None:
        lines.append(f"#EXT-X-PROGRAM-DATE-TIME:{_iso(entry.program_time)}")
    lines += [f"#EXTINF:{entry.duration:.3f},", entry.uri]
    return lines


def render(entries, target, sequence=0, discontinuity_sequence=0, kind=None, ended=False):
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", f"#EXT-X-TARGETDURATION:{target}"]
    lines.append(f"#EXT-X-MEDIA-SEQUENCE:{sequence}")
    if discontinuity_sequence:
        lines.append(f"#EXT-X-DISCONTINUITY-SEQUENCE:{discontinuity_sequence}")
    if kind:
        lines.append(f"#EXT-X-PLAYLIST-TYPE:{kind}")
    for entry in entries:
        lines += entry_lines(entry)
    if ended:
        lines.append(ENDLIST)
    return "\n".join(lines) + "\n"


def _write_atomically(path: Path, text):
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text)
    os.chmod(temporary, 0o644)  # nginx's workers read as another user
    os.replace(temporary, path)


@contextmanager
def recording_lock(folder: Path):
    with open(folder / LOCK_FILE, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@dataclass
class _Log:
    size: int
    target: int
    uris: set
    last_number: int | None
    count: int
    discontinuities: int
    ended: bool
    # The DVR window: (index in the recording, discontinuities before it, Entry, its
    # lines). The lines are rendered once: rewriting dvr.m3u8 every second then costs
    # about 0.3 ms with a full 1800 s window instead of 4 ms (bench/recordings.py).
    tail: deque
    tail_seconds: float = 0.0


_logs: dict[str, _Log] = {}


def _load(folder: Path) -> _Log:
    path = folder / RECORDING_PLAYLIST
    playlist = read_playlist(path)
    entries = playlist.entries if playlist else []
    log = _Log(
        size=path.stat().st_size if playlist else -1,
        target=playlist.target if playlist else 0,
        uris={entry.uri for entry in entries},
        last_number=None,
        count=0,
        discontinuities=0,
        ended=bool(playlist and playlist.ended),
        tail=deque(),
    )
    for entry in entries:
        _remember(log, entry)
    return log


def _remember(log, entry):
    if entry.discontinuity and log.count:
        log.discontinuities += 1
    log.tail.append((log.count, log.discontinuities, entry, "\n".join(entry_lines(entry))))
    log.tail_seconds += entry.duration
    log.count += 1
    log.uris.add(entry.uri)
    number = _NUMBER_RE.search(entry.uri)
    log.last_number = int(number.group(1)) if number else None
    window = settings.LIVE_DVR_SECONDS
    while len(log.tail) > 1 and log.tail_seconds > window:
        log.tail_seconds -= log.tail.popleft()[2].duration


def _log_of(folder: Path) -> _Log:
    path = folder / RECORDING_PLAYLIST
    log = _logs.get(str(folder))
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        size = -1
    if log is None or log.size != size:
        log = _logs[str(folder)] = _load(folder)
    return log


def _new_entries(folder: Path, log: _Log):
    live = read_playlist(folder / PLAYLIST)
    if live is None:
        return [], 0
    fresh = []
    last_number = log.last_number
    for entry in live.entries:
        if entry.uri in log.uris or "/" in entry.uri:
            continue
        number = _NUMBER_RE.search(entry.uri)
        number = int(number.group(1)) if number else None
        # A gap (segments dropped from the live window while no packager ran).
        if number is not None and last_number is not None and number > last_number + 1:
            entry.discontinuity = True
        last_number = number if number is not None else last_number
        if entry.program_time is None:
            try:
                written = (folder / entry.uri).stat().st_mtime
            except FileNotFoundError:
                continue
            entry.program_time = datetime.fromtimestamp(written, tz=dt_timezone.utc) - timedelta(
                seconds=entry.duration
            )
        fresh.append(entry)
    return fresh, live.target


def append_segments(folder: Path, finish=False):
    """Appends what the live playlist lists and the recording lacks; with ``finish``,
    ends the recording with ENDLIST. Returns the number of segments appended."""
    if not (folder / PLAYLIST).exists() and not (folder / RECORDING_PLAYLIST).exists():
        return 0
    with recording_lock(folder):
        log = _log_of(folder)
        if log.ended:
            return 0
        fresh, live_target = _new_entries(folder, log)
        path = folder / RECORDING_PLAYLIST
        longest = max([entry.duration for entry in fresh], default=0)
        target = max(log.target, live_target, math.ceil(longest), 1)
        if log.size < 0 or target > log.target:
            # New, or a segment longer than the target: the header is written again.
            old = read_playlist(path)
            entries = (old.entries if old else []) + fresh
            _write_atomically(path, render(entries, target, kind="EVENT", ended=finish))
        elif fresh or finish:
            lines = [line for entry in fresh for line in entry_lines(entry)]
            if finish:
                lines.append(ENDLIST)
            with open(path, "a") as handle:
                handle.write("\n".join(lines) + "\n")
        if log.size < 0 or target > log.target:
            log = _logs[str(folder)] = _load(folder)
        else:
            for entry in fresh:
                _remember(log, entry)
            log.ended = log.ended or finish
            log.size = path.stat().st_size
        if fresh and not finish:
            _write_dvr(folder, log)
        if finish:
            _write_atomically(folder / READY_MARKER, path.read_text())
        return len(fresh)


def _write_dvr(folder: Path, log: _Log):
    if not log.tail:
        return
    first_index, discontinuities, first, _ = log.tail[0]
    head = Entry(first.uri, first.duration, False, first.program_time)
    text = render([head], log.target, first_index, discontinuities)
    rest = [item[3] for index, item in enumerate(log.tail) if index]
    _write_atomically(folder / DVR_PLAYLIST, text + "".join(f"{lines}\n" for lines in rest))


def recorded_uris(folder: Path):
    return set(_log_of(folder).uris) if (folder / RECORDING_PLAYLIST).exists() else set()


def totals(folder: Path):
    """(bytes, seconds) of the segments a recording lists."""
    playlist = read_playlist(folder / RECORDING_PLAYLIST)
    if playlist is None:
        return 0, 0.0
    size = 0
    for entry in playlist.entries:
        try:
            size += (folder / entry.uri).stat().st_size
        except FileNotFoundError:
            pass
    return size, sum(entry.duration for entry in playlist.entries)


def forget(folder: Path):
    _logs.pop(str(folder), None)
