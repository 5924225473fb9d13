"""Client-supplied values in log lines: escaped and capped, so they cannot forge a line.

A stream name, an address or a user name comes from whoever sent the request. Put
into a log line as it is, a newline in it starts a line of the sender's choosing
("…\\n2026-01-01 INFO live.ingest: admitted …"), and a megabyte of it fills the log.
"""

DEFAULT_LIMIT = 80


def log_field(value, limit=DEFAULT_LIMIT) -> str:
    """``value`` as a quoted, single-line, printable-ASCII string of at most ``limit`` characters.

    Backslashes, quotes, control characters (newlines, carriage returns, escape
    sequences) and anything outside ASCII (Unicode line separators included) are
    escaped; a longer value is cut and says how much was left out.
    """
    text = "" if value is None else str(value)
    left_out = max(0, len(text) - limit)
    text = text[:limit]
    escaped = text.encode("unicode_escape").decode("ascii").replace('"', '\\"')
    return f'"{escaped}"' + (f"+{left_out}" if left_out else "")
