#!/usr/bin/env bash
# Runs the teecam demo: SQLite, the mock source, a demo event, a staff login and
# API keys printed, the app on http://127.0.0.1:${PORT:-8000}, and what camera
# ingest needs on loopback: nginx (signed /hls/ on :${NGINX_PORT:-8080}, RTMP
# ingest on :${RTMP_PORT:-1935}) and the packager (SRT/RTSP). Ctrl-C stops all.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --media

mkdir -p data
if [ -z "${LIVE_VIEWER_SIGN_KEY:-}" ]; then
  # A demo key kept beside the demo database, so links survive a restart.
  [ -s data/demo-sign-key ] || .venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(48))' > data/demo-sign-key
  LIVE_VIEWER_SIGN_KEY=$(cat data/demo-sign-key)
  export LIVE_VIEWER_SIGN_KEY
fi
port="${PORT:-8000}"
nginx_port="${NGINX_PORT:-8080}"
export LIVE_RTMP_PORT="${RTMP_PORT:-1935}"

.venv/bin/python manage.py demo --base-url "http://127.0.0.1:$port"

children=()
cleanup() {
  for pid in "${children[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

.venv/bin/python manage.py rendernginx --out data/nginx/nginx.conf --prefix data/nginx \
  --listen "127.0.0.1:$nginx_port" --upstream "127.0.0.1:$port" \
  --rtmp-listen "127.0.0.1:$LIVE_RTMP_PORT" >/dev/null
if nginx -t -q -c "$PWD/data/nginx/nginx.conf" -p "$PWD/data/nginx" 2>/dev/null; then
  nginx -c "$PWD/data/nginx/nginx.conf" -p "$PWD/data/nginx" -g 'daemon off;' &
  children+=($!)
  echo "  nginx:         http://127.0.0.1:$nginx_port (signed /hls/), rtmp://127.0.0.1:$LIVE_RTMP_PORT/live"
else
  echo "  nginx could not start (see data/nginx/error.log): RTMP ingest is off" >&2
fi
.venv/bin/python manage.py livepackager >>data/packager.log 2>&1 &
children+=($!)
echo "  packager:      running (log: data/packager.log)"
echo

.venv/bin/python manage.py runserver "127.0.0.1:$port" --noreload
