#!/usr/bin/env bash
# Runs the teecam demo: SQLite, the mock source, a demo event, the app on
# http://127.0.0.1:${PORT:-8000}, and what camera ingest needs: nginx (signed /hls/
# on :${NGINX_PORT:-8080}, RTMP ingest on :${RTMP_PORT:-1935}), the packager
# (SRT listeners on ${SRT_PORTS:-9000-9099}, RTSP) and the WHIP ingest (browsers and
# OBS on :${WHIP_PORT:-8889}, ICE over UDP ${WHIP_UDP_PORTS:-40000-40199}). It prints the staff login and
# API keys once everything answers, then one line per state change. Ctrl-C stops all.
#
# Usage: scripts/demo.sh [--lan]
#   --lan (or DEMO_LAN=1): listen on every interface, so a phone or OBS on another
#   machine can reach it, and print links with the machine's LAN address. Pages are
#   then also served over HTTPS on :${HTTPS_PORT:-8443} with a self-signed certificate
#   (phones open the camera for "Broadcast from this device" only over HTTPS; accept
#   the certificate warning once). LIVE_PUBLIC_URL=https://192.168.1.20:8443 names it.
set -euo pipefail
cd "$(dirname "$0")/.."

lan="${DEMO_LAN:-0}"
for arg in "$@"; do
  case "$arg" in
    --lan) lan=1 ;;
    -h | --help) sed -n '2,13p' "$0" | cut -c3-; exit 0 ;;
    *) echo "demo: unknown argument $arg (try --help)" >&2; exit 2 ;;
  esac
done

scripts/setup.sh --media

mkdir -p data data/nginx
if [ -z "${LIVE_VIEWER_SIGN_KEY:-}" ]; then
  # A demo key kept beside the demo database, so links survive a restart.
  [ -s data/demo-sign-key ] || .venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(48))' > data/demo-sign-key
  LIVE_VIEWER_SIGN_KEY=$(cat data/demo-sign-key)
  export LIVE_VIEWER_SIGN_KEY
fi
port="${PORT:-8000}"
nginx_port="${NGINX_PORT:-8080}"
https_port="${HTTPS_PORT:-8443}"
export LIVE_RTMP_PORT="${RTMP_PORT:-1935}"
export LIVE_SRT_PORTS="${SRT_PORTS:-${LIVE_SRT_PORTS:-9000-9099}}"
# Python's output is a pipe below: unbuffered, so lines show when they happen.
export PYTHONUNBUFFERED=1
# Webhook receivers in the demo run on this machine or the LAN (refused in production).
export LIVE_WEBHOOK_ALLOW_PRIVATE="${LIVE_WEBHOOK_ALLOW_PRIVATE:-1}"

# Where to listen, and the address people and cameras are told to use.
if [ "$lan" = 1 ]; then
  bind=0.0.0.0
  if [ -z "${LIVE_PUBLIC_URL:-}" ]; then
    # A UDP connect sends nothing: it only makes the kernel pick the interface
    # (and so the address) it would route through.
    lan_ip=$(.venv/bin/python -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    s.connect(("10.254.254.254", 1))
    print(s.getsockname()[0])
except OSError:
    print("127.0.0.1")
')
    if [ "$lan_ip" = 127.0.0.1 ]; then
      echo "demo: found no LAN address; set LIVE_PUBLIC_URL=https://<this machine>:$https_port" >&2
    fi
    LIVE_PUBLIC_URL="https://$lan_ip:$https_port"
  fi
else
  bind=127.0.0.1
fi
export LIVE_PUBLIC_URL="${LIVE_PUBLIC_URL:-http://127.0.0.1:$port}"
LIVE_PUBLIC_URL="${LIVE_PUBLIC_URL%/}"
public_host=$(.venv/bin/python -c 'import sys, urllib.parse; print(urllib.parse.urlsplit(sys.argv[1]).hostname or "")' "$LIVE_PUBLIC_URL")
public_origin=$(.venv/bin/python -c 'import sys, urllib.parse; u = urllib.parse.urlsplit(sys.argv[1]); print(f"{u.scheme}://{u.netloc}")' "$LIVE_PUBLIC_URL")
case "$public_host" in *:*) public_host="[$public_host]" ;; esac # IPv6, as ALLOWED_HOSTS spells it
# Django answers 400 to a Host it does not know, and checks form posts' Origin.
export ALLOWED_HOSTS="${ALLOWED_HOSTS:-localhost,127.0.0.1,[::1]},$public_host"
export CSRF_TRUSTED_ORIGINS="${CSRF_TRUSTED_ORIGINS:+$CSRF_TRUSTED_ORIGINS,}$public_origin"
# OBS and SRT encoders on other machines send to the public address too.
if [ "$lan" = 1 ]; then
  export LIVE_INGEST_HOST="${LIVE_INGEST_HOST:-$public_host}"
