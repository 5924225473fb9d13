#!/usr/bin/env bash
# Runs the teecam demo: SQLite, the mock source, a demo event, a staff login
# and API keys printed, then the server on http://127.0.0.1:${PORT:-8000}.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

mkdir -p data
if [ -z "${LIVE_VIEWER_SIGN_KEY:-}" ]; then
  # A demo key kept beside the demo database, so links survive a restart.
  [ -s data/demo-sign-key ] || .venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(48))' > data/demo-sign-key
  LIVE_VIEWER_SIGN_KEY=$(cat data/demo-sign-key)
  export LIVE_VIEWER_SIGN_KEY
fi
port="${PORT:-8000}"
.venv/bin/python manage.py demo --base-url "http://127.0.0.1:$port"
exec .venv/bin/python manage.py runserver "127.0.0.1:$port" --noreload
