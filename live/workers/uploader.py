"""The uploader: copies recordings, clips and the last thumbnail to object storage
(``LIVE_RECORDINGS_STORAGE=s3``), in a thread of the packager.

A thread of the packager, not a process of its own: the files are on the packager's
disk, its loop knows from the database which folders are recordings, and a thread needs
nothing more to deploy and goes with its packager, as does the disk. Its waits are
network waits (they release the GIL); the loop only hands it folders (``want``) and
collects ``outcomes``, so the live playlist, written by ffmpeg or nginx-rtmp, never
waits on an upload.

In the bucket (``live/services/storage.py``) a host's part of a recording is
``<stream>/<part>/``: its segments, and its playlist in chunks of ``CHUNK_ENTRIES``, so
an upload re-sends one small chunk, never the whole growing playlist. ``part`` is kept
in the folder (a restarted packager on the same disk goes on with it); a camera moved
to another host records a second part. Once the local playlist ends,
``<stream>/recording.m3u8`` lists every part, a discontinuity between parts. A segment
is put before the chunk that lists it.

What is not uploaded yet is found again: a (re)started packager lists the bucket for
each folder it is handed and puts only what is missing. Failures back off (1 s doubling
to 30 s) and are reported to the loop (host card, /metrics); the files stay on disk.
"""

import logging
import os
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field, replace
from pathlib import Path

from live.services import storage
from live.services.recording_playlists import (
    RECORDING_PLAYLIST,
    parse_playlist,
    recording_lock,
    render,
)
from live.services.media_playlist import write_atomically
from live.services.thumbnails import THUMBNAIL

logger = logging.getLogger("live.storage")

PART_FILE = ".storage-part"
CHUNK_ENTRIES = 60
MAX_BACKOFF_SECONDS = 30
CLIP_FILE = "clip.mp4"


@dataclass(frozen=True)
class Target:
    """A folder to mirror: a recording's (``kind="recording"``) or a clip's."""

    stream: str
    folder: Path
    kind: str = "recording"


@dataclass
class Outcome:
    target: Target
    stored: bool = False  # all of it is in the bucket (a recording: its playlist ended)
    problem: str = ""  # why the last attempt failed; "" once it works again
    seconds: float = 0.0  # a stored recording's, every part
    bytes: int = 0


@dataclass
class _State:
    part: str = ""
    uploaded: dict = field(default_factory=dict)  # key under the stream → size
    earlier: list = field(default_factory=list)  # other parts' entries, oldest first
    entries: list = field(default_factory=list)  # this part's, as the disk lists them
    inode: int = -1
    offset: int = 0
    ended: bool = False
    sent_chunks: int = 0  # entries already in uploaded chunks
    dirty: bool = False  # read from disk and not all in the bucket yet
    failures: int = 0
    not_before: float = 0.0
    problem: str = ""
    seeded: bool = False


def part_of(folder: Path):
    """This disk's part name for the folder's recording, made once."""
    path = folder / PART_FILE
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        part = f"p{secrets.token_hex(4)}"
        # Whole or not at all: an empty name, read mid-write or left by a crash, would
        # put this part's keys at the recording's top level.
        write_atomically(path, part)
        return part


def chunk_name(index):
    return f"chunk-{index:05d}.m3u8"