fi
ingest_host="${LIVE_INGEST_HOST:-127.0.0.1}"
# The WHIP ingest answers on its own port; publishers are told its address directly.
whip_port="${WHIP_PORT:-8889}"
export LIVE_WHIP_LISTEN="$bind:$whip_port"
export LIVE_WHIP_UDP_PORTS="${WHIP_UDP_PORTS:-${LIVE_WHIP_UDP_PORTS:-40000-40199}}"
if [ "$lan" = 1 ]; then
  # Through nginx's HTTPS server, which passes /whip/ on: an HTTPS page may only
  # publish to an HTTPS URL.
  export LIVE_WHIP_PUBLIC_URL="${LIVE_WHIP_PUBLIC_URL:-$public_origin/whip}"
else
  export LIVE_WHIP_PUBLIC_URL="${LIVE_WHIP_PUBLIC_URL:-http://$public_host:$whip_port/whip}"
fi

# Migrate, the demo event, the staff login and the API keys (reused from
# data/demo-keys.json while they work). Kept for the end: printed once all is up.
if ! credentials=$(.venv/bin/python manage.py demo --base-url "$LIVE_PUBLIC_URL" \
  --keys-file data/demo-keys.json 2>data/demo-setup.log); then
  cat data/demo-setup.log >&2
  exit 1
fi

children=()
cleanup() {
  for pid in "${children[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Whether something listens on 127.0.0.1:$1 (every listener below takes
# loopback connections, whatever it binds).
answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# Waits up to $2 seconds for port $1, while process $3 runs.
wait_for_port() {
  local deadline=$((SECONDS + $2))
  while [ "$SECONDS" -lt "$deadline" ] && kill -0 "$3" 2>/dev/null; do
    answers "$1" && return 0
    sleep 0.2
  done
  return 1
}
# A port someone else holds would answer for us: refuse to start on it.
if answers "$port"; then
  echo "demo: port $port is taken; pick another with PORT=..." >&2
  exit 1
fi

tls_options=()
if [ "$lan" = 1 ]; then
  # A self-signed certificate for the LAN address, and an HTTPS server in front of
  # nginx's own (which serves the pages, /hls/ and /whip/ and believes loopback).
  if [ ! -s data/nginx/demo-tls.crt ] || ! openssl x509 -in data/nginx/demo-tls.crt -noout -ext subjectAltName 2>/dev/null | grep -q "$public_host"; then
    case "$public_host" in
      *[!0-9.]*) san="DNS:$public_host" ;;
      *) san="IP:$public_host" ;;
    esac
    openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=teecam demo" \
      -addext "subjectAltName=$san,DNS:localhost" \
      -keyout data/nginx/demo-tls.key -out data/nginx/demo-tls.crt 2>/dev/null
    chmod 600 data/nginx/demo-tls.key
  fi
  cat > data/nginx/demo-tls.conf <<TLS
server {
    listen $bind:$https_port ssl;
    ssl_certificate $PWD/data/nginx/demo-tls.crt;
    ssl_certificate_key $PWD/data/nginx/demo-tls.key;
    client_max_body_size 128k;
    location / {
        proxy_pass http://127.0.0.1:$nginx_port;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host \$http_host;
        proxy_set_header X-Forwarded-For \$remote_addr;
        proxy_set_header X-Forwarded-Proto https;
        proxy_buffering off;
        proxy_request_buffering off;
    }
}
TLS
  tls_options=(--http-include "$PWD/data/nginx/demo-tls.conf" --trusted-proxies 127.0.0.1)
fi
.venv/bin/python manage.py rendernginx --out data/nginx/nginx.conf --prefix data/nginx \
  --listen "$bind:$nginx_port" --upstream "127.0.0.1:$port" \
  --rtmp-listen "$bind:$LIVE_RTMP_PORT" "${tls_options[@]}" >/dev/null
