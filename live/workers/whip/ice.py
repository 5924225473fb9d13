"""ICE for the WHIP process: which addresses it announces and which UDP ports it binds.

aioice announces every address of the machine except loopback and binds random
UDP ports. A firewall needs a fixed range (LIVE_WHIP_UDP_PORTS), a server
behind one needs its public address (LIVE_WHIP_ICE_ADDRESS), and a publisher
on the same machine (tests, the demo) needs loopback. aioice has no options
for these, so the process sets them up once, before the first session:
``get_host_addresses`` is replaced, and the loop's UDP binds to port 0 take a
free port of the range instead.
"""

import errno
import itertools
import logging

import aioice.ice
import ifaddr
from django.conf import settings

from teecam.env import port_range

logger = logging.getLogger("live.whip")


class NoFreePort(OSError):
    def __init__(self, ports):
        super().__init__(
            errno.EADDRINUSE,
            f"every UDP port of LIVE_WHIP_UDP_PORTS ({ports.start}-{ports.stop - 1}) is in use",
        )


def udp_port_range(value=None):
    return port_range(value or settings.LIVE_WHIP_UDP_PORTS)


def announced_addresses():
    """LIVE_WHIP_ICE_ADDRESS, else every IPv4 address of the machine, loopback included."""
    if settings.LIVE_WHIP_ICE_ADDRESS:
        return list(settings.LIVE_WHIP_ICE_ADDRESS)
    found = []
    for adapter in ifaddr.get_adapters():
        for ip in adapter.ips:
            if isinstance(ip.ip, str) and ip.ip not in found:
                found.append(ip.ip)
    return found or ["127.0.0.1"]


def install(loop, ports=None):
    """Make aioice gather on the announced addresses, binding within the port range."""
    addresses = announced_addresses()
    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: list(addresses)
    ports = ports or udp_port_range()
    # Round robin through the range: a port just released is not taken again at once.
    cursor = itertools.cycle(ports)
    create = loop.create_datagram_endpoint

    async def create_in_range(protocol_factory, local_addr=None, **kwargs):
        if local_addr is None or local_addr[1] != 0:
            return await create(protocol_factory, local_addr=local_addr, **kwargs)
        for _ in range(len(ports)):
            port = next(cursor)
            try:
                return await create(protocol_factory, local_addr=(local_addr[0], port), **kwargs)
            except OSError as exc:
                if exc.errno != errno.EADDRINUSE:
                    raise
        raise NoFreePort(ports)

    loop.create_datagram_endpoint = create_in_range
    logger.info(
        "WHIP ICE: announcing %s, UDP ports %s-%s",
        ", ".join(addresses),
        ports.start,
        ports.stop - 1,
    )
    return addresses
