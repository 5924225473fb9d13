"""Whether the parts every process needs answer: the database and the cache.

``GET /healthz`` and ``manage.py status`` ask this. Each part gets a real round
trip (a query; a cache write read back), so a cache or database that accepts
connections but cannot answer counts as down.
"""

import logging
import secrets

from django.core.cache import cache
from django.db import connection

logger = logging.getLogger("live.health")

OK = "ok"


def _database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        if cursor.fetchone()[0] != 1:
            raise RuntimeError("SELECT 1 did not answer 1")


def _cache():
    nonce = secrets.token_hex(8)
    cache.set("teecam:healthz", nonce, 10)
    if cache.get("teecam:healthz") != nonce:
        raise RuntimeError("a value written was not read back")


PARTS = {"database": _database, "cache": _cache}


def check_parts():
    """{part: "ok" or what went wrong}; the details go to the log, not to the caller."""
    answers = {}
    for name, check in PARTS.items():
        try:
            check()
            answers[name] = OK
        except Exception as error:  # any failure of the part is the answer
            logger.warning("health: the %s does not answer: %r", name, error)
            answers[name] = f"does not answer ({type(error).__name__})"
    return answers


def failing(answers):
    return [name for name, answer in answers.items() if answer != OK]
