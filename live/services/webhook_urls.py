"""Where webhooks may go: the URL rules; where they may connect is live/services/egress.py.

An endpoint URL names a host on the public internet: http or https, no
``user:password@``, a port from 1 to 65535, at most ``MAX_URL_LENGTH``
characters. When the endpoint is saved its host is resolved and *every*
address checked by the egress rule (a name with one public and one private
address is refused); each delivery attempt resolves and checks again and
connects to exactly the address it checked (``egress.pinned_http_connection``),
so a name that turns into 127.0.0.1 after it was saved (DNS rebinding) is
refused then. http.client never follows redirects, so a 3xx answer counts as a
failure and cannot lead anywhere else.
"""

from urllib.parse import urlsplit

from live.services import egress

MAX_URL_LENGTH = 2000

# The egress rule's refusal is the webhook URL's refusal: one message for both.
InvalidWebhookUrl = egress.EgressRefused


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
    if port is None:
        port = 443 if parts.scheme == "https" else 80
    egress.check_port(port)  # ":0" is no port (it once meant the scheme's default)
    return parts.scheme, parts.hostname, port


def validate_webhook_url(url, allow_private=None):
    """The URL, trimmed, if it may be an endpoint; InvalidWebhookUrl otherwise."""
    scheme, host, port = parse_webhook_url(url)
    egress.resolve(host, port, allow_private)
    return url.strip()


def connection_for(url, timeout):
    """An http.client connection that connects only to a checked address; and the path."""
    scheme, host, port = parse_webhook_url(url)
    parts = urlsplit(url.strip())
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return egress.pinned_http_connection(scheme, host, port, timeout), path
