"""Small helpers shared by the tests in tests/live (not fixtures: import them)."""

import json
import os
import subprocess
from datetime import datetime
from pathlib import Path


def start_url(event_id):
    return f"/events/{event_id}/live/start"


def stop_url(event_id):
    return f"/events/{event_id}/live/stop"


def token_url(event_id):
    return f"/events/{event_id}/live/token"


def status_url(event_id):
    return f"/events/{event_id}/live/status"


SIGN_URL = "/media/sign"


def key_actor(name, raw_key):
    """The audit actor of an API key: its name and its prefix (the part after ``tc_``)."""
    return f"key:{name}#{raw_key.split('_')[1]}"


def start(api, event_id, source="mock"):
    return api.post(start_url(event_id), {"source": source}, format="json")


def mint(api, event_id, **body):
    return api.post(token_url(event_id), body, format="json")


def parse_time(value):
    """An ISO 8601 time from an API answer, with DRF's trailing Z accepted."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def segment_uris(playlist_text):
    return [line for line in playlist_text.splitlines() if line and not line.startswith("#")]


def sibling(path, name):
    return path.rsplit("/", 1)[0] + "/" + name


def with_part(path, index, value):
    parts = path.split("/")  # ["", "hls", sig, exp, stream, file]
    parts[index] = value
    return "/".join(parts)


def changed_middle_character(text):
    middle = len(text) // 2
    replacement = "A" if text[middle] != "A" else "B"
    return text[:middle] + replacement + text[middle + 1 :]


def audit_lines(data_dir):
    path = data_dir / "streams.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


class ReadOnlyFolder:
    """Makes a folder read-only for every process, root included, until ``release()``.

    Root ignores permission bits, so as root the folder is bind-mounted onto itself
    and remounted read-only: every write under it fails with EROFS, in this process
    and in any other. Where mounting is not permitted, the folder and its files are
    made immutable (``chattr +i``, ext4 and most Linux filesystems). Not root:
    ``chmod`` is enough.
    """

    def __init__(self, folder):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.how = None
        if os.geteuid() != 0:
            self._chmod()
        elif not self._mount() and not self._chattr():
            raise RuntimeError(
                f"cannot make {self.folder} read-only for root: neither a read-only bind "
                "mount nor chattr +i is permitted here"
            )

    def _run(self, *command):
        return subprocess.run(command, capture_output=True).returncode == 0

    def _mount(self):
        if not self._run("mount", "--bind", str(self.folder), str(self.folder)):
            return False
        if not self._run("mount", "-o", "remount,bind,ro", str(self.folder)):
            self._run("umount", str(self.folder))
            return False
        self.how = "read-only bind mount"
        return True

    def _paths(self):
        return [self.folder, *self.folder.iterdir()]

    def _chattr(self):
        if not self._run("chattr", "+i", *map(str, self._paths())):
            self._run("chattr", "-i", *map(str, self._paths()))
            return False
        self.how = "chattr +i"
        return True

    def _chmod(self):
        for path in self._paths():
            path.chmod(0o500 if path.is_dir() else 0o400)
        self.how = "chmod"

    def release(self):
        """Writable again (idempotent)."""
        if self.how == "read-only bind mount":
            if not self._run("umount", str(self.folder)):
                self._run("umount", "-l", str(self.folder))
        elif self.how == "chattr +i":
            self._run("chattr", "-i", *map(str, self._paths()))
        elif self.how == "chmod":
            for path in self._paths():
                path.chmod(0o700 if path.is_dir() else 0o600)
        self.how = None
