"""Every outbound connection teecam makes is decided here: webhooks, simulcast, anything later.

The rule: the host is resolved once per attempt and *every* address it has is
checked; loopback, private, link-local, carrier-grade NAT, multicast, reserved
and unspecified addresses are refused, and so is an IPv6 address that carries
one of those inside it (IPv4-mapped ``::ffff:127.0.0.1``, 6to4
``2002:7f00:1::``, Teredo, NAT64 ``64:ff9b::7f00:1``), unless
``LIVE_EGRESS_ALLOW_PRIVATE`` (or the older ``LIVE_WEBHOOK_ALLOW_PRIVATE``) is
on: the demo and the tests, whose receivers listen on 127.0.0.1. Ports are 1 to
65535. The socket then goes to exactly the address that was checked, never to
the name: a name that resolves to a public address when it is checked and to
127.0.0.1 a moment later (DNS rebinding) cannot slip through between the two.

Callers: ``pinned_http_connection`` (webhook deliveries), ``resolve`` (a plain
rtmp:// simulcast push: ffmpeg is given the checked address) and
``connect_address`` (an rtmps:// push, through workers/tls_relay.py);
``check_url_host`` checks a URL when it is saved, which is a courtesy: the check
that counts is the one at connect time.
"""

import http.client
import ipaddress
import socket
import threading

from django.conf import settings

# IPv6 prefixes that carry an IPv4 address in their last 32 bits (RFC 6052, RFC 8215).
NAT64_PREFIXES = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
REFUSED_KINDS = ("loopback", "link_local", "private", "multicast", "reserved", "unspecified")


class EgressRefused(ValueError):
    """A connection the rule refuses; the message says why (for the admin, never a secret).

    ``reason``: "address" (not a public address), "resolve" (no answer) or "port".
    """

    def __init__(self, message, reason="address"):
        super().__init__(message)
        self.reason = reason


def private_allowed():
    return bool(settings.LIVE_EGRESS_ALLOW_PRIVATE or settings.LIVE_WEBHOOK_ALLOW_PRIVATE)


def _carried_ipv4(ip):
    """The IPv4 addresses an IPv6 address stands for (mapped, 6to4, Teredo, NAT64)."""
    if ip.version == 4:
        return []
    found = [ip.ipv4_mapped, ip.sixtofour]
    if ip.teredo:
        found += list(ip.teredo)
    if any(ip in prefix for prefix in NAT64_PREFIXES):
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return [address for address in found if address is not None]


def refused_kind(ip):
    """Why this address is not public ("loopback", "private", …), or None if it is."""
    for candidate in [*_carried_ipv4(ip), ip]:
        for kind in REFUSED_KINDS:
            if getattr(candidate, f"is_{kind}"):
                return kind.replace("_", "-")
        if not candidate.is_global:
            return "non-public"
    return None


def check_port(port):
    if not isinstance(port, int) or not 1 <= port <= 65535:
        raise EgressRefused(f"the port must be 1 to 65535, not {port}.", "port")


def check_address(address, host, allow_private=None):
    """Raises EgressRefused unless connections may go to ``address`` (an IP string)."""
    if allow_private is None:
        allow_private = private_allowed()
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    kind = refused_kind(ip)
    if kind and not allow_private:
        try:
            ipaddress.ip_address(host)
            what = f"{host} is"
        except ValueError:
            what = f"{host} resolves to {ip},"
        raise EgressRefused(
            f"{what} a {kind} address: teecam connects to public addresses only "
            "(LIVE_EGRESS_ALLOW_PRIVATE=1 allows private ones)."
        )


def resolve(host, port, allow_private=None):
    """Every address of ``host``, resolved once and each checked; EgressRefused otherwise."""
    check_port(port)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise EgressRefused(f"cannot resolve the host {host!r}: {exc}", "resolve") from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise EgressRefused(f"the host {host!r} has no address.", "resolve")
    for address in addresses:
        check_address(address, host, allow_private)
    return addresses


def check_url_host(host, port, allow_private=None, require_resolution=True):
    """The save-time check of a URL's host; a name that does not resolve now passes
    unless ``require_resolution`` (the connect-time check refuses it then)."""
    check_port(port)
    try:
        ipaddress.ip_address(host)
    except ValueError:
        try:
            return resolve(host, port, allow_private)
        except EgressRefused as exc:
            if require_resolution or exc.reason != "resolve":
                raise
            return []
    check_address(host, host, allow_private)
    return [host]


def connect_address(host, address, port, timeout):
    """A TCP socket connected to ``address`` (one that ``resolve`` gave for ``host``),
    checked again here: the one place a socket leaves teecam."""
    check_port(port)
    check_address(address, host)
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        sock.connect((address, port))
    except OSError:
        sock.close()
        raise
    return sock


def open_checked(host, port, timeout):
    """A TCP socket connected to one of the host's checked addresses (tried in order)."""
    last_error = None
    for address in resolve(host, port):
        try:
            return connect_address(host, address, port, timeout)
        except OSError as exc:
            last_error = exc
    raise last_error or OSError(f"could not connect to {host}")


class _Pinned:
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # http.client's __init__ sets _create_connection on the instance: a class
        # attribute would be hidden by it (and was: deliveries went to whatever the
        # name resolved to when connecting). It must be set here, after it.
        self._create_connection = self._connect_checked

    def _connect_checked(self, address, timeout, source_address=None):
        return open_checked(address[0], address[1], timeout)


class PinnedHTTPConnection(_Pinned, http.client.HTTPConnection):
    pass


class PinnedHTTPSConnection(_Pinned, http.client.HTTPSConnection):
    # TLS still checks the certificate against the host name (server_hostname).
    pass


def pinned_http_connection(scheme, host, port, timeout):
    cls = PinnedHTTPSConnection if scheme == "https" else PinnedHTTPConnection
    return cls(host, port, timeout=timeout)


class AttemptBound:
    """Bounds a whole exchange on a connection, not each read: a peer that drips a
    byte at a time never lets a per-read timeout expire. At the bound the socket is
    shut, which ends any read blocked on it."""

    def __init__(self, connection, seconds):
        self.connection = connection
        self.seconds = seconds
        self.expired = False
        self.timer = threading.Timer(seconds, self._cut)
        self.timer.daemon = True

    def _cut(self):
        self.expired = True
        sock = getattr(self.connection, "sock", None)
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def __enter__(self):
        self.timer.start()
        return self

    def __exit__(self, *exc_info):
        self.timer.cancel()
        return False
