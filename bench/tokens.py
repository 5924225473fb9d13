"""Bench: viewer tokens and media signatures, operations per second in this process.

    .venv/bin/python bench/tokens.py
    .venv/bin/python bench/tokens.py --seconds 0.5

No server and no database: live.services.tokens (mint and verify, HMAC-SHA256)
and live.services.media (sign a path, verify a signed request: nginx's
secure_link_md5 formula) under a random signing key, each timed for
`--seconds` of one core, best of three runs. What one process can do is what
a status poll spends on crypto; compare it with the status bench's rate.
"""

import argparse
import os
import secrets
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def rate(function, seconds):
    """Calls per second, best of three runs of about `seconds` each."""
    best = 0.0
    for _ in range(3):
        calls, began = 0, time.perf_counter()
        while True:
            for _ in range(200):
                function()
            calls += 200
            elapsed = time.perf_counter() - began
            if elapsed >= seconds:
                break
        best = max(best, calls / elapsed)
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0)
    args = parser.parse_args()

    os.environ["LIVE_VIEWER_SIGN_KEY"] = secrets.token_urlsafe(48)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "teecam.settings")
    import django

    django.setup()
    from live.services.media import (
        parse_media_path,
        sign_media_path,
        verify_signed_request,
    )
    from live.services.tokens import mint_viewer_token, read_viewer_token

    event_id, broadcast_id = "bench-open", 42
    token, _ = mint_viewer_token(event_id, broadcast_id, 3600)
    media_path = parse_media_path("/hls/bench-open-0123456789abcdef/index.m3u8")
    expires = int(time.time()) + 3600
    _, _, signature, expiry, rest = sign_media_path(media_path, expires).split("/", 4)
    checks = [
        ("mint a viewer token", lambda: mint_viewer_token(event_id, broadcast_id, 900)),
        ("verify a viewer token", lambda: read_viewer_token(token, event_id)),
        ("sign a media path", lambda: sign_media_path(media_path, expires)),
        ("verify a signed media request", lambda: verify_signed_request(signature, expiry, rest)),
    ]
    from harness import markdown_table

    rows = [
        [name, f"{(ops := rate(function, args.seconds)):,.0f}", f"{1e6 / ops:.1f}"]
        for name, function in checks
    ]
    print(f"\n### tokens and media signatures (one process, best of 3 x {args.seconds:g} s)\n")
    print(markdown_table(["operation", "ops/s", "µs each"], rows))


if __name__ == "__main__":
    main()
