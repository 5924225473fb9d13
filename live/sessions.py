"""Database sessions that refuse malformed session keys before asking the database.

A ``sessionid`` cookie is whatever the client sends; a quoted cookie may even
carry a NUL character (``"\\000…"``), which PostgreSQL refuses in a query with an
error: every page would answer 500. Django makes keys of 32 lowercase letters and
digits, so anything else is simply no session.
"""

import re

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore

_KEY_RE = re.compile(r"\A[a-z0-9]{8,40}\Z")


class SessionStore(DatabaseSessionStore):
    def _validate_session_key(self, key):
        return bool(key) and isinstance(key, str) and bool(_KEY_RE.match(key))
