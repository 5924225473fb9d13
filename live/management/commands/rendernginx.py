import argparse
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from live.services.nginx_config import (
    PLAYLIST_WINDOWS_MS,
    ROLES,
    NginxOptionError,
    NginxOptions,
    check_options,
    parse_app,
    parse_origin,
    write_nginx_config,
)


class Command(BaseCommand):
    help = (
        "Write the nginx config of one role (all, app, origin, edge) from settings: "
        "signed /hls/, static, proxy, RTMP ingest, edge cache (docs/scaling.md)."
    )

    def add_arguments(self, parser):
        defaults = NginxOptions()
        parser.add_argument("--out", default="data/nginx/nginx.conf")
        parser.add_argument(
            "--role",
            choices=ROLES,
            default=defaults.role,
            help="all: one box; app: in front of gunicorn; origin: a media host; "
            "edge: checks signatures and caches video in front of origins and apps",
        )
        parser.add_argument("--listen", default=defaults.listen)
        parser.add_argument(
            "--upstream", default=defaults.upstream, help="gunicorn's address (all, app, origin)"
        )
        parser.add_argument("--prefix", default="", help="folder for pid, logs, temp files")
        parser.add_argument("--static-root", default="", help="serve /static/ from here")
        parser.add_argument("--rtmp-listen", default=defaults.rtmp_listen)
        parser.add_argument(
            "--rtmp",
            action=argparse.BooleanOptionalAction,
            default=None,
            help="the RTMP ingest block (default: on for --role all, off for origin)",
        )
        parser.add_argument("--workers", default=defaults.workers)
        parser.add_argument("--user", default="", help="worker user (when started as root)")
        parser.add_argument("--access-log", action="store_true")
        parser.add_argument(
            "--poll-cache-seconds",
            type=int,
            default=defaults.poll_cache_seconds,
            help="micro-cache status and viewer polls in nginx (all, app; 0: off)",
        )
        parser.add_argument(
            "--origin",
            action="append",
            default=[],
            metavar="NAME=URL",
            help="edge: a media host serving /media/NAME/hls/… (repeat; the first also /hls/…)",
        )
        parser.add_argument(
            "--app",
            action="append",
            default=[],
            metavar="URL",
            help="edge or app: an app server (repeat; app: instead of --upstream)",
        )
        parser.add_argument(
            "--edge-cache-size",
            default=defaults.edge_cache_size,
            help="edge: the video cache's size on disk",
        )
        parser.add_argument(
            "--playlist-window-ms",
            type=int,
            choices=PLAYLIST_WINDOWS_MS,
            default=defaults.playlist_window_ms,
            help="edge: a playlist is cached for the clock window it was fetched in",
        )
        parser.add_argument(
            "--whip-upstream",
            default="",
            help="the WHIP process (manage.py runwhip) /whip/ goes to (default LIVE_WHIP_LISTEN)",
        )
        parser.add_argument("--no-whip", action="store_true", help="no /whip/ location")
        parser.add_argument(
            "--http-include", default="", help="file of more http-level config (e.g. TLS)"
        )
        parser.add_argument(
            "--tls-cert",
            default="",
            help="HTTPS: the certificate chain (e.g. certbot's fullchain.pem); needs --tls-key",
        )
        parser.add_argument("--tls-key", default="", help="HTTPS: the certificate's key")
        parser.add_argument(
            "--tls-listen",
            default=defaults.tls_listen,
            help="HTTPS: where the site is served; --listen then redirects to it",
        )
        parser.add_argument(
            "--acme-webroot",
            default="",
            help="serve /.well-known/acme-challenge/ from here over HTTP (certbot --webroot)",
        )
        parser.add_argument(
            "--trusted-proxies",
            default="",
            help="load balancers in front (CIDR, comma-separated): believe their X-Forwarded-*",
        )

    def handle(self, **opts):
        try:
            options = NginxOptions(
                role=opts["role"],
                listen=opts["listen"],
                upstream=opts["upstream"],
                prefix=opts["prefix"],
                static_root=opts["static_root"],
                rtmp=opts["rtmp"],
                rtmp_listen=opts["rtmp_listen"],
                workers=opts["workers"],
                user=opts["user"],
                access_log=opts["access_log"],
                trusted_proxies=opts["trusted_proxies"],
                http_include=opts["http_include"],
                poll_cache_seconds=opts["poll_cache_seconds"],
                origins=[parse_origin(value) for value in opts["origin"]],
                apps=[parse_app(value) for value in opts["app"]],
                edge_cache_size=opts["edge_cache_size"],
                playlist_window_ms=opts["playlist_window_ms"],
                whip=not opts["no_whip"],
                whip_upstream=opts["whip_upstream"],
                tls_cert=opts["tls_cert"],
                tls_key=opts["tls_key"],
                tls_listen=opts["tls_listen"],
                acme_webroot=opts["acme_webroot"],
            )
            check_options(options)
        except NginxOptionError as error:
            raise CommandError(str(error)) from None
        path = write_nginx_config(options, Path(opts["out"]))
        self.stdout.write(f"Wrote {path} (mode 600: it holds the media secret).")