class Uploader:
    def __init__(self, poll_seconds=0.2, clock=time.monotonic):
        self.poll_seconds, self.clock = poll_seconds, clock
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._wanted: dict[str, Target] = {}
        self._states: dict[str, _State] = {}
        self._outcomes: list[Outcome] = []
        # Seconds from each segment's last write to the end of its upload (bench).
        self.lags = deque(maxlen=100_000)
        self._thread = threading.Thread(target=self._run, name="uploader", daemon=True)
        self._thread.start()

    # The loop's side ------------------------------------------------------

    def want(self, target: Target):
        """Mirror this folder until it is stored (idempotent); wakes the thread."""
        with self._lock:
            self._wanted.setdefault(target.stream, target)
        self._wake.set()

    def forget(self, stream):
        with self._lock:
            self._wanted.pop(stream, None)

    def outcomes(self):
        with self._lock:
            taken, self._outcomes = self._outcomes, []
        return taken

    def close(self, timeout=5):
        self._stopping.set()
        self._wake.set()
        self._thread.join(timeout)

    # The thread's side ----------------------------------------------------

    def _run(self):
        while not self._stopping.is_set():
            self._wake.wait(self.poll_seconds)
            self._wake.clear()
            with self._lock:
                targets = list(self._wanted.values())
            for target in targets:
                if self._stopping.is_set():
                    return
                self._sync_safely(target)

    def _sync_safely(self, target):
        state = self._states.setdefault(target.stream, _State())
        if self.clock() < state.not_before:
            return
        try:
            outcome = self._sync(target, state)
        except storage.StorageUnavailable as exc:
            return self._failed(target, state, str(exc))
        except OSError as exc:
            if not target.folder.exists():  # deleted meanwhile: nothing left to mirror
                self._done(target)
                return
            return self._failed(target, state, f"{type(exc).__name__}: {exc.strerror}")
        except Exception:  # never the thread: the next folder must still go up
            logger.exception("upload of %s failed", target.stream)
            return self._failed(target, state, "unexpected error (see the packager's log)")
        state.failures, state.not_before = 0, 0.0
        if state.problem or outcome.stored:
            state.problem = ""
            self._report(outcome)
        if outcome.stored:
            self._done(target)

    def _done(self, target):
        self.forget(target.stream)
        self._states.pop(target.stream, None)

    def _failed(self, target, state, reason):
        state.failures += 1
        delay = min(2 ** (state.failures - 1), MAX_BACKOFF_SECONDS)
        state.not_before = self.clock() + delay
        if reason != state.problem:
            logger.warning("upload of %s failed, retrying with backoff: %s", target.stream, reason)
            state.problem = reason
            self._report(Outcome(target, problem=reason[:200]))

    def _report(self, outcome):
        with self._lock:
            self._outcomes.append(outcome)

    def _put(self, target, state, local: Path, key):
        size = local.stat().st_size
        if state.uploaded.get(key) != size:
            storage.upload_file(local, target.stream, key)
            state.uploaded[key] = size

    def _sync(self, target, state):
        if not state.seeded:
            self._seed(target, state)
        if target.kind == "clip":
            self._put(target, state, target.folder / CLIP_FILE, CLIP_FILE)
            return Outcome(target, stored=True, bytes=state.uploaded[CLIP_FILE])
        self._read_new(target.folder, state)
        if not state.dirty:
            return Outcome(target)
        for entry in state.entries[state.sent_chunks :]:
            local, key = target.folder / entry.uri, f"{state.part}/{entry.uri}"
            if key in state.uploaded:
                continue
            if not local.exists():  # listed but gone from disk: one hole, not a stuck upload
                logger.warning("%s: %s is listed but not on disk", target.stream, entry.uri)
                state.uploaded[key] = 0
                continue
            self._put(target, state, local, key)
            self.lags.append(time.time() - local.stat().st_mtime)
        self._send_chunks(target, state)
        if not state.ended:
            state.dirty = False
            return Outcome(target)
        thumbnail = target.folder / THUMBNAIL
        if thumbnail.exists():
            self._put(target, state, thumbnail, THUMBNAIL)
        entries = state.earlier + self._mine(state)
        storage.upload_text(target.stream, RECORDING_PLAYLIST, finished_text(entries))
        size = sum(state.uploaded.get(entry.uri, 0) for entry in entries)
        return Outcome(target, stored=True, seconds=sum(e.duration for e in entries), bytes=size)

    def _seed(self, target, state):
        """What the bucket already holds of this stream: a restart, or another host's part."""
        state.uploaded = storage.listed(target.stream)
        if target.kind == "recording":
            state.part = part_of(target.folder)
            state.earlier = stored_entries(target.stream, state.uploaded, but=state.part)
        state.seeded = True

    def _read_new(self, folder: Path, state):
        """Reads what the disk's playlist gained since the last call (sets ``dirty``)."""
        path = folder / RECORDING_PLAYLIST
        try:
            stat = path.stat()
        except FileNotFoundError:
            return  # nothing recorded yet
        if stat.st_ino == state.inode and stat.st_size == state.offset:
            return
        with recording_lock(folder), open(path, "rb") as handle:
            stat = os.fstat(handle.fileno())
            if stat.st_ino != state.inode or stat.st_size < state.offset:
                # Rewritten whole (a longer target duration): read it again from the start.
                state.inode, state.offset, state.entries = stat.st_ino, 0, []
                state.sent_chunks = 0
            handle.seek(state.offset)
            text = handle.read().decode(errors="replace")
            state.offset = handle.tell()
        playlist = parse_playlist(text)
        state.entries += playlist.entries
        state.ended = state.ended or playlist.ended
        state.dirty = True

    def _mine(self, state):
        entries = [replace(e, uri=f"{state.part}/{e.uri}") for e in state.entries]
        if entries:
            entries[0] = replace(entries[0], discontinuity=bool(state.earlier))
        return entries

    def _send_chunks(self, target, state):
        """Uploads each chunk that gained entries (the last one, mostly)."""
        first = state.sent_chunks // CHUNK_ENTRIES
        for index in range(first, (len(state.entries) - 1) // CHUNK_ENTRIES + 1):
            entries = state.entries[index * CHUNK_ENTRIES : (index + 1) * CHUNK_ENTRIES]
            key = f"{state.part}/{chunk_name(index)}"
            storage.upload_text(target.stream, key, _render(entries))
        state.sent_chunks = len(state.entries)


def stored_entries(stream, listed, but=""):
    """Every part's entries in the bucket (``listed``: storage.listed), oldest part first,
    a discontinuity where each later part begins; the part ``but`` left out."""
    parts = {}
    for key in sorted(key for key in listed if "/chunk-" in key):
        part = key.split("/", 1)[0]
        if part == but:
            continue
        playlist = parse_playlist(storage.read_text(stream, key) or "")
        parts.setdefault(part, []).extend(
            replace(entry, uri=f"{part}/{entry.uri}") for entry in playlist.entries
        )
    entries = []
    for part in sorted((part for part in parts.values() if part), key=_first_time):
        part[0] = replace(part[0], discontinuity=bool(entries))
        entries += part
    return entries


def finished_text(entries):
    """The stored ``recording.m3u8`` of these entries, ended."""
    return _render(entries, ended=True)


def _first_time(entries):
    return entries[0].program_time.timestamp() if entries and entries[0].program_time else 0


def _render(entries, ended=False):
    target = max([1] + [int(-(-entry.duration // 1)) for entry in entries])
    return render(entries, target, kind="EVENT", ended=ended)
