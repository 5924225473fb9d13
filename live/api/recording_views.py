"""Recordings and clips over the API: list and delete recordings, cut and fetch clips."""

from datetime import datetime, timezone as dt_timezone

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import Throttled, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from live.api import recording_serializers as rs
from live.api.errors import Conflict, InsufficientStorage, StorageDown
from live.api.permissions import IsAdminClient, IsApiClient
from live.api.views import RETRY_AFTER, errors, get_camera_or_404, get_event
from live.http import actor_of
from live.models import ClipState
from live.services.clips import ClipRangeError, NoSpace, clip_url, create_clip, find_clip
from live.services.rate_limits import RateLimited
from live.services.recordings import RecordingBusy, delete_recording, recordings_of
from live.services.storage import StorageUnavailable


def row_id(value):
    """A route's numeric id, or None: anything else (or out of range) is a 404, not a 500."""
    if not value.isascii() or not value.isdigit() or len(value) > 9:
        return None
    return int(value)


def recording_answer(recording):
    return {
        "id": recording.pk,
        "camera": recording.broadcast.camera.slug,
        "broadcastId": recording.broadcast_id,
        "startedAt": recording.started_at,
        "stoppedAt": recording.stopped_at,
        "durationSeconds": round(recording.duration_seconds, 3),
        "bytes": recording.bytes,
        "state": recording.state,
    }


def clip_answer(clip):
    url, expires = clip_url(clip)
    return {
        "id": clip.pk,
        "camera": clip.camera.slug,
        "state": clip.state,
        "start": clip.start,
        "duration": clip.duration,
        "bytes": clip.bytes,
        "createdAt": clip.created_at,
        "url": url,
        "expiresAt": datetime.fromtimestamp(expires, tz=dt_timezone.utc) if expires else None,
        "error": clip.error or None,
    }


class RecordingListView(APIView):
    permission_classes = [IsApiClient]

    @extend_schema(
        responses={200: rs.RecordingResponse(many=True), **errors(401, 403, 404, 429)},
        parameters=[RETRY_AFTER],
        summary="The event's recordings, newest first",
    )
    def get(self, request, event_id):
        get_event(event_id)
        return Response([recording_answer(r) for r in recordings_of(event_id)])


class RecordingDeleteView(APIView):
    permission_classes = [IsAdminClient]

    @extend_schema(
        request=None,
        responses={
            200: rs.RecordingResponse,
            **errors(
                401,
                403,
                404,
                409,
                429,
                503,
                e409="The broadcast is still live",
                e503="Recordings storage did not answer (`storage_unavailable`): nothing changed",
            ),
        },
        parameters=[RETRY_AFTER],
        summary="Delete a recording's files (admin); it stays listed as deleted",
    )
    @extend_schema(parameters=[OpenApiParameter("recording_id", int, OpenApiParameter.PATH)])
    def delete(self, request, event_id, recording_id):
        number = row_id(recording_id)
        recording = recordings_of(event_id).filter(pk=number).first() if number else None
        if recording is None:
            get_event(event_id)
            raise Http404(f"No recording {recording_id} in this event.")
        try:
            delete_recording(recording)
        except RecordingBusy as exc:
            raise Conflict(str(exc))
        except StorageUnavailable:
            raise StorageDown()
        return Response(recording_answer(recording))


class ClipCreateView(APIView):
    permission_classes = [IsAdminClient]

    @extend_schema(
        request=rs.ClipRequest,
        responses={
            202: OpenApiResponse(rs.ClipResponse, description="Accepted: being cut"),
            201: OpenApiResponse(rs.ClipResponse, description="The same range, already cut"),
            **errors(
                400,
                401,
                403,
                404,
                415,
                429,
                503,
                507,
                e503="Recordings storage did not answer (`storage_unavailable`)",
            ),
        },
        parameters=[RETRY_AFTER],
        summary="Cut a clip (up to 120 s) from the camera's recording (admin)",
    )
    def post(self, request, event_id, camera):
        camera = get_camera_or_404(event_id, camera)
        body = rs.ClipRequest(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            clip, _ = create_clip(
                camera,
                body.validated_data["start"],
                body.validated_data["duration"],
                actor_of(request),
            )
        except ClipRangeError as exc:
            raise ValidationError({exc.field: [str(exc)]})
        except StorageUnavailable:
            raise StorageDown("Recordings storage did not answer: no clip was made; try again.")
        except RateLimited as exc:
            raise Throttled(wait=exc.retry_after, detail=str(exc))
        except NoSpace as exc:
            raise InsufficientStorage(str(exc))
        status = 201 if clip.state == ClipState.READY else 202
        return Response(clip_answer(clip), status=status)


class ClipDetailView(APIView):
    permission_classes = [IsApiClient]

    @extend_schema(
        responses={200: rs.ClipResponse, **errors(401, 403, 404, 429)},
        parameters=[RETRY_AFTER],
        summary="A clip's state, and a signed URL of its MP4 once ready",
    )
    @extend_schema(parameters=[OpenApiParameter("clip_id", int, OpenApiParameter.PATH)])
    def get(self, request, event_id, clip_id):
        number = row_id(clip_id)
        clip = find_clip(event_id, number) if number else None
        if clip is None:
            get_event(event_id)
            raise Http404(f"No clip {clip_id} in this event.")
        return Response(clip_answer(clip))
