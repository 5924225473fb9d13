import time
from datetime import datetime, timezone as dt_timezone

from django.conf import settings
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import Throttled, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from live.api import serializers as s
from live.api.errors import Conflict, ServiceUnavailable
from live.api.negotiation import JsonOnly
from live.api.permissions import IsAdminClient, IsApiClient
from live.http import absolute_url, actor_of, viewer_path
from live.models import DEFAULT_CAMERA, Event
from live.services import telemetry
from live.services.access import check_viewer_access
from live.services.cameras import UnknownCamera, cameras_of, get_camera
from live.services.health import health_of
from live.services.lifecycle import (
    SourceConflict,
    live_broadcast,
    start_broadcast,
    stop_broadcast,
)
from live.services.media import InvalidMediaPath, sign_media_path
from live.services.media_grants import UnknownStream, media_to_sign
from live.services.media_hosts import media_url, stream_media_base
from live.services.rate_limits import RateLimited
from live.services.recording_access import dvr_fields, replay_fields
from live.services.snapshots import event_state
from live.services.sources import InvalidCameraUrl, SourceUnavailable, ingest_for
from live.services.states import state_of
from live.services.viewer_links import NotLive, mint_viewer_link

ERROR_MEANINGS = {
    400: "Invalid input: `validation_error` with `detail` keyed by field, or `parse_error`",
    401: "No, unknown or inactive API key (`not_authenticated`, `authentication_failed`)",
    403: "A client key, or a non-staff login, on a route that needs more; a key limited to "
    "other events (`permission_denied`, naming the event)",
    404: "No such event, or no such camera in it",
    409: "Conflicts with the broadcast's state",
    415: "The body is not JSON (`unsupported_media_type`)",
    429: "Too many requests (`throttled`): minting per key, failed API keys per address, "
    "clips per key and per camera",
    503: "The source is not configured on this server (`source_unavailable`)",
    507: "The data disk is under LIVE_MIN_FREE_BYTES (`insufficient_storage`)",
}
RETRY_AFTER = OpenApiParameter(
    "Retry-After",
    OpenApiTypes.INT,
    location=OpenApiParameter.HEADER,
    description="Seconds until the rate limit allows another request",
    response=[429],
    required=True,
)


def errors(*codes, **meanings):
    """The error answers of an operation; every one has the shape of ErrorResponse.

    ``meanings`` overrides a code's description for one operation (``e404="…"``).
    """
    return {
        code: OpenApiResponse(
            s.ErrorResponse, description=meanings.get(f"e{code}", ERROR_MEANINGS[code])
        )
        for code in codes
    }


def get_event(event_id):
    event = Event.objects.filter(pk=event_id).first()
    if event is None:
        raise Http404(f"No event with id {event_id!r}.")
    return event


def get_camera_or_404(event_id, camera):
    """The camera a route names; the event routes name the default camera."""
    try:
        return get_camera(event_id, camera)
    except UnknownCamera as exc:
        get_event(event_id)  # an unknown event says so first
        raise Http404(str(exc))


def state_fields(broadcast, last=None):
    """The camera's state (live/services/states.py), as every page shows it."""
    state = state_of(broadcast, last)
    return {"state": state.code, "stateReason": state.reason or None}


def stream_state(broadcast):
    return {
        "running": broadcast is not None and broadcast.is_live,
        "startedAt": broadcast.started_at if broadcast else None,
        "source": broadcast.source if broadcast else None,
        "broadcastId": broadcast.pk if broadcast else None,
    }


