"""Embeds: the player-only page other sites frame, and the origins allowed to frame it.

Each event lists the origins that may frame ``/events/<id>/embed``
(``Event.embed_origins``); the page's CSP ``frame-ancestors`` names exactly those,
or ``'none'``. An origin is checked strictly: it goes into a CSP header, where a
``;`` or a space would add directives of the caller's choosing.
"""

import re
from urllib.parse import parse_qs, urlencode, urlsplit

from django.urls import reverse
from django.utils.html import format_html

LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
ORIGIN_RE = re.compile(rf"\Ahttps?://(\*\.)?{LABEL}(\.{LABEL})*(:(?P<port>\d{{1,5}}))?\Z")
MAX_ORIGINS = 20


class InvalidOrigin(ValueError):
    pass


def clean_origins(values):
    """A list of origins (``https://club.example``, ``http://localhost:8080``), normalised."""
    if isinstance(values, str):
        values = [line for line in re.split(r"[\s,]+", values) if line]
    if not isinstance(values, (list, tuple)):
        raise InvalidOrigin("Give a list of origins, e.g. https://club.example.com.")
    cleaned = []
    for value in values:
        origin = value.strip().lower().rstrip("/") if isinstance(value, str) else ""
        match = ORIGIN_RE.match(origin)
        if not match or (match["port"] and int(match["port"]) > 65535):
            raise InvalidOrigin(
                f"{str(value)[:80]!r} is not an origin: scheme and host (and port) only, "
                "e.g. https://club.example.com."
            )
        if origin not in cleaned:
            cleaned.append(origin)
    if len(cleaned) > MAX_ORIGINS:
        raise InvalidOrigin(f"At most {MAX_ORIGINS} origins.")
    return cleaned


def frame_ancestors(event):
    """The embed page's CSP frame-ancestors for the event."""
    try:
        origins = clean_origins(event.embed_origins or [])
    except InvalidOrigin:
        origins = []  # a bad row never widens who may frame
    return origins or ["'none'"]


def embed_path(event_id, token, camera_slug=None):
    query = {"token": token}
    if camera_slug:
        query["camera"] = camera_slug
    return f"{reverse('live:embed', args=[event_id])}?{urlencode(query)}"


def embed_snippet(event, token, camera_slug=None, base_url=""):
    """The ``<iframe>`` a site pastes to show the player (muted autoplay, fullscreen),
    in a 16:9 box as wide as its column (at most 640 px): the embed fills any frame."""
    event_id = getattr(event, "pk", event)
    return format_html(
        '<div style="position:relative;width:100%;max-width:640px;aspect-ratio:16/9">'
        '<iframe src="{}" title="{}" style="position:absolute;inset:0;width:100%;height:100%;'
        'border:0" allow="autoplay; fullscreen" allowfullscreen></iframe></div>',
        base_url.rstrip("/") + embed_path(event_id, token, camera_slug),
        f"{getattr(event, 'name', event_id)} · live",
    )


def snippet_from_viewer_link(event, viewer_link):
    """The snippet for a minted viewer link (as the host page shows it), or ''."""
    try:
        parts = urlsplit(viewer_link or "")
    except ValueError:
        return ""
    query = parse_qs(parts.query)
    token = (query.get("token") or [""])[0]
    if not token:
        return ""
    base = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
    return embed_snippet(event, token, (query.get("camera") or [None])[0], base)
