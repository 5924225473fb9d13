from pathlib import Path

from django.core.management.base import BaseCommand

from live.services.nginx_config import NginxOptions, write_nginx_config


class Command(BaseCommand):
    help = "Write the nginx config (signed /hls/, static, proxy, RTMP ingest) from settings."

    def add_arguments(self, parser):
        defaults = NginxOptions()
        parser.add_argument("--out", default="data/nginx/nginx.conf")
        parser.add_argument("--listen", default=defaults.listen)
        parser.add_argument("--upstream", default=defaults.upstream, help="gunicorn's address")
        parser.add_argument("--prefix", default="", help="folder for pid, logs, temp files")
        parser.add_argument("--static-root", default="", help="serve /static/ from here")
        parser.add_argument("--rtmp-listen", default=defaults.rtmp_listen)
        parser.add_argument("--no-rtmp", action="store_true")
        parser.add_argument("--workers", default=defaults.workers)
        parser.add_argument("--user", default="", help="worker user (when started as root)")
        parser.add_argument("--access-log", action="store_true")
        parser.add_argument(
            "--poll-cache-seconds",
            type=int,
            default=0,
            help="micro-cache status and viewer polls in nginx (big events; docs/scaling.md)",
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
            "--trusted-proxies",
            default="",
            help="load balancers in front (CIDR, comma-separated): believe their X-Forwarded-*",
        )

    def handle(self, **opts):
        options = NginxOptions(
            listen=opts["listen"],
            upstream=opts["upstream"],
            prefix=opts["prefix"],
            static_root=opts["static_root"],
            rtmp=not opts["no_rtmp"],
            rtmp_listen=opts["rtmp_listen"],
            workers=opts["workers"],
            user=opts["user"],
            access_log=opts["access_log"],
            trusted_proxies=opts["trusted_proxies"],
            http_include=opts["http_include"],
            poll_cache_seconds=opts["poll_cache_seconds"],
            whip=not opts["no_whip"],
            whip_upstream=opts["whip_upstream"],
        )
        path = write_nginx_config(options, Path(opts["out"]))
        self.stdout.write(f"Wrote {path} (mode 600: it holds the media signing secret).")
