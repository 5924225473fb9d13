"""Reading a live media playlist (ours or nginx-rtmp's) into entries, and writing one back.

The ladder's rung playlists are the source playlist's own entries (sequence
numbers, durations, program date times, discontinuities), so this keeps every
segment's tags as they came.
"""

from dataclasses import dataclass
from pathlib import Path

# Playlist-level tags: everything else before a URI belongs to that segment.
_PLAYLIST_TAGS = (
    "#EXTM3U",
    "#EXT-X-VERSION",
    "#EXT-X-TARGETDURATION",
    "#EXT-X-MEDIA-SEQUENCE",
    "#EXT-X-DISCONTINUITY-SEQUENCE",
    "#EXT-X-INDEPENDENT-SEGMENTS",
    "#EXT-X-PLAYLIST-TYPE",
    "#EXT-X-ALLOW-CACHE",
    "#EXT-X-ENDLIST",
)
DISCONTINUITY = "#EXT-X-DISCONTINUITY"


@dataclass(frozen=True)
class Entry:
    sequence: int  # media sequence number
    uri: str
    tags: tuple  # the segment's own tag lines (EXTINF, PROGRAM-DATE-TIME, DISCONTINUITY)
    discontinuity: int  # its discontinuity sequence number

    @property
    def duration(self):
        for tag in self.tags:
            if tag.startswith("#EXTINF:"):
                try:
                    return float(tag[len("#EXTINF:") :].split(",")[0])
                except ValueError:
                    return 0.0
        return 0.0


@dataclass(frozen=True)
class MediaPlaylist:
    header: tuple  # playlist-level lines except the two sequence numbers
    entries: tuple

    @property
    def newest(self):
        return self.entries[-1] if self.entries else None


def parse_playlist(text: str) -> MediaPlaylist:
    header, entries, pending = [], [], []
    sequence = discontinuity = 0
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#EXT-X-MEDIA-SEQUENCE:"):
            sequence = _int_after(line, sequence)
        elif line.startswith("#EXT-X-DISCONTINUITY-SEQUENCE:"):
            discontinuity = _int_after(line, discontinuity)
        elif line.split(":")[0] in _PLAYLIST_TAGS:
            if line != "#EXT-X-ENDLIST":  # a rung is live while its source is
                header.append(line)
        elif line.startswith("#"):
            if line == DISCONTINUITY and entries:
                # The first segment's number is the DISCONTINUITY-SEQUENCE itself.
                discontinuity += 1
            pending.append(line)
        else:
            entries.append(Entry(sequence, line, tuple(pending), discontinuity))
            sequence, pending = sequence + 1, []
    return MediaPlaylist(tuple(header), tuple(entries))


def _int_after(line, default):
    try:
        return int(line.split(":", 1)[1])
    except ValueError:
        return default


def read_playlist(path: Path):
    """The playlist at path, or None if there is none yet."""
    try:
        return parse_playlist(path.read_text(errors="replace"))
    except FileNotFoundError:
        return None


def render_playlist(header, entries) -> str:
    """A live media playlist of these entries (a window of a parsed playlist)."""
    first = entries[0]
    lines = [line for line in header]
    lines.append(f"#EXT-X-MEDIA-SEQUENCE:{first.sequence}")
    if first.discontinuity:
        lines.append(f"#EXT-X-DISCONTINUITY-SEQUENCE:{first.discontinuity}")
    for index, entry in enumerate(entries):
        for tag in entry.tags:
            # The first segment's own discontinuity is in the sequence number above.
            if not (index == 0 and tag == DISCONTINUITY):
                lines.append(tag)
        lines.append(entry.uri)
    return "\n".join(lines) + "\n"


def write_atomically(path: Path, data):
    """Readers (nginx, players) see the old file or the new one, never half of one."""
    temporary = path.with_name(f".{path.name}.tmp")
    if isinstance(data, str):
        data = data.encode()
    temporary.write_bytes(data)
    temporary.chmod(0o644)  # nginx workers run as another user
    temporary.replace(path)
