"""Without a usable LIVE_VIEWER_SIGN_KEY, teecam refuses to start with one clear line."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
KEY = "LIVE_VIEWER_SIGN_KEY"
GOOD_KEY = "a-good-signing-key-for-the-check-" + "0123456789abcdef"

CHECK = [sys.executable, "manage.py", "check"]
IMPORT_WSGI = [sys.executable, "-c", "import teecam.wsgi"]
IMPORT_ASGI = [sys.executable, "-c", "import teecam.asgi"]


def run(command, key=None):
    env = {name: value for name, value in os.environ.items() if name != KEY}
    if key is not None:
        env[KEY] = key
    return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    "command", [CHECK, IMPORT_WSGI, IMPORT_ASGI], ids=["check", "wsgi", "asgi"]
)
@pytest.mark.parametrize(
    "key, says",
    [
        (None, "is not set"),
        ("", "is not set"),
        ("   ", "is not set"),
        ("0123456789", "too short"),
        ("x" * 31, "too short"),
    ],
    ids=["missing", "empty", "blank", "ten-characters", "thirty-one-characters"],
)
def test_it_refuses_to_start_without_a_usable_key_and_says_why(command, key, says):
    result = run(command, key)

    assert result.returncode != 0
    assert KEY in result.stderr
    assert says in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_the_message_for_a_missing_key_shows_how_to_make_one():
    result = run(CHECK)

    assert "secrets.token_urlsafe" in result.stderr


@pytest.mark.parametrize(
    "command", [CHECK, IMPORT_WSGI, IMPORT_ASGI], ids=["check", "wsgi", "asgi"]
)
def test_it_starts_with_a_good_key(command):
    result = run(command, GOOD_KEY)

    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr


def test_a_key_of_exactly_32_characters_is_enough():
    assert run(CHECK, "k" * 32).returncode == 0
