"""Shots over the API: make one (admin), list and read them (any key), name the
player or hole afterwards and hide one (admin)."""

from datetime import datetime, timezone as dt_timezone

from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from live.api import shot_serializers as ss
from live.api.permissions import IsAdminClient, IsApiClient
from live.api.recording_views import row_id
from live.api.views import RETRY_AFTER, errors, get_camera_or_404, get_event
from live.http import actor_of
from live.models import ShotSource
from live.services.shot_access import shot_media
from live.services.shots import ShotError, hide_shot, record_shot, shots_of, update_shot

LIST_LIMIT = 200


def shot_answer(shot):
    url, thumbnail, expires = shot_media(shot)
    return {
        "id": shot.pk,
        "camera": shot.camera.slug,
        "at": shot.at,
        "player": shot.player,
        "hole": shot.hole,
        "note": shot.note,
        "source": shot.source,
        "state": shot.clip.state,
        "clipId": shot.clip_id,
        "clipStart": shot.clip.start,
        "clipDuration": round(shot.clip.duration, 3),
        "url": url,
        "thumbnailUrl": thumbnail,
        "expiresAt": datetime.fromtimestamp(expires, tz=dt_timezone.utc) if expires else None,
        "readyAt": shot.ready_at,
        "createdAt": shot.created_at,
    }


def _refused(exc):
    return ValidationError({exc.field: [str(exc)]})


def find_shot_or_404(event_id, shot_id):
    number = row_id(shot_id)
    shot = shots_of(event_id).filter(pk=number).first() if number else None
    if shot is None:
        get_event(event_id)
        raise Http404(f"No shot {shot_id} in this event.")
    return shot


class ShotCreateView(APIView):
    permission_classes = [IsAdminClient]

    @extend_schema(
        request=ss.ShotRequest,
        responses={
            202: OpenApiResponse(ss.ShotResponse, description="Accepted: its clip is cut"),
            **errors(400, 401, 403, 404, 415, 429),
        },
        parameters=[RETRY_AFTER],
        summary="A shot at `at` (default now) on the camera, and its clip (admin)",
        description="Within 3 s of a visible shot the camera's microphone made (source "
        "`audio`), that shot is the answer: it keeps its time and source and takes the "
        "player, hole and note given (blank ones leave its own).",
    )
    def post(self, request, event_id, camera):
        camera = get_camera_or_404(event_id, camera)
        body = ss.ShotRequest(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            shot = record_shot(
                camera,
                data.get("at") or timezone.now(),
                source=ShotSource.API,
                player=data.get("player", ""),
                hole=data.get("hole"),
                note=data.get("note", ""),
                actor=actor_of(request),
            )
        except ShotError as exc:
            raise _refused(exc)
        return Response(shot_answer(shot), status=202)


class ShotListView(APIView):
    permission_classes = [IsApiClient]

    @extend_schema(
        parameters=[ss.ShotFilter, RETRY_AFTER],
        responses={200: ss.ShotResponse(many=True), **errors(400, 401, 403, 404, 429)},
        summary=f"The event's shots, newest first (at most {LIST_LIMIT})",
    )
    def get(self, request, event_id):
        get_event(event_id)
        query = ss.ShotFilter(data=request.query_params)
        query.is_valid(raise_exception=True)
        wanted = query.validated_data
        shots = shots_of(event_id)
        if "camera" in wanted:
            shots = shots.filter(camera__slug=wanted["camera"])
        if "player" in wanted:
            shots = shots.filter(player__iexact=" ".join(wanted["player"].split()))
        if "hole" in wanted:
            shots = shots.filter(hole=wanted["hole"])
        if "since" in wanted:
            shots = shots.filter(at__gte=wanted["since"])
        return Response([shot_answer(shot) for shot in shots[:LIST_LIMIT]])


class ShotDetailView(APIView):
    def get_permissions(self):
        admin = self.request.method in ("PATCH", "DELETE")
        return [IsAdminClient() if admin else IsApiClient()]

    @extend_schema(
        responses={200: ss.ShotResponse, **errors(401, 403, 404, 429)},
        parameters=[RETRY_AFTER, OpenApiParameter("shot_id", int, OpenApiParameter.PATH)],
        summary="A shot, and signed URLs of its clip and thumbnail once ready",
    )
    def get(self, request, event_id, shot_id):
        return Response(shot_answer(find_shot_or_404(event_id, shot_id)))

    @extend_schema(
        request=ss.ShotChange,
        responses={200: ss.ShotResponse, **errors(400, 401, 403, 404, 415, 429)},
        parameters=[RETRY_AFTER, OpenApiParameter("shot_id", int, OpenApiParameter.PATH)],
        summary="Name the player, hole or note of a shot afterwards (admin)",
    )
    def patch(self, request, event_id, shot_id):
        shot = find_shot_or_404(event_id, shot_id)
        body = ss.ShotChange(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            update_shot(shot, body.validated_data)
        except ShotError as exc:
            raise _refused(exc)
        return Response(shot_answer(shot))

    @extend_schema(
        request=None,
        responses={200: ss.ShotResponse, **errors(401, 403, 404, 429)},
        parameters=[RETRY_AFTER, OpenApiParameter("shot_id", int, OpenApiParameter.PATH)],
        summary="Hide a shot from every list and page (admin)",
    )
    def delete(self, request, event_id, shot_id):
        shot = find_shot_or_404(event_id, shot_id)
        hide_shot(shot, actor_of(request))
        return Response(shot_answer(shot))
