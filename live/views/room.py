"""The control room: every camera of an event as a compact tile, the ones in trouble first
when asked, one camera's full card opened from its tile.

A view of the host page (``?view=room``, the default from ``ROOM_FROM_CAMERAS`` cameras
on), served by the same page, the same actions and the same single poll.
"""

import hashlib
import time
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

from django.conf import settings
from django.urls import reverse

from live.services.cameras import last_refusal
from live.services.sources import facts_of
from live.services.thumbnails import default_expires, thumbnail_path
from live.services.times import local_text

# From this many cameras on the host page opens as the control room: eighteen cards
# (each with its own video) make a page to scroll through, tiles fit one screen.
ROOM_FROM_CAMERAS = 4


# A tile's badge in one or two words (the card says the rest).
SHORT_LABELS = {"Waiting for the camera": "Waiting"}


@dataclass(frozen=True)
class ConsoleMode:
    """How the host page shows the console: ``room`` or ``cards``, the open tile, the order."""

    view: str = "cards"
    open: str = ""
    sort: str = ""

    @property
    def room(self):
        return self.view == "room"

    def query(self, **changes):
        values = {"view": self.view, "camera": self.open, "sort": self.sort, **changes}
        return urlencode({key: value for key, value in values.items() if value})


def mode_from(params, camera_count):
    """The mode a request's query (or the page's current URL) asks for."""
    view = params.get("view", "")
    if view not in ("room", "cards"):
        view = "room" if camera_count >= ROOM_FROM_CAMERAS else "cards"
    sort = "trouble" if params.get("sort") == "trouble" else ""
    camera = params.get("camera", params.get("open", ""))
    return ConsoleMode(view, camera if isinstance(camera, str) else "", sort)


def console_params(request):
    """The query of the page an HTMX action came from (its URL), else of this request:
    the mode the answer keeps."""
    if request.method == "GET" or not request.htmx or not request.htmx.current_url:
        return request.GET
    query = parse_qs(urlsplit(request.htmx.current_url).query)
    return {key: values[0] for key, values in query.items()}


def _health(camera, broadcast, state):
    """A tile's health in a few words."""
    if state.code == "live":
        return facts_of(broadcast.source).fixed_health or "Receiving"
    if state.code == "waiting":
        return "Waiting for a picture"
    if state.code == "reconnecting":
        since = broadcast.last_segment_at or state.since
        return f"No picture since {local_text(since, camera)}" if since else "No picture"
    if state.code == "ended":
        return f"Ended {local_text(state.since, camera)}"
    return "Not broadcasting"


def tile_of(event, camera, broadcast, overview, mode):
    state = overview.state(camera, broadcast)
    trouble = overview.trouble(camera, broadcast, state)
    thumbnail, version = "", 0
    if state.on_air:
        path = thumbnail_path(broadcast, default_expires())
        if path:
            # The thumbnailer rewrites the file every LIVE_THUMBNAIL_SECONDS: a new query
            # each period makes the browser fetch the new picture (the signature covers
            # the path only).
            version = int(time.time() // max(1, settings.LIVE_THUMBNAIL_SECONDS))
            thumbnail = f"{path}?v={version}"
    refusal = last_refusal(camera)
    watching = overview.watching.get(broadcast.pk, 0) if broadcast else 0
    health = _health(camera, broadcast, state)
    is_open = mode.open == camera.slug
    seen = repr(
        (state.label, trouble, watching, health, refusal, version, is_open, camera.name)
    ).encode()
    return {
        "camera": camera,
        "state": state,
        "badge": SHORT_LABELS.get(state.label, state.label),
        "trouble": trouble,
        "thumbnail": thumbnail,
        "watching": watching,
        "health": health,
        "refusal": refusal,
        "open": is_open,
        "open_url": f"{reverse('live:host', args=[event.pk])}?"
        f"{mode.query(view='room', camera=camera.slug)}#camera-{camera.slug}",
        # slug:state:digest, as the poll compares it (and reads the state to announce).
        "shown": f"{camera.slug}:{state.code}:{hashlib.sha256(seen).hexdigest()[:12]}",
    }


def room_context(event, overview, mode):
    """The tiles in display order, or trouble first (stable) when asked."""
    tiles = [
        tile_of(event, camera, broadcast, overview, mode) for camera, broadcast in overview.pairs
    ]
    if mode.sort == "trouble":
        tiles.sort(key=lambda tile: not tile["trouble"])
    in_trouble = sum(1 for tile in tiles if tile["trouble"])
    return {
        "tiles": tiles,
        "in_trouble": in_trouble,
        # The poll swaps the whole grid when the order or the count changes.
        "tiles_order": ",".join(tile["camera"].slug for tile in tiles) + f":{in_trouble}",
    }
