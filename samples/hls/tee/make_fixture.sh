#!/usr/bin/env bash
# Rebuilds the mock source's HLS fixture: 8 s of test pattern and tone, H.264/AAC,
# four 2-second MPEG-TS segments that each start on a keyframe (-g = fps x segment
# seconds) so the mock source can loop them into a live sliding window.
set -euo pipefail
dir=$(cd "$(dirname "$0")" && pwd)
rm -f "$dir"/seg*.ts "$dir"/index.m3u8
ffmpeg -hide_banner -loglevel error -y \
  -f lavfi -i "testsrc2=size=426x240:rate=30" \
  -f lavfi -i "sine=frequency=440:sample_rate=44100" -t 8 \
  -c:v libx264 -profile:v main -pix_fmt yuv420p -preset veryfast \
  -g 60 -keyint_min 60 -sc_threshold 0 -b:v 300k \
  -c:a aac -b:a 64k \
  -f hls -hls_time 2 -hls_playlist_type vod \
  -hls_segment_filename "$dir/seg%03d.ts" "$dir/index.m3u8"
# The mock's live thumbnail (live/services/thumbnails.py): the same command the
# packager runs on a camera's newest segment, once, on the first segment.
ffmpeg -nostdin -hide_banner -loglevel error -y -i "$dir/seg000.ts" -map 0:v:0 -frames:v 1 \
  -vf "scale=-2:'min(360,ih)'" -q:v 5 -f image2 -update 1 "$dir/thumb.jpg"
