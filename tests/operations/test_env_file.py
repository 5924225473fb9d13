"""deploy/teecam.env.example, the file the units read (EnvironmentFile=): every line a
setting teecam reads, each explained, and with it Django's deploy checks are clean."""

import re
import subprocess
from pathlib import Path

from django.conf import settings

from tests.processes import PYTHON

EXAMPLE = Path(settings.BASE_DIR) / "deploy" / "teecam.env.example"
LINE = re.compile(r"([A-Z][A-Z0-9_]*)=([^\s\"']*)")


def _settings():
    """Each VARIABLE=value line, with the comment lines just above it."""
    found, comment = [], []
    for line in EXAMPLE.read_text().splitlines():
        if line.startswith("#"):
            comment.append(line)
        elif line.strip():
            match = LINE.fullmatch(line)
            assert match, f"not VARIABLE=value (no quotes, no spaces): {line!r}"
            found.append((match[1], match[2], comment))
            comment = []
        else:
            comment = []
    return found


def test_every_line_is_a_setting_teecam_reads_and_is_explained():
    source = "".join(
        (Path(settings.BASE_DIR) / "teecam" / name).read_text()
        for name in ("settings.py", "env.py")
    )
    for name, _, comment in _settings():
        assert f'"{name}"' in source, f"{name} is not read by teecam/settings.py"
        assert comment, f"{name} has no comment saying what it is"


def test_the_example_with_its_secrets_filled_passes_check_deploy(tmp_path):
    env = {name: value for name, value, _ in _settings()}
    env.update(
        LIVE_VIEWER_SIGN_KEY="x" * 48,
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        LIVE_STREAM_DATA_DIR=str(tmp_path / "live"),
        PATH="/usr/bin:/bin",
    )
    result = subprocess.run(
        [PYTHON, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env, cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
