"""A loopback relay that takes an rtmps:// push to exactly the address the egress rule checked.

ffmpeg 5.1 cannot be told both "connect to this address" and "the TLS server name
is that host": given an address it sends no SNI, which YouTube's and Facebook's
ingest servers need, and given the name it resolves it again itself (a DNS
answer that changed in between would be followed). So an rtmps:// push speaks
plain RTMP to this relay on 127.0.0.1, and the relay opens TLS to the checked
address with the host's name for SNI and the certificate check
(``LIVE_SIMULCAST_CA_FILE``, or the system's CAs), then copies bytes both ways.
One relay per push; it ends with the push.
"""

import logging
import socket
import ssl
import threading

from django.conf import settings

from live.services.egress import connect_address

logger = logging.getLogger("live.packager")

CONNECT_SECONDS = 10
CHUNK = 64 * 1024


def tls_context():
    return ssl.create_default_context(cafile=settings.LIVE_SIMULCAST_CA_FILE or None)


class TlsRelay:
    def __init__(self, host, address, port):
        self.host, self.address, self.port = host, address, port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.local_port = self.listener.getsockname()[1]
        self.sockets = []
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client):
        self.sockets.append(client)
        try:
            upstream = connect_address(self.host, self.address, self.port, CONNECT_SECONDS)
            upstream = tls_context().wrap_socket(upstream, server_hostname=self.host)
            upstream.settimeout(None)
        except (OSError, ValueError) as exc:
            logger.info("simulcast TLS relay to %s: %s", self.host, exc)
            client.close()
            return
        self.sockets.append(upstream)
        threading.Thread(target=_copy, args=(upstream, client), daemon=True).start()
        _copy(client, upstream)

    def close(self):
        self.closed = True
        for sock in [self.listener, *self.sockets]:
            try:
                sock.close()
            except OSError:
                pass


def _copy(source, sink):
    """Bytes from source to sink until either side ends; then both are closed."""
    try:
        while True:
            data = source.recv(CHUNK)
            if not data:
                break
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (source, sink):
            try:
                sock.close()
            except OSError:
                pass
