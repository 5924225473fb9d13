"""The host page's audience and links, over the API: list and revoke links, a camera's audience.

Every route has ``event_id`` in its URL, so the permission classes also hold
scoped API keys to their events (live/api/permissions.py).
"""

from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import Throttled
from rest_framework.response import Response
from rest_framework.views import APIView

from live.api import serializers as s
from live.api.permissions import IsAdminClient, IsApiClient
from live.api.views import RETRY_AFTER, errors, get_camera_or_404, get_event
from live.http import absolute_url, actor_of, viewer_path
from live.models import ViewerLink
from live.services.audience import audience_of
from live.services.lifecycle import live_broadcast_of
from live.services.states import last_broadcast
from live.services.cameras import cameras_of
from live.services.rate_limits import RateLimited
from live.services.viewer_links import (
    link_state,
    links_of,
    mint_link_ahead,
    revoke_viewer_link,
)

UNKNOWN_LINK = OpenApiResponse(
    s.ErrorResponse, description="No such event, or no such link in it (`not_found`)"
)


def link_fields(link, now=None):
    return {
        "id": link.pk,
        "camera": link.camera.slug if link.camera_id else None,
        "mintedBy": link.minted_by,
        "createdAt": link.created_at,
        "expiresAt": link.expires_at,
        "revokedAt": link.revoked_at,
        "state": link_state(link, now),
        "watchingNow": link.watching_now,
        "viewerUrl": None,  # the token is never stored (see LinkResponse)
    }


class LinkListView(APIView):
    permission_classes = [IsAdminClient]

    @extend_schema(
        parameters=[s.LinksQuery, RETRY_AFTER],
        responses={200: s.LinkResponse(many=True), **errors(400, 401, 403, 404, 429)},
        summary="The event's viewer links, newest first (admin); ?camera= for one camera's",
    )
    def get(self, request, event_id):
        get_event(event_id)
        query = s.LinksQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        camera = None
        if "camera" in query.validated_data:
            camera = get_camera_or_404(event_id, query.validated_data["camera"])
        return Response([link_fields(link) for link in links_of(event_id, camera)])

    @extend_schema(
        request=s.LinkCreateRequest,
        responses={201: s.LinkCreateResponse, **errors(400, 401, 403, 404, 415, 429)},
        parameters=[RETRY_AFTER],
        summary="Mint a viewer link (admin) whether or not anything is live: sent ahead of "
        "a tee time, its page waits, counts down to a schedule and plays once the camera "
        "goes live; camera: a link for that camera only",
    )
    def post(self, request, event_id):
        get_event(event_id)
        body = s.LinkCreateRequest(data=request.data)
        body.is_valid(raise_exception=True)
        camera = None
        if "camera" in body.validated_data:
            camera = get_camera_or_404(event_id, body.validated_data["camera"])
        live = [broadcast for _, broadcast in cameras_of(event_id)]
        try:
            token, claims, link = mint_link_ahead(
                event_id, body.validated_data["ttl"], actor_of(request), camera=camera, live=live
            )
        except RateLimited as exc:
            raise Throttled(wait=exc.retry_after, detail=str(exc))
        path = viewer_path(event_id, token, camera.slug if camera else None)
        return Response(
            {
                "id": link.pk,
                "camera": camera.slug if camera else None,
                "token": token,
                "expiresAt": claims.expires_at,
                "viewerUrl": absolute_url(request, path),
            },
            status=status.HTTP_201_CREATED,
        )


class RevokeLinkView(APIView):
    permission_classes = [IsAdminClient]

    @extend_schema(
        request=None,
        responses={200: s.LinkResponse, **errors(401, 403, 429), 404: UNKNOWN_LINK},
        parameters=[RETRY_AFTER],
        summary="Revoke a viewer link (admin): it stops playing within a media URL's "
        "lifetime; idempotent",
    )
    def post(self, request, event_id, link_id):
        get_event(event_id)
        link = ViewerLink.objects.filter(pk=link_id, event_id=event_id).first()
        if link is None:
            raise Http404(f"The event {event_id!r} has no viewer link {link_id}.")
        revoke_viewer_link(link, actor_of(request))
        return Response(link_fields(links_of(event_id).get(pk=link.pk)))


class CameraAudienceView(APIView):
    permission_classes = [IsApiClient]

    @extend_schema(
        parameters=[RETRY_AFTER],
        responses={200: s.AudienceResponse, **errors(401, 403, 404, 429)},
        summary="The audience of the camera's live broadcast, else of its latest one",
    )
    def get(self, request, event_id, camera):
        camera = get_camera_or_404(event_id, camera)
        broadcast = live_broadcast_of(camera) or last_broadcast(camera)
        return Response(
            {
                "broadcastId": broadcast.pk if broadcast else None,
                "running": broadcast is not None and broadcast.is_live,
                **audience_of(broadcast),
            }
        )
