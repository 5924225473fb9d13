from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from live.services.systemd_units import UnitOptionError, UnitOptions, write_units


class Command(BaseCommand):
    help = (
        "Write the systemd units (teecam.target and one unit per process) for this "
        "install's paths into --out (docs/operations.md, Production)."
    )

    def add_arguments(self, parser):
        defaults = UnitOptions()
        parser.add_argument("--out", required=True, help="folder to write the units into")
        parser.add_argument("--user", default=defaults.user, help="the services' system user")
        parser.add_argument(
            "--env-file", default=defaults.env_file, help="the settings file (mode 600)"
        )
        parser.add_argument(
            "--web-listen", default=defaults.web_listen, help="gunicorn's socket (HOST:PORT)"
        )
        parser.add_argument(
            "--nginx-config", default=defaults.nginx_config, help="what rendernginx wrote"
        )
        parser.add_argument(
            "--nginx-prefix", default="", help="rendernginx's --prefix (default: its own)"
        )

    def handle(self, **opts):
        options = UnitOptions(
            user=opts["user"],
            env_file=opts["env_file"],
            web_listen=opts["web_listen"],
            nginx_config=opts["nginx_config"],
            nginx_prefix=opts["nginx_prefix"],
        )
        try:
            written = write_units(options, Path(opts["out"]))
        except UnitOptionError as error:
            raise CommandError(str(error)) from None
        for path in written:
            self.stdout.write(f"Wrote {path}")
