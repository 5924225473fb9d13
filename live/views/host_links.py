"""Viewer links from the host page: mint, list, revoke (in two steps)."""

from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET, require_POST

from live.forms import (
    ViewerLinkForm,
)
from live.http import actor_of, no_store, viewer_path
from live.models import Event, ViewerLink
from live.services.cameras import (
    cameras_of,
)
from live.services.rate_limits import RateLimited
from live.services.viewer_links import mint_link_ahead, revoke_viewer_link
from live.views.console import (
    links_context,
    render_console,
    staff_required,
)


@staff_required
@require_POST
def host_link(request, event_id):
    event = get_object_or_404(Event, pk=event_id)
    pairs = list(cameras_of(event.pk))
    form = ViewerLinkForm(request.POST, cameras=[camera for camera, _ in pairs])
    if not form.is_valid():
        return render_console(request, event, status=400, link_form=form)
    slug = form.cleaned_data["scope"]
    camera = next((camera for camera, _ in pairs if camera.slug == slug), None)
    try:
        # Whether or not anything is live: a link can be sent ahead of a tee time.
        token, claims, _ = mint_link_ahead(
            event.pk,
            form.cleaned_data["ttl"],
            actor_of(request),
            camera=camera,
            live=[broadcast for _, broadcast in pairs],
        )
    except RateLimited as exc:
        response = render_console(request, event, status=429, error=str(exc))
        response["Retry-After"] = str(exc.retry_after)
        return response
    link = request.build_absolute_uri(viewer_path(event.pk, token, slug or None))
    return render_console(
        request,
        event,
        viewer_link=link,
        viewer_link_expires=claims.expires_at,
        viewer_link_scope=camera.name if camera else "every camera",
        link_form=form,
    )


@staff_required
@require_GET
def host_links(request, event_id):
    event = get_object_or_404(Event, pk=event_id)
    context = {"event": event, **links_context(event.pk)}
    return no_store(render(request, "live/_host_links.html", context))


@staff_required
@require_POST
def host_revoke_link(request, event_id, link_id):
    event = get_object_or_404(Event, pk=event_id)
    link = ViewerLink.objects.filter(pk=link_id, event=event).first()
    if link is None:
        return render_console(request, event, status=404, error="No such viewer link.")
    if request.POST.get("confirm") != "yes":
        # Two steps, with or without JavaScript: the first asks, the second revokes.
        return render_console(request, event, confirm_revoke=link.pk)
    revoked = revoke_viewer_link(link, actor_of(request))
    notice = "The viewer link is revoked." if revoked else "The link was already revoked."
    return render_console(request, event, notice=notice)
