"""Reading teecam's settings from the environment.

Kept free of Django imports so that manage.py, wsgi.py and asgi.py can refuse
to start with a one-line message before Django prints a traceback.
"""

import os
import re
import sys

SIGN_KEY_VAR = "LIVE_VIEWER_SIGN_KEY"
SIGN_KEY_MIN_LENGTH = 32


def sign_key_problem(environ=os.environ):
    """Why the signing key in the environment is unusable, or None."""
    value = environ.get(SIGN_KEY_VAR, "")
    if not value.strip():
        return (
            f"{SIGN_KEY_VAR} is not set. teecam needs it to sign viewer tokens and "
            f"media URLs: set it to a random string of at least "
            f"{SIGN_KEY_MIN_LENGTH} characters, e.g. "
            f'export {SIGN_KEY_VAR}="$(python3 -c '
            f"'import secrets; print(secrets.token_urlsafe(48))')\""
        )
    if len(value) < SIGN_KEY_MIN_LENGTH:
        return (
            f"{SIGN_KEY_VAR} is too short ({len(value)} characters): use at least "
            f"{SIGN_KEY_MIN_LENGTH} random characters."
        )
    return None


def exit_unless_sign_key():
    problem = sign_key_problem()
    if problem:
        sys.stderr.write(f"teecam: {problem}\n")
        sys.exit(2)


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def env_int(name, default):
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError:
        sys.stderr.write(f"teecam: {name} must be an integer, got {value!r}\n")
        sys.exit(2)


def split_list(value):
    """The items of a comma-separated value, trimmed, without empty ones."""
    return [item.strip() for item in value.split(",") if item.strip()]


def port_range(value):
    """``"40000-40199"`` (or one port) → range(40000, 40200); ValueError when not numbers."""
    low, _, high = value.partition("-")
    return range(int(low), int(high or low) + 1)


def env_list(name, default):
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return list(default)
    return split_list(value)


_MEDIA_HOST_URL = re.compile(r"\A(?:https?://[A-Za-z0-9.:\[\]-]+)?(?:/[A-Za-z0-9._~-]+)*\Z")


def env_media_host_url(name):
    """A media host's public base: empty, a path such as /media/a, or http(s)://host[:port][/path].

    It starts every viewer's media URL, so anything else (a query, spaces, quotes)
    is refused at start-up rather than written into pages.
    """
    value = os.environ.get(name, "").strip().rstrip("/")
    if not _MEDIA_HOST_URL.match(value):
        sys.stderr.write(
            f"teecam: {name} must be empty, a path such as /media/a, or "
            f"https://host[:port][/path] without a query; got {value!r}\n"
        )
        sys.exit(2)
    return value
