"""The embed page: the viewer page's player alone, for an iframe on the event's own sites."""

from django.views.decorators.http import require_GET

from live.services.embeds import frame_ancestors
from live.views.viewer import render_viewer_page


def allow_framing_by(response, event):
    """CSP frame-ancestors from the event's embed origins ('none' when it lists none)."""
    response._csp_replace = {"frame-ancestors": frame_ancestors(event)}
    # The CSP decides; X-Frame-Options (DENY) would refuse every origin in old browsers.
    response.xframe_options_exempt = True
    return response


@require_GET
def embed(request, event_id):
    # The same token rules as the viewer page: one page builder for both. ?view=shots:
    # the event's shots instead of the player.
    shots = request.GET.get("view") == "shots"
    event, response = render_viewer_page(request, event_id, "live/embed.html", shots)
    return allow_framing_by(response, event)