class CameraListView(APIView):
    permission_classes = [IsApiClient]

    @extend_schema(
        responses={200: s.CameraResponse(many=True), **errors(401, 403, 404, 429)},
        parameters=[RETRY_AFTER],
        summary="The event's cameras in display order, each with its state",
    )
    def get(self, request, event_id):
        get_event(event_id)
        return Response(
            [
                {
                    "id": camera.slug,
                    "name": camera.name,
                    "running": broadcast is not None,
                    "startedAt": broadcast.started_at if broadcast else None,
                    "source": broadcast.source if broadcast else camera.source,
                    "health": health_of(broadcast)["health"],
                }
                for camera, broadcast in cameras_of(event_id)
            ]
        )


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
        summary="Start the camera's broadcast (admin); the event routes start the default camera",
    )
    def post(self, request, event_id, camera=DEFAULT_CAMERA):
        camera = get_camera_or_404(event_id, camera)
        body = s.StartRequest(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            broadcast, created = start_broadcast(
                camera,
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
        ingest = ingest_for(camera, broadcast.source)
        if ingest:
            answer["ingest"] = ingest
        return Response(answer, status=status.HTTP_201_CREATED if created else 200)


class StopView(APIView):
    permission_classes = [IsAdminClient]

    @extend_schema(
        request=None,
        responses={200: s.StopResponse, **errors(401, 403, 404, 429)},
        parameters=[RETRY_AFTER],
        summary="Stop the camera's broadcast (admin); idempotent",
    )
    def post(self, request, event_id, camera=DEFAULT_CAMERA):
        camera = get_camera_or_404(event_id, camera)
        broadcast = stop_broadcast(camera, actor_of(request))
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
        summary="Mint a viewer link (admin): the event routes an event link (every camera), "
        "a camera route a link for that camera; only while it is live",
    )
    def post(self, request, event_id, camera=None):
        scope = get_camera_or_404(event_id, camera or DEFAULT_CAMERA)
        body = s.TokenRequest(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            token, claims, _ = mint_viewer_link(
                live_broadcast(event_id, scope.slug),
                body.validated_data["ttl"],
                actor_of(request),
                camera=scope if camera else None,
            )
        except NotLive as exc:
            raise Conflict(str(exc))
        except RateLimited as exc:
            raise Throttled(wait=exc.retry_after, detail=str(exc))
        url = viewer_path(event_id, token, camera)
        return Response(
            {
                "token": token,
                "expiresAt": claims.expires_at,
                # The event routes keep their original, relative viewerUrl.
                "viewerUrl": absolute_url(request, url) if camera else url,
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
        summary="The camera's state; hlsPath only for a viewer token valid for it",
    )
    def get(self, request, event_id, camera=DEFAULT_CAMERA):
        # Not through a serializer field: those refuse NUL characters with a 400, and
        # a bad token is not an error here.
        raw_token = request.query_params.get("token", "")
        # The event's snapshot (snapshots.py): no query on the hot path but the key's.
        snapshot = event_state(event_id)
        broadcast = snapshot.live(camera)
        last = None
        if broadcast is None:
            last = snapshot.last_of(snapshot.camera(camera) or get_camera_or_404(event_id, camera))
        answer = {
            **stream_state(broadcast),
            **health_of(broadcast),
            **state_fields(broadcast, last),
        }
        token_valid = False
        if raw_token and broadcast is not None:
            access = check_viewer_access(event_id, raw_token, broadcast, revoked=snapshot.revoked)
            if access.can_play:
                token_valid = True
                answer.update(access.live_fields())
                answer.update(dvr_fields(access, snapshot.is_recording))
        elif raw_token and last is not None:
            answer.update(replay_fields(event_id, raw_token, last))
            token_valid = "replayPath" in answer
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
            OpenApiParameter(
                "path",
                str,
                required=True,
                description="e.g. /hls/tee/index.m3u8, or an hlsPath from status "
                "(/hls/<signature>/<expiry>/<stream>/<file>, expired or not), signed afresh",
            ),
            RETRY_AFTER,
        ],
        responses={
            200: s.SignResponse,
            **errors(
                400,
                401,
                403,
                404,
                429,
                e404="No live broadcast or fixture stream of that name (`not_found`)",
            ),
        },
        summary="Sign a media path under /hls/ of a stream that exists now",
    )
    def get(self, request):
        query = s.SignQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        try:
            media_path = media_to_sign(query.validated_data["path"])
        except InvalidMediaPath as exc:
            raise ValidationError({"path": [str(exc)]})
        except UnknownStream as exc:
            raise Http404(str(exc))
        expires = int(time.time()) + settings.LIVE_MEDIA_URL_TTL
        return Response(
            {
                "url": media_url(
                    stream_media_base(media_path.stream), sign_media_path(media_path, expires)
                ),
                "expiresAt": datetime.fromtimestamp(expires, tz=dt_timezone.utc),
            }
        )
