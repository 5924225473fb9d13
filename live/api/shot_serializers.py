"""Input and output of the shots routes (issue 24)."""

from rest_framework import serializers

from live.models import ClipState, ShotSource
from live.services.shots import HOLE_RANGE, NOTE_MAX, PLAYER_MAX


class ShotRequest(serializers.Serializer):
    at = serializers.DateTimeField(
        required=False, help_text="The strike (ISO 8601, wall clock); default: now"
    )
    player = serializers.CharField(
        required=False, allow_blank=True, max_length=PLAYER_MAX, trim_whitespace=True
    )
    hole = serializers.IntegerField(
        required=False, allow_null=True, min_value=HOLE_RANGE[0], max_value=HOLE_RANGE[1]
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=NOTE_MAX)


class ShotChange(serializers.Serializer):
    player = serializers.CharField(
        required=False, allow_blank=True, max_length=PLAYER_MAX, trim_whitespace=True
    )
    hole = serializers.IntegerField(
        required=False, allow_null=True, min_value=HOLE_RANGE[0], max_value=HOLE_RANGE[1]
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=NOTE_MAX)


class ShotFilter(serializers.Serializer):
    camera = serializers.SlugField(required=False, max_length=40)
    player = serializers.CharField(required=False, max_length=PLAYER_MAX)
    hole = serializers.IntegerField(
        required=False, min_value=HOLE_RANGE[0], max_value=HOLE_RANGE[1]
    )
    since = serializers.DateTimeField(required=False, help_text="Only shots at or after this")


class ShotResponse(serializers.Serializer):
    id = serializers.IntegerField()
    camera = serializers.CharField(help_text="The camera's URL id, e.g. main")
    at = serializers.DateTimeField(help_text="The strike")
    player = serializers.CharField(allow_blank=True)
    hole = serializers.IntegerField(allow_null=True)
    note = serializers.CharField(allow_blank=True)
    source = serializers.ChoiceField(choices=ShotSource.choices)
    state = serializers.ChoiceField(choices=ClipState.choices, help_text="Its clip's state")
    clipId = serializers.IntegerField()
    clipStart = serializers.DateTimeField()
    clipDuration = serializers.FloatField()
    url = serializers.CharField(allow_null=True, help_text="Signed clip.mp4 once ready")
    thumbnailUrl = serializers.CharField(
        allow_null=True, help_text="Signed thumb.jpg (the strike) once ready"
    )
    expiresAt = serializers.DateTimeField(allow_null=True)
    readyAt = serializers.DateTimeField(allow_null=True)
    createdAt = serializers.DateTimeField()
