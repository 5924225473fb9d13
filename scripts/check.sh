#!/usr/bin/env bash
# Every check: black, flake8, the test suite with coverage on SQLite (browser
# tests included, in Debian's Chromium), then the suite again on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --browser --media

export LIVE_VIEWER_SIGN_KEY="${LIVE_VIEWER_SIGN_KEY:-check-run-signing-key-$(date +%s)-0123456789abcdef}"
unset DATABASE_URL

echo "== black" && .venv/bin/black --check --quiet .
echo "== flake8" && .venv/bin/flake8

postgres_url="${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  if command -v pg_ctlcluster >/dev/null; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start || true
    sleep 2
  fi
fi

echo "== pytest on SQLite (with coverage and browser tests)"
.venv/bin/pytest --cov --cov-report=term-missing:skip-covered --cov-fail-under=90 \
  --durations=15 -p no:cacheprovider "$@"
echo "== SQLite phase done at ${SECONDS}s"

echo "== pytest on PostgreSQL ($postgres_url)"
# Everything but the browser and ingest tests. The ingest tests drive ffmpeg, nginx-rtmp
# and the packager, whose database work is the same ORM calls as the rest; of them only
# the ones that race processes over the database (two packagers, two schedulers) run on
# PostgreSQL too; of the nginx (delivery) tests, whose database work is also the same,
# only those that need PostgreSQL (two app servers on one database). This keeps the
# whole check under 20 minutes (18 here, with every phase timed below).
DATABASE_URL="$postgres_url" SCHEMA_FUZZ_EXAMPLES=8 .venv/bin/pytest -q \
  -m "not browser and not ingest and (not delivery or postgres)" \
  --durations=10 -p no:cacheprovider "$@"
if [ "$#" -eq 0 ]; then
  DATABASE_URL="$postgres_url" .venv/bin/pytest -q -m "not browser" -p no:cacheprovider \
    tests/ingest/test_packager_processes.py tests/ingest/test_scheduler.py \
    tests/ingest/test_storage_failover.py
  # The scale-out chain (two app servers, two media hosts, two edges, Chromium) needs
  # PostgreSQL for its seven processes: it runs here only.
  DATABASE_URL="$postgres_url" .venv/bin/pytest -q -p no:cacheprovider tests/ingest/test_topology.py
fi
echo "== every check passed in ${SECONDS}s"
