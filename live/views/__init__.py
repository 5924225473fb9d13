"""Server-rendered pages: the host console (staff) and the viewer page (a link's holder)."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from live.models import Event
from live.views.host import host, host_start, host_status, host_stop  # noqa: F401  (urls)
from live.views.host_cameras import (  # noqa: F401
    host_add_camera,
    host_edit_camera,
    host_move_camera,
    host_rotate_key,
)
from live.views.host_links import host_link, host_links, host_revoke_link  # noqa: F401
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
