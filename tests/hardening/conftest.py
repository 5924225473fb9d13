"""Shared by the hardening tests: a tally of what was tried, printed after the run.

Every test here adds what it sent (requests, property examples, crash cases) to
``TALLY``; the counts are printed at the end of the run and written to
``data/hardening-counts.json`` for the "Security and reliability" table (docs/security.md).
"""

import json
import logging
from collections import defaultdict
from pathlib import Path

import pytest
from django.conf import settings

TALLY = defaultdict(int)


@pytest.fixture
def tally():
    """``tally("what", n)`` adds n to the run's count of ``what``."""

    def add(what, count=1):
        TALLY[what] += count

    return add


def pytest_terminal_summary(terminalreporter):
    if not TALLY:
        return
    terminalreporter.section("hardening: what was tried")
    for what in sorted(TALLY):
        terminalreporter.write_line(f"{TALLY[what]:>8}  {what}")
    out = Path(settings.BASE_DIR) / "data" / "hardening-counts.json"
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(dict(sorted(TALLY.items())), indent=1) + "\n")
    except OSError:
        pass


@pytest.fixture
def quiet_logs():
    """Thousands of refused requests: keep their warning and telemetry lines out of the output.

    Errors (a 500's traceback, a failed audit append) still show.
    """
    names = ["django.request", "live.telemetry", "live.ingest"]
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    yield
    for logger, level in zip(loggers, levels):
        logger.setLevel(level)
