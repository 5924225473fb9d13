"""The embed page: the viewer page's player alone, for an iframe on the event's own sites."""

import secrets

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from live.http import token_in_url
from live.models import Event
from live.services.embeds import frame_ancestors
from live.views.viewer import _viewer_context


def allow_framing_by(response, event):
    """CSP frame-ancestors from the event's embed origins ('none' when it lists none)."""
    response._csp_replace = {"frame-ancestors": frame_ancestors(event)}
    # The CSP decides; X-Frame-Options (DENY) would refuse every origin in old browsers.
    response.xframe_options_exempt = True
    return response


@require_GET
def embed(request, event_id):
    event = Event.objects.filter(pk=event_id).first()
    if event is None:
        raise Http404(f"No event with id {event_id!r}.")
    raw_token = request.GET.get("token", "")
    # The same token rules as the viewer page: one context builder for both.
    context = _viewer_context(event.pk, raw_token, request.GET.get("camera", ""), None)
    context.update(event=event, token=raw_token, viewer_id=secrets.token_hex(12))
    status = context["problem"][0] if context["problem"] else 200
    response = token_in_url(render(request, "live/embed.html", context, status=status))
    return allow_framing_by(response, event)
