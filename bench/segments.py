"""Bench: a signed segment through nginx against the same file unsigned, and Django's rate.

    .venv/bin/python bench/segments.py
    .venv/bin/python bench/segments.py --seconds 3 --rounds 1

nginx (2 workers, sendfile) runs the rendered config (`manage.py rendernginx`,
no RTMP) plus a bench-only server block on a second port that serves the same
fixture folder with no signature check (the config's `http_include`). wrk -t2
-c64 fetches `seg001.ts` (about 107 KB) of the fixture stream `tee` signed on
the first port and unsigned on the second, and the same bytes copied into the
live output folder (where a packager writes; nginx looks there first) signed,
in turn, `--rounds` times for `--seconds` each; only 2xx answers count.
Goal: signed / unsigned >= 0.95.
For the record, the same signed URL straight from gunicorn (2 sync workers):
Django's fallback (`live/views/media.py`), which production never uses for video.
"""

import argparse
import shutil
import time
from pathlib import Path

from harness import World, compare, free_port, http, machine_note, markdown_table

GOAL = 0.95
SEGMENT = "seg001.ts"
LIVE_STREAM = "bench-live-0123456789abcdef"

UNSIGNED_SERVER = """
server {{
    listen 127.0.0.1:{port};
    location /hls/ {{
        alias {samples}/;
        add_header Cache-Control "public, max-age=86400, immutable" always;
        add_header Access-Control-Allow-Origin * always;
    }}
}}
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=2, help="per round and endpoint")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args()

    with World() as world:
        world.setup_django()
        from django.conf import settings

        from live.services.media import parse_media_path, sign_media_path

        app_port = world.gunicorn(workers=2)
        unsigned_port = free_port()
        include = world.root / "bench-unsigned.conf"
        include.write_text(
            UNSIGNED_SERVER.format(port=unsigned_port, samples=settings.LIVE_SAMPLES_HLS_DIR)
        )
        nginx_port = world.nginx(app_port, workers=2, http_include=str(include))
        expires = int(time.time()) + 3600
        signed = sign_media_path(parse_media_path(f"/hls/tee/{SEGMENT}"), expires)
        unsigned = f"/hls/tee/{SEGMENT}"
        # The same bytes as a packager's live output, which nginx finds first.
        live_dir = Path(settings.LIVE_STREAM_DATA_DIR) / "hls" / LIVE_STREAM
        live_dir.mkdir(parents=True)
        shutil.copy(Path(settings.LIVE_SAMPLES_HLS_DIR) / "tee" / SEGMENT, live_dir / SEGMENT)
        live_signed = sign_media_path(parse_media_path(f"/hls/{LIVE_STREAM}/{SEGMENT}"), expires)
        sizes = set()
        for port, path in (
            (nginx_port, signed),
            (nginx_port, live_signed),
            (unsigned_port, unsigned),
            (app_port, signed),
        ):
            status, _, body = http(port, "GET", path)
            if status != 200:
                raise SystemExit(f"{path} on {port} answered {status}")
            sizes.add(len(body))
        if len(sizes) != 1:
            raise SystemExit(f"the three answers differ in size: {sizes}")
        results = compare(
            {
                "signed": (f"http://127.0.0.1:{nginx_port}{signed}", {}),
                "live": (f"http://127.0.0.1:{nginx_port}{live_signed}", {}),
                "unsigned": (f"http://127.0.0.1:{unsigned_port}{unsigned}", {}),
                "django": (f"http://127.0.0.1:{app_port}{signed}", {}),
            },
            rounds=args.rounds,
            seconds=args.seconds,
            connections=args.connections,
        )
    size_kb = sizes.pop() / 1000
    unsigned_rate = results["unsigned"].ok_per_second
    rows = []
    for name, label in (
        ("unsigned", "nginx, unsigned (same file)"),
        ("signed", "nginx, signed (secure_link), fixture `tee`"),
        ("live", "nginx, signed (secure_link), live output folder"),
        ("django", "gunicorn, Django fallback (for the record)"),
    ):
        result = results[name]
        ratio = result.ok_per_second / unsigned_rate
        rows.append(
            [
                label,
                f"{result.ok_per_second:,.0f}",
                f"{result.ok_per_second * size_kb / 1000:,.0f}",
                f"{result.latency_p99_ms:.1f}",
                result.non_2xx_3xx + result.errors,
                (
                    ""
                    if name == "unsigned"
                    else (f"**{ratio:.2f}**" if name != "django" else f"{ratio:.2f}")
                ),
            ]
        )
    print(
        f"\n### segments: {SEGMENT} ({size_kb:.0f} KB) (nginx 2 workers, gunicorn 2 sync "
        f"workers, wrk -t2 -c{args.connections}, {args.rounds}x{args.seconds}s each; "
        f"goal signed/unsigned >= {GOAL})\n"
    )
    print(
        markdown_table(["server", "200s/s", "MB/s", "p99 ms", "errors", "signed/unsigned"], rows)
    )
    print(f"\n{machine_note()}")


if __name__ == "__main__":
    main()
