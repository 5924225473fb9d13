#!/usr/bin/env bash
# Installs what teecam needs on a fresh Debian machine: system packages when
# missing, then a virtual environment in .venv with the pinned requirements.
# Usage: scripts/setup.sh [--browser] [--media]
set -euo pipefail
cd "$(dirname "$0")/.."

want_browser=0
want_media=0
for arg in "$@"; do
  case "$arg" in
    --browser) want_browser=1 ;;
    --media) want_media=1 ;;
  esac
done

packages=()
command -v ffmpeg >/dev/null || packages+=(ffmpeg)
# systemd-analyze checks the units renderunits writes (tests/operations/test_units.py).
command -v systemd-analyze >/dev/null || packages+=(systemd)
if [ "$want_browser" = 1 ]; then
  command -v chromium >/dev/null || packages+=(chromium)
fi
if [ "$want_media" = 1 ]; then
  command -v nginx >/dev/null || packages+=(nginx)
  [ -e /usr/lib/nginx/modules/ngx_rtmp_module.so ] || packages+=(libnginx-mod-rtmp)
  command -v wrk >/dev/null || packages+=(wrk)
  # The LAN demo's self-signed certificate (phones allow the camera only over HTTPS).
  command -v openssl >/dev/null || packages+=(openssl)
  # GStreamer's RTSP server stands in for an IP camera in the ingest tests and the
  # bench (tests/ingest/rtsp_server.py, run by Debian's python3, not the venv).
  if ! /usr/bin/python3 -c '
import gi
gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import Gst
Gst.init(None)
needed = ("x264enc", "voaacenc", "rtph264pay", "rtpmp4gpay", "tsdemux", "h264parse", "aacparse")
assert all(Gst.ElementFactory.find(name) for name in needed)
' >/dev/null 2>&1; then
    packages+=(python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base
      gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly)
  fi
fi
if [ "${#packages[@]}" -gt 0 ]; then
  echo "setup: installing ${packages[*]} with apt-get" >&2
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
stamp=.venv/.requirements-stamp
if [ ! -f "$stamp" ] || ! cmp -s <(cat requirements.txt requirements-dev.txt) "$stamp"; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -r requirements-dev.txt
  cat requirements.txt requirements-dev.txt > "$stamp"
fi
