"""Server-rendered pages: the host console (staff) and the viewer page (a link's holder)."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from live.models import Event
from live.views.host import (  # noqa: F401  (routed in live/urls.py)
    host,
    host_add_camera,
    host_edit_camera,
    host_link,
    host_links,
    host_move_camera,
    host_revoke_link,
    host_rotate_key,
    host_start,
    host_status,
    host_stop,
)
from live.views.viewer import (  # noqa: F401
    viewer,
    viewer_heartbeat,
    viewer_join,
    viewer_leave,
    viewer_state,
)


@require_GET
def home(request):
    events = Event.objects.all() if request.user.is_authenticated else []
    return render(request, "live/home.html", {"events": events})
