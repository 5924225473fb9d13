import asyncio
import ipaddress
import signal

from aiohttp import web
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from live.models import WorkerKind
from live.services.heartbeats import Heartbeat
from live.workers.whip import ice, passthrough
from live.workers.whip.server import make_app


def parse_listen(value):
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit():
        raise CommandError(f"LIVE_WHIP_LISTEN must be host:port, got {value!r}")
    return host.strip("[]") or "0.0.0.0", int(port)


class Command(BaseCommand):
    help = (
        "Run the WHIP ingest (POST /whip/<ingest name>): takes WebRTC publishes from "
        "browsers and OBS and writes the broadcast's HLS."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--listen",
            default=None,
            help=f"host:port (default LIVE_WHIP_LISTEN, now {settings.LIVE_WHIP_LISTEN})",
        )

    def handle(self, listen, **options):
        host, port = parse_listen(listen or settings.LIVE_WHIP_LISTEN)
        try:
            ports = ice.udp_port_range()
        except ValueError:
            ports = range(0)
        if not ports or ports.start < 1 or ports.stop > 65536:
            raise CommandError("LIVE_WHIP_UDP_PORTS must be a range like 40000-40199")
        for address in settings.LIVE_WHIP_ICE_ADDRESS:
            try:
                ipaddress.IPv4Address(address)
            except ValueError:
                raise CommandError(
                    f"LIVE_WHIP_ICE_ADDRESS: {address!r} is not an IPv4 address "
                    "(the address publishers reach this machine at)"
                ) from None
        asyncio.run(self.serve(host, port))

    async def serve(self, host, port):
        loop = asyncio.get_running_loop()
        ice.install(loop)
        passthrough.install()
        runner = web.AppRunner(make_app(), access_log=None, handle_signals=False)
        await runner.setup()
        await web.TCPSite(runner, host, port).start()
        self.stdout.write(f"WHIP ingest listening on http://{host}:{port}/whip/")
        self.stdout.flush()
        stop = asyncio.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        beating = asyncio.create_task(self.beat(stop))
        await stop.wait()
        await beating
        await runner.cleanup()  # ends every session: ffmpeg finishes its segment

    async def beat(self, stop):
        """The heartbeat, from a thread: the ORM must not run on the event loop."""
        heartbeat = Heartbeat(WorkerKind.WHIP)
        while not stop.is_set():
            await sync_to_async(heartbeat.beat)()
            try:
                await asyncio.wait_for(stop.wait(), 1)
            except asyncio.TimeoutError:
                pass
