"""The demo's terminal: reads a process's output, keeps all of it in a log file and
prints one short line per state change.

Usage: ``some command 2>&1 | python scripts/demo_log.py LOGFILE``

Printed: broadcasts started and stopped, viewer links minted and revoked, cameras
added, connected (the RTMP hook admitting a publish) and refused, stream keys
rotated, viewers joining, rate-limit refusals, warnings and errors. Kept in LOGFILE
only: request lines, status polls (``live.status``), runserver's banner, tracebacks.
Standard library only: it runs beside the app, not inside it.
"""

import json
import re
import signal
import sys
import time

# "2026-11-30 02:15:29,797 INFO django.server: message" (settings.LOGGING "standard").
RECORD = re.compile(r"^\d{4}-\d\d-\d\d [\d:,]+ (?P<level>[A-Z]+) (?P<logger>[\w.]+): (?P<msg>.*)$")
# runserver's request line: "POST /ingest/rtmp/publish?… HTTP/1.1" 302 0
REQUEST = re.compile(r'^"(?P<method>[A-Z]+) (?P<path>\S+) [^"]*" (?P<status>\d{3})')


def _camera(fields):
    camera = fields.get("camera")
    return f"{fields.get('eventId')}/{camera}" if camera else f"{fields.get('eventId')}"


def _by(fields):
    return f" by {fields['actor']}" if fields.get("actor") else ""


TELEMETRY = {
    "live.start": lambda f: f"broadcast started: {_camera(f)} ({f.get('source')}){_by(f)}",
    "live.stop": lambda f: f"broadcast stopped: {_camera(f)} ({f.get('source')}){_by(f)}",
    "live.token": lambda f: (
        f"link minted: {f.get('eventId')}, "
        + (f"camera {f['camera']}" if f.get("camera") else "every camera")
        + f", opens for {f.get('ttl')} s (link {f.get('linkId')}){_by(f)}"
    ),
    "live.link_revoked": lambda f: f"link revoked: {f.get('eventId')} link {f.get('linkId')}"
    + _by(f),
    "live.camera_created": lambda f: f"camera added: {_camera(f)}{_by(f)}",
    "live.stream_key_rotated": lambda f: f"stream key rotated: {_camera(f)}{_by(f)}",
    "live.viewer_join": lambda f: f"viewer joined: {f.get('eventId')} broadcast "
    f"{f.get('broadcastId')}",
    "live.rate_limited": lambda f: f"rate limited: {f.get('scope')} "
    f"(client {f.get('client')}, retry in {f.get('retryAfter')} s)",
}
# Every poll of every viewer and API client: the log file keeps them.
QUIET_TELEMETRY = {"live.status"}


def telemetry_line(line):
    """The short line for a telemetry record, "" to drop it, None if not telemetry."""
    if not line.startswith("{"):
        return None
    try:
        fields = json.loads(line)
    except ValueError:
        return None
    if not isinstance(fields, dict) or "event" not in fields:
        return None
    name = fields["event"]
    if name in QUIET_TELEMETRY:
        return ""
    if name in TELEMETRY:
        return TELEMETRY[name](fields)
    rest = ", ".join(f"{k}={v}" for k, v in fields.items() if k not in ("event", "at"))
    return f"{name}: {rest}"


def record_line(level, logger, msg, seen):
    """The short line for a log record, or "" to keep it in the log file only."""
    if logger == "django.server":
        request = REQUEST.match(msg)
        if request is None:
            return ""
        path, status = request["path"], request["status"]
        if path.startswith("/ingest/rtmp/publish?") or path == "/ingest/rtmp/publish":
            # 302 is the hook admitting a camera under its broadcast's name; refusals
            # are told by live.ingest, with the reason.
            return "RTMP camera connected" if status == "302" else ""
        if status.startswith("5"):
            return f"server error {status}: {request['method']} {path}"
        return ""
    if logger.startswith("django.security"):
        # E.g. a phone using a host name that is not in ALLOWED_HOSTS: once per message.
        if msg in seen:
            return ""
        seen.add(msg)
        return f"refused: {msg}"
    if logger.startswith("django."):
        return f"error: {msg}" if level in ("ERROR", "CRITICAL") else ""
    if logger == "live.ingest":
        return f"camera: {msg}"
    if level in ("WARNING", "ERROR", "CRITICAL"):
        return f"{level.lower()}: {msg}"
    return ""


def short_line(line, seen):
    shown = telemetry_line(line)
    if shown is not None:
        return shown
    record = RECORD.match(line)
    if record:
        return record_line(record["level"], record["logger"], record["msg"], seen)
    if line.startswith(("Error:", "CommandError:")):
        return line  # runserver could not start (e.g. the port is taken)
    return ""


def main(log_path):
    # Ctrl-C reaches the whole process group: keep reading until the app's output
    # ends, so its last lines are shown and logged.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    seen = set()
    with open(log_path, "a", buffering=1) as log:
        for raw in iter(sys.stdin.readline, ""):
            log.write(raw)
            shown = short_line(raw.rstrip("\n"), seen)
            if shown:
                print(f"{time.strftime('%H:%M:%S')} {shown}", flush=True)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
