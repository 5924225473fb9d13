import time
from datetime import datetime, timezone as dt_timezone

from django.conf import settings
from django.http import Http404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import Throttled, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from live.api import serializers as s
from live.api.errors import Conflict, ServiceUnavailable
from live.api.negotiation import JsonOnly
from live.api.permissions import IsAdminClient
from live.models import Event
from live.services import telemetry
from live.services.audit import actor_of
from live.services.access import check_viewer_access
from live.services.lifecycle import (
    SourceConflict,
    live_broadcast,
    start_broadcast,
    stop_broadcast,
)
from live.services.media import InvalidMediaPath, parse_media_path, sign_media_path
from live.services.health import health_of
from live.services.sources import InvalidCameraUrl, SourceUnavailable, ingest_for
from live.services.rate_limits import RateLimited
from live.services.viewer_links import mint_viewer_link

ERROR_MEANINGS = {
    400: "Invalid input: `validation_error` with `detail` keyed by field, or `parse_error`",
    401: "No, unknown or inactive API key (`not_authenticated`, `authentication_failed`)",
    403: "A client key, or a non-staff login, on a route that needs more; a key limited to "
    "other events (`permission_denied`, naming the event)",
    404: "No such event",
    409: "Conflicts with the broadcast's state",
    415: "The body is not JSON (`unsupported_media_type`)",
    429: "Too many requests (`throttled`): minting per key, failed API keys per address",
    503: "The source is not configured on this server (`source_unavailable`)",
}
RETRY_AFTER = OpenApiParameter(
    "Retry-After",
    OpenApiTypes.INT,
    location=OpenApiParameter.HEADER,
    description="Seconds until the rate limit allows another request",
    response=[429],
    required=True,
)


def errors(*codes):
    """The error answers of an operation; every one has the shape of ErrorResponse."""
    return {
        code: OpenApiResponse(s.ErrorResponse, description=ERROR_MEANINGS[code]) for code in codes
    }


def get_event(event_id):
    event = Event.objects.filter(pk=event_id).first()
    if event is None:
        raise Http404(f"No event with id {event_id!r}.")
    return event


def stream_state(broadcast):
    return {
        "running": broadcast is not None and broadcast.is_live,
        "startedAt": broadcast.started_at if broadcast else None,
        "source": broadcast.source if broadcast else None,
        "broadcastId": broadcast.pk if broadcast else None,
    }


def viewer_path(event_id, token):
    return f"{reverse('live:viewer', args=[event_id])}?token={token}"


class StartView(APIView):
    permission_classes = [IsAdminClient]

    @extend_schema(
        request=s.StartRequest,
        responses={
            200: OpenApiResponse(s.StartResponse, description="Already live with this source"),
            201: OpenApiResponse(s.StartResponse, description="Started"),
            **errors(400, 401, 403, 404, 409, 415, 429, 503),
        },
        parameters=[RETRY_AFTER],
        summary="Start the event's broadcast (admin)",
    )
    def post(self, request, event_id):
        event = get_event(event_id)
        body = s.StartRequest(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            broadcast, created = start_broadcast(
                event,
                body.validated_data["source"],
                actor_of(request),
                camera_url=body.validated_data.get("cameraUrl", ""),
            )
        except InvalidCameraUrl as exc:
            raise ValidationError({"cameraUrl": [str(exc)]})
        except SourceUnavailable as exc:
            raise ServiceUnavailable(str(exc))
        except SourceConflict as exc:
            raise Conflict(str(exc))
        answer = {**stream_state(broadcast), "startedBy": broadcast.started_by}
        ingest = ingest_for(broadcast)
        if ingest:
            answer["ingest"] = ingest
        return Response(answer, status=status.HTTP_201_CREATED if created else 200)


class StopView(APIView):
    permission_classes = [IsAdminClient]

    @extend_schema(
        request=None,
        responses={200: s.StopResponse, **errors(401, 403, 404, 429)},
        parameters=[RETRY_AFTER],
        summary="Stop the event's broadcast (admin); idempotent",
    )
    def post(self, request, event_id):
        event = get_event(event_id)
        broadcast = stop_broadcast(event, actor_of(request))
        return Response(
            {
                **stream_state(broadcast),
                "stoppedAt": broadcast.stopped_at if broadcast else None,
            }
        )


class TokenView(APIView):
    permission_classes = [IsAdminClient]

    @extend_schema(
        request=s.TokenRequest,
        responses={200: s.TokenResponse, **errors(400, 401, 403, 404, 409, 415, 429)},
        parameters=[RETRY_AFTER],
        summary="Mint a viewer token for the live broadcast (admin)",
    )
    def post(self, request, event_id):
        event = get_event(event_id)
        body = s.TokenRequest(data=request.data)
        body.is_valid(raise_exception=True)
        broadcast = live_broadcast(event.pk)
        if broadcast is None:
            raise Conflict("The event is not live: start it before minting viewer links.")
        try:
            token, claims, _ = mint_viewer_link(
                broadcast, body.validated_data["ttl"], actor_of(request)
            )
        except RateLimited as exc:
            raise Throttled(wait=exc.retry_after, detail=str(exc))
        return Response(
            {
                "token": token,
                "expiresAt": claims.expires_at,
                "viewerUrl": viewer_path(event.pk, token),
            }
        )


class StatusView(APIView):
    # Polled by every viewer: JSON without parsing Accept each time.
    content_negotiation_class = JsonOnly

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "token",
                str,
                description="A viewer token: adds hlsPath. Any text is accepted; a token "
                "that is not valid for the live broadcast only leaves hlsPath out.",
            ),
            RETRY_AFTER,
        ],
        responses={200: s.StatusResponse, **errors(401, 403, 404, 429)},
        summary="The stream's state; hlsPath only for a valid viewer token",
    )
    def get(self, request, event_id):
        # Not through a serializer field: those refuse NUL characters with a 400, and
        # a bad token is not an error here.
        raw_token = request.query_params.get("token", "")
        # A live broadcast proves the event exists: no Event query on the hot path.
        broadcast = live_broadcast(event_id)
        if broadcast is None:
            get_event(event_id)
        answer = {**stream_state(broadcast), **health_of(broadcast)}
        token_valid = False
        if raw_token and broadcast is not None:
            access = check_viewer_access(event_id, raw_token, broadcast)
            if access.token is not None:
                token_valid = True
                path, path_expires = access.signed_playlist()
                answer["hlsPath"] = path
                answer["hlsPathExpiresAt"] = datetime.fromtimestamp(
                    path_expires, tz=dt_timezone.utc
                )
                answer["expiresAt"] = access.token.expires_at
        telemetry.emit(
            "live.status",
            eventId=event_id,
            running=answer["running"],
            withToken=bool(raw_token),
            tokenValid=token_valid,
        )
        # Clients may keep the answer but must revalidate (ETag, 304).
        return Response(answer, headers={"Cache-Control": "private, no-cache"})


class MediaSignView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("path", str, required=True, description="e.g. /hls/tee/index.m3u8"),
            RETRY_AFTER,
        ],
        responses={200: s.SignResponse, **errors(400, 401, 403, 429)},
        summary="Sign a media path under /hls/",
    )
    def get(self, request):
        query = s.SignQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        try:
            media_path = parse_media_path(query.validated_data["path"])
        except InvalidMediaPath as exc:
            raise ValidationError({"path": [str(exc)]})
        expires = int(time.time()) + settings.LIVE_MEDIA_URL_TTL
        return Response(
            {
                "url": sign_media_path(media_path, expires),
                "expiresAt": datetime.fromtimestamp(expires, tz=dt_timezone.utc),
            }
        )
