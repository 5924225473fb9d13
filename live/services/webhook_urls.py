"""Where webhooks may go: URL rules, and connections only to addresses that pass them.

An endpoint URL names a host on the public internet: http or https, no
``user:password@``, at most ``MAX_URL_LENGTH`` characters. Its host name is
resolved and *every* address checked, so a name with one public and one
private address is refused; private, loopback, link-local, multicast, reserved
and unspecified addresses are refused unless ``LIVE_WEBHOOK_ALLOW_PRIVATE`` is
on (the demo and the tests, whose receivers run on 127.0.0.1).

The check is repeated when a delivery connects, and the socket goes to the very
address that was checked (``PinnedHTTPConnection``): a name that resolves to a
public address when the endpoint is made and to 127.0.0.1 later (DNS
rebinding) is refused then too. http.client never follows redirects, so a 3xx
answer counts as a failure and cannot lead anywhere else.
"""

import http.client
import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

MAX_URL_LENGTH = 2000


class InvalidWebhookUrl(ValueError):
    """The message says what is wrong, for the command's and the admin's error."""


def _refused_kind(ip):
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    for kind in ("loopback", "link_local", "private", "multicast", "reserved", "unspecified"):
        if getattr(ip, f"is_{kind}"):
            return kind.replace("_", "-")
    if not ip.is_global:
        return "non-public"
    return None


def check_address(address, host, allow_private=None):
    """Raises InvalidWebhookUrl unless the address may be sent to."""
    if allow_private is None:
        allow_private = settings.LIVE_WEBHOOK_ALLOW_PRIVATE
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    kind = _refused_kind(ip)
    if kind and not allow_private:
        try:
            ipaddress.ip_address(host)
            what = f"{host} is"
        except ValueError:
            what = f"{host} resolves to {ip},"
        raise InvalidWebhookUrl(
            f"{what} a {kind} address: webhooks go to public addresses only "
            "(LIVE_WEBHOOK_ALLOW_PRIVATE=1 allows private ones)."
        )


def resolve_checked(host, port, allow_private=None):
    """Every address of ``host``, each checked; raises InvalidWebhookUrl."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise InvalidWebhookUrl(f"cannot resolve the host {host!r}: {exc}") from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise InvalidWebhookUrl(f"the host {host!r} has no address.")
    for address in addresses:
        check_address(address, host, allow_private)
    return addresses


def parse_webhook_url(url):
    """(scheme, host, port) of a URL that follows the rules, else InvalidWebhookUrl."""
    if not isinstance(url, str) or not url.strip():
        raise InvalidWebhookUrl("a URL is required.")
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise InvalidWebhookUrl(f"the URL is longer than {MAX_URL_LENGTH} characters.")
    if any(ord(char) < 33 or ord(char) == 127 for char in url):
        raise InvalidWebhookUrl("the URL has spaces or control characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidWebhookUrl(f"the URL is not valid: {exc}.") from None
    if parts.scheme not in ("http", "https"):
        raise InvalidWebhookUrl(
            f"the scheme must be http or https, not {parts.scheme or 'none'!r}."
        )
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise InvalidWebhookUrl(
            "the URL must not carry a user name or password (user:password@): "
            "deliveries are signed instead."
        )
    if not parts.hostname:
        raise InvalidWebhookUrl("the URL has no host.")
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)


def validate_webhook_url(url, allow_private=None):
    """The URL, trimmed, if it may be an endpoint; InvalidWebhookUrl otherwise."""
    scheme, host, port = parse_webhook_url(url)
    resolve_checked(host, port, allow_private)
    return url.strip()


def _pinned_create_connection(address, timeout, source_address=None):
    host, port = address
    last_error = None
    for ip in resolve_checked(host, port):
        family = socket.AF_INET6 if ":" in ip else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.settimeout(timeout)
            sock.connect((ip, port))
            return sock
        except OSError as exc:
            sock.close()
            last_error = exc
    raise last_error or OSError(f"could not connect to {host}")


class PinnedHTTPConnection(http.client.HTTPConnection):
    _create_connection = staticmethod(_pinned_create_connection)


class PinnedHTTPSConnection(http.client.HTTPSConnection):
    # TLS still checks the certificate against the host name (server_hostname).
    _create_connection = staticmethod(_pinned_create_connection)


def connection_for(url, timeout):
    """An http.client connection to the URL's host, on checked addresses only; and the path."""
    scheme, host, port = parse_webhook_url(url)
    parts = urlsplit(url.strip())
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    cls = PinnedHTTPSConnection if scheme == "https" else PinnedHTTPConnection
    return cls(host, port, timeout=timeout), path
