"""The integration routes of a camera: its tee-time schedule and its simulcast targets."""

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from live.api.permissions import IsAdminClient
from live.api.serializers import AwareDateTimeField
from live.api.views import RETRY_AFTER, errors, get_camera_or_404
from live.http import actor_of
from live.models import Source
from live.services.schedules import InvalidSchedule, clear_schedule, schedule_of, set_schedule
from live.services.simulcast_targets import (
    MAX_KEY_LENGTH,
    MAX_NAME_LENGTH,
    MAX_URL_LENGTH,
    InvalidTarget,
    UnknownTarget,
    add_target,
    remove_target,
    simulcast_health,
)

MAX_ID = 2**31 - 1  # beyond a database integer: no such target, not an overflow


class ScheduleRequest(serializers.Serializer):
    startAt = AwareDateTimeField(help_text="When the camera starts (ISO 8601 with its zone)")
    stopAt = AwareDateTimeField(help_text="When it stops (after startAt, within 24 h)")
    source = serializers.ChoiceField(
        choices=Source.choices, required=False, help_text="Default: the camera's default source"
    )


class ScheduleResponse(serializers.Serializer):
    scheduled = serializers.BooleanField()
    startAt = serializers.DateTimeField(allow_null=True)
    stopAt = serializers.DateTimeField(allow_null=True)
    source = serializers.CharField(allow_null=True)
    startedAt = serializers.DateTimeField(
        allow_null=True, help_text="When the scheduler fired the start"
    )
    stoppedAt = serializers.DateTimeField(
        allow_null=True, help_text="When the scheduler fired the stop"
    )
    lastError = serializers.CharField(allow_null=True, help_text="Why the start was refused")
    broadcastId = serializers.IntegerField(
        allow_null=True, help_text="The broadcast the schedule started: the only one it stops"
    )
    alreadyLive = serializers.BooleanField(
        help_text="The camera was already live at the start time: the schedule left it alone"
    )


class TargetRequest(serializers.Serializer):
    name = serializers.CharField(max_length=MAX_NAME_LENGTH)
    url = serializers.CharField(
        max_length=MAX_URL_LENGTH,
        trim_whitespace=False,
        help_text="rtmp:// or rtmps:// server URL, without credentials or query",
    )
    streamKey = serializers.CharField(max_length=MAX_KEY_LENGTH, trim_whitespace=False)
    enabled = serializers.BooleanField(default=True)


class TargetResponse(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    url = serializers.CharField()
    streamKeyHint = serializers.CharField(help_text="The key's last 4 characters only")
    enabled = serializers.BooleanField()
    state = serializers.ChoiceField(
        choices=["idle", "disabled", "connecting", "sending", "retrying"]
    )
    lastError = serializers.CharField(allow_null=True)
    since = serializers.DateTimeField(allow_null=True)


def schedule_answer(schedule):
    if schedule is None:
        return {
            "scheduled": False,
            **dict.fromkeys(
                ["startAt", "stopAt", "source", "startedAt", "stoppedAt", "lastError"]
            ),
            "broadcastId": None,
            "alreadyLive": False,
        }
    return {
        "scheduled": True,
        "startAt": schedule.start_at,
        "stopAt": schedule.stop_at,
        "source": schedule.source or schedule.camera.source,
        "startedAt": schedule.started_at,
        "stoppedAt": schedule.stopped_at,
        "lastError": schedule.last_error or None,
        "broadcastId": schedule.broadcast_id,
        "alreadyLive": schedule.already_live,
    }


class ScheduleView(APIView):
    permission_classes = [IsAdminClient]

    @extend_schema(
        responses={200: ScheduleResponse, **errors(401, 403, 404, 429)},
        parameters=[RETRY_AFTER],
        summary="The camera's planned start and stop (admin)",
    )
    def get(self, request, event_id, camera):
        return Response(schedule_answer(schedule_of(get_camera_or_404(event_id, camera))))

    @extend_schema(
        request=ScheduleRequest,
        responses={200: ScheduleResponse, **errors(400, 401, 403, 404, 415, 429)},
        parameters=[RETRY_AFTER],
        summary="Plan the camera's start and stop (admin); replaces any plan",
    )
    def put(self, request, event_id, camera):
        camera = get_camera_or_404(event_id, camera)
        body = ScheduleRequest(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            schedule = set_schedule(
                camera,
                data["startAt"],
                data["stopAt"],
                source=data.get("source", ""),
                actor=actor_of(request),
            )
        except InvalidSchedule as exc:
            raise ValidationError({exc.field: [str(exc)]})
        return Response(schedule_answer(schedule))

    @extend_schema(
        request=None,
        responses={200: ScheduleResponse, **errors(401, 403, 404, 429)},
        parameters=[RETRY_AFTER],
        summary="Clear the camera's schedule (admin); idempotent",
    )
    def delete(self, request, event_id, camera):
        clear_schedule(get_camera_or_404(event_id, camera), actor_of(request))
        return Response(schedule_answer(None))


class SimulcastListView(APIView):
    permission_classes = [IsAdminClient]

    @extend_schema(
        responses={200: TargetResponse(many=True), **errors(401, 403, 404, 429)},
        parameters=[RETRY_AFTER],
        summary="The camera's simulcast targets and their health (admin)",
    )
    def get(self, request, event_id, camera):
        return Response(simulcast_health(get_camera_or_404(event_id, camera)))

    @extend_schema(
        request=TargetRequest,
        responses={201: TargetResponse, **errors(400, 401, 403, 404, 415, 429)},
        parameters=[RETRY_AFTER],
        summary="Add an RTMP/RTMPS simulcast target (admin); pushed while the camera is live",
    )
    def post(self, request, event_id, camera):
        camera = get_camera_or_404(event_id, camera)
        body = TargetRequest(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            target = add_target(
                camera,
                data["name"],
                data["url"],
                data["streamKey"],
                enabled=data["enabled"],
                actor=actor_of(request),
            )
        except InvalidTarget as exc:
            raise ValidationError({exc.field: [str(exc)]})
        answer = next(item for item in simulcast_health(camera) if item["id"] == target.pk)
        return Response(answer, status=201)


class SimulcastTargetView(APIView):
    permission_classes = [IsAdminClient]

    @extend_schema(
        request=None,
        responses={204: None, **errors(401, 403, 404, 429)},
        parameters=[RETRY_AFTER],
        summary="Remove a simulcast target (admin); its push stops within a packager pass",
    )
    def delete(self, request, event_id, camera, target_id):
        camera = get_camera_or_404(event_id, camera)
        try:
            if target_id > MAX_ID:
                raise UnknownTarget(f"No simulcast target {target_id}.")
            remove_target(camera, target_id, actor_of(request))
        except UnknownTarget as exc:
            raise Http404(str(exc))
        return Response(status=204)
