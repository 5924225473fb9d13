#!/usr/bin/env bash
# Every check: black, flake8, the import contracts, then the test suite twice, side by
# side: on SQLite with coverage (browser and ingest tests included, in Debian's Chromium
# with real ffmpeg, nginx-rtmp and GStreamer) and on PostgreSQL (what the database
# changes: everything but the browser tests, the ingest tests that race processes over the
# database, and the two-app-server nginx tests). Arguments go to pytest; with arguments
# only the SQLite pass runs, e.g. `scripts/check.sh -k token`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --browser --media

export LIVE_VIEWER_SIGN_KEY="${LIVE_VIEWER_SIGN_KEY:-check-run-signing-key-$(date +%s)-0123456789abcdef}"
unset DATABASE_URL
# Most tests wait on real media in real time (cameras, segments, players), not on the CPU:
# more workers than cores keep both cores busy. CHECK_WORKERS overrides.
workers="${CHECK_WORKERS:-3}"
pg_workers="${CHECK_PG_WORKERS:-2}"

echo "== black" && .venv/bin/black --check --quiet .
echo "== flake8" && .venv/bin/flake8
echo "== import contracts" && .venv/bin/lint-imports --no-cache >/dev/null

postgres_url="${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  if command -v pg_ctlcluster >/dev/null; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start || true
    sleep 2
  fi
fi

mkdir -p data
pg_log=data/check-postgres.log
pg_pid=""
if [ "$#" -eq 0 ]; then
  echo "== pytest on PostgreSQL ($postgres_url), beside the SQLite pass; log: $pg_log"
  (
    set -e
    export DATABASE_URL="$postgres_url" SCHEMA_FUZZ_EXAMPLES=8
    .venv/bin/pytest -q -n "$pg_workers" --dist loadfile -p no:cacheprovider --durations=10 \
      -m "not browser and not ingest and (not delivery or postgres)"
    # Of the ingest tests, those that race processes over the database (two packagers,
    # two schedulers, a kill -9) run here too.
    .venv/bin/pytest -q -n "$pg_workers" --dist loadfile -p no:cacheprovider -m "not browser" \
      tests/ingest/test_packager_processes.py tests/ingest/test_scheduler.py \
      tests/ingest/test_storage_failover.py
    # The scale-out chain (two app servers, two media hosts, two edges, Chromium) needs
    # PostgreSQL for its seven processes: it runs here only.
    .venv/bin/pytest -q -p no:cacheprovider tests/ingest/test_topology.py
  ) >"$pg_log" 2>&1 &
  pg_pid=$!
fi

echo "== pytest on SQLite (with coverage, browser and ingest tests; $workers workers)"
sqlite_status=0
.venv/bin/pytest -n "$workers" --dist loadfile \
  --cov --cov-report=term-missing:skip-covered --cov-fail-under=90 \
  --durations=15 -p no:cacheprovider "$@" || sqlite_status=$?
echo "== SQLite pass done at ${SECONDS}s"

if [ -n "$pg_pid" ]; then
  pg_status=0
  wait "$pg_pid" || pg_status=$?
  tail -n 40 "$pg_log"
  echo "== PostgreSQL pass done at ${SECONDS}s"
  [ "$pg_status" -eq 0 ] || { echo "== the PostgreSQL pass failed (log: $pg_log)"; exit 1; }
fi
[ "$sqlite_status" -eq 0 ] || { echo "== the SQLite pass failed"; exit 1; }
echo "== every check passed in ${SECONDS}s"
