"""Writes the systemd units of this install (``manage.py renderunits``).

The templates are ``deploy/systemd/``: one unit per process, grouped by
``teecam.target``, each reading ``/etc/teecam/teecam.env`` and sandboxed by systemd.
What differs between installs (where the code, the virtual environment and the data
folder are, the user, gunicorn's address) is filled in here, checked first: a value
with a space, quote, ``%`` or ``$`` in it would change the unit systemd reads.
"""

import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.template import Context, Engine

from live.services.nginx_config import ADDRESS_RE

TEMPLATES_DIR = Path(settings.BASE_DIR) / "deploy" / "systemd"
UNITS = (
    "teecam.target",
    "teecam-web.socket",
    "teecam-web.service",
    "teecam-packager.service",
    "teecam-whip.service",
    "teecam-webhooks.service",
    "teecam-scheduler.service",
    "teecam-nginx.service",
)
# Plain absolute paths only: systemd would read a space as a second path, and expand
# "%" (specifiers) and "$" (variables) in command lines.
PATH_RE = re.compile(r"/[A-Za-z0-9._/+@-]{0,400}")
USER_RE = re.compile(r"[a-z_][a-z0-9_-]{0,31}")
# ProtectHome=yes hides these from every unit: code or data there could not be read.
HIDDEN_BY_PROTECT_HOME = ("/home", "/root", "/run/user")


class UnitOptionError(ValueError):
    """A value that cannot go into a unit; the message names the option."""


@dataclass
class UnitOptions:
    user: str = "teecam"
    env_file: str = "/etc/teecam/teecam.env"
    web_listen: str = "127.0.0.1:8000"
    nginx_config: str = "/etc/teecam/nginx.conf"
    # Empty: rendernginx's default prefix (the data folder's parent + /nginx).
    nginx_prefix: str = ""


def _nginx_prefix(options):
    return options.nginx_prefix or str(Path(settings.LIVE_STREAM_DATA_DIR).parent / "nginx")


def unit_context(options: UnitOptions) -> dict:
    """The values the templates are filled with, each checked; UnitOptionError otherwise."""
    python = sys.executable  # the virtual environment's, not the file its link points to
    data_dir = Path(settings.LIVE_STREAM_DATA_DIR).resolve()
    writable = [str(data_dir)]
    database = settings.DATABASES["default"]
    database_dir = ""
    if database["ENGINE"] == "django.db.backends.sqlite3":
        # SQLite writes its journal beside the database file.
        database_dir = str(Path(database["NAME"]).resolve().parent)
        writable.append(database_dir)
    context = {
        "base_dir": str(Path(settings.BASE_DIR).resolve()),
        "python": python,
        "gunicorn": str(Path(python).parent / "gunicorn"),
        "nginx": shutil.which("nginx", path="/usr/sbin:/usr/bin") or "/usr/sbin/nginx",
        "data_dir": str(data_dir),
        "nginx_config": options.nginx_config,
        "nginx_prefix": str(Path(_nginx_prefix(options)).resolve()),
        "env_file": options.env_file,
    }
    named = {
        "base_dir": "the install folder (BASE_DIR)",
        "python": "the virtual environment's python",
        "gunicorn": "gunicorn",
        "nginx": "nginx",
        "data_dir": "LIVE_STREAM_DATA_DIR",
        "nginx_config": "--nginx-config",
        "nginx_prefix": "--nginx-prefix",
        "env_file": "--env-file",
    }
    for key, value in context.items():
        _check_path(named[key], value)
    for path in writable:
        _check_path("the database folder (DATABASE_URL)", path)
    if not USER_RE.fullmatch(options.user):
        raise UnitOptionError(
            f"--user {options.user!r}: a system user name (lower-case letters, digits, '_', '-')"
        )
    if options.user == "root":
        raise UnitOptionError("--user root: the services run as an unprivileged user")
    if not ADDRESS_RE.fullmatch(options.web_listen):
        raise UnitOptionError(f"--web-listen {options.web_listen!r}: expected HOST:PORT or PORT")
    return {
        **context,
        "user": options.user,
        "web_listen": options.web_listen,
        "writable": " ".join(dict.fromkeys(writable)),
        "database_dir": database_dir,
        "banner": "Written by `manage.py renderunits` for this install; edit the templates "
        "in deploy/systemd/ instead.",
    }


def _check_path(name, value):
    if not PATH_RE.fullmatch(value) or "/../" in f"{value}/" or "//" in value:
        raise UnitOptionError(
            f"{name} {value!r}: a unit needs an absolute path of letters, digits and "
            "'._/+@-' (no spaces, quotes, '%' or '$')"
        )
    for hidden in HIDDEN_BY_PROTECT_HOME:
        if value == hidden or value.startswith(hidden + "/"):
            raise UnitOptionError(
                f"{name} {value!r}: under {hidden}, which ProtectHome=yes hides from every "
                "unit; install teecam elsewhere (e.g. /opt/teecam, data in /var/lib/teecam)"
            )


def render_units(options: UnitOptions) -> dict[str, str]:
    """{file name: text} of every unit, for this install's paths."""
    context = Context(unit_context(options), autoescape=False)
    engine = Engine(dirs=[str(TEMPLATES_DIR)], autoescape=False)
    return {name: engine.get_template(name).render(context) for name in UNITS}


def write_units(options: UnitOptions, out: Path) -> list[Path]:
    units = render_units(options)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in units.items():
        path = out / name
        path.write_text(text)
        path.chmod(0o644)
        written.append(path)
    return written