nginx_pid=""
rm -f data/nginx/nginx.pid
if nginx -t -q -c "$PWD/data/nginx/nginx.conf" -p "$PWD/data/nginx" 2>>data/nginx/error.log; then
  # Startup errors (a port in use) go to stderr before nginx opens its own log.
  nginx -c "$PWD/data/nginx/nginx.conf" -p "$PWD/data/nginx" -g 'daemon off;' 2>>data/nginx/error.log &
  nginx_pid=$!
  children+=("$nginx_pid")
fi

# The packager and the app: everything they say goes to their log file; the
# terminal gets one line per state change (scripts/demo_log.py).
packager_log_start=$(stat -c %s data/packager.log 2>/dev/null || echo 0)
.venv/bin/python manage.py livepackager > >(.venv/bin/python scripts/demo_log.py data/packager.log) 2>&1 &
children+=("$!")
.venv/bin/python manage.py runwhip >>data/whip.log 2>&1 & whip_pid=$!; children+=("$whip_pid") # WHIP ingest
.venv/bin/python manage.py deliverwebhooks >>data/webhooks.log 2>&1 & children+=("$!") # webhooks (manage.py createwebhook URL)
.venv/bin/python manage.py runscheduler >>data/scheduler.log 2>&1 & children+=("$!")  # tee-time schedules
.venv/bin/python manage.py runserver "$bind:$port" --noreload \
  > >(.venv/bin/python scripts/demo_log.py data/demo-requests.log) 2>&1 &
app_pid=$!
children+=("$app_pid")

if ! wait_for_port "$port" 60 "$app_pid"; then
  echo "demo: the app did not start on port $port (see data/demo-requests.log)" >&2
  exit 1
fi
echo "  app:       $LIVE_PUBLIC_URL (requests logged to data/demo-requests.log)"
# nginx writes its pid file once it holds all its ports (it gives up after a few
# seconds on a port in use, and that port may answer for someone else).
nginx_up() {
  [ -n "$nginx_pid" ] || return 1
  local deadline=$((SECONDS + 10))
  until [ "$(cat data/nginx/nginx.pid 2>/dev/null)" = "$nginx_pid" ]; do
    kill -0 "$nginx_pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.2
  done
  wait_for_port "$nginx_port" 5 "$nginx_pid" && wait_for_port "$LIVE_RTMP_PORT" 5 "$nginx_pid"
}
if nginx_up; then
  echo "  nginx:     http://$public_host:$nginx_port (signed /hls/), rtmp://$ingest_host:$LIVE_RTMP_PORT/live"
  if [ "$lan" = 1 ]; then
    echo "  https:     https://$public_host:$https_port (self-signed: accept it once; phones need it to broadcast)"
  fi
else
  [ -z "$nginx_pid" ] || kill "$nginx_pid" 2>/dev/null || true
  echo "  nginx:     could not start (see data/nginx/error.log): RTMP ingest and :$nginx_port are off"
fi
# The packager has no port: it is up once it has logged its start.
packager_up=0
for _ in $(seq 100); do
  if tail -c +"$((packager_log_start + 1))" data/packager.log 2>/dev/null | grep -q 'packager .* starting'; then
    packager_up=1
    break
  fi
  sleep 0.2
done
if [ "$packager_up" = 1 ]; then
  echo "  packager:  running, SRT ports $LIVE_SRT_PORTS (log: data/packager.log)"
else
  echo "  packager:  did not start (see data/packager.log): SRT and RTSP cameras are off"
fi

if wait_for_port "$whip_port" 20 "$whip_pid"; then
  echo "  whip:      $LIVE_WHIP_PUBLIC_URL/<camera>, UDP $LIVE_WHIP_UDP_PORTS (log: data/whip.log)"
else
  echo "  whip:      did not start (see data/whip.log): WebRTC (WHIP) publishing is off"
fi

where="on this machine only (scripts/demo.sh --lan: reachable from the LAN)"
[ "$lan" = 1 ] && where="on the LAN, as $public_host"
echo
echo "=== teecam demo is ready, $where ==="
echo "$credentials"
echo "=== Ctrl-C stops it. From here on, one line per state change: ==="

wait "$app_pid"
