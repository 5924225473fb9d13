"""One short ffmpeg job: it writes temporary files, renamed into place only if it
succeeds, and is killed past its deadline.

Jobs never block the packager's loop: each pass polls them. They die with the
packager (PR_SET_PDEATHSIG) and carry no child marker, so they are not taken for a
broadcast's ingest ffmpeg.
"""

import logging
import os
import subprocess
import time
from pathlib import Path

from live.workers.child_processes import _die_with_parent

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
