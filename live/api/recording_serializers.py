"""Input and output of the recordings and clips routes (issue 12)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from live.models import ClipState, RecordingState


class RecordingResponse(serializers.Serializer):
    id = serializers.IntegerField()
    camera = serializers.CharField(help_text="The camera's URL id, e.g. main")
    broadcastId = serializers.IntegerField()
    startedAt = serializers.DateTimeField()
    stoppedAt = serializers.DateTimeField(allow_null=True)
    durationSeconds = serializers.FloatField()
    bytes = serializers.IntegerField()
    state = serializers.ChoiceField(choices=RecordingState.choices)


@extend_schema_field(OpenApiTypes.NUMBER)
class StrictNumberField(serializers.FloatField):
    """A JSON number: no strings ("5", "５") or booleans that DRF would coerce."""

    default_error_messages = {"invalid": "Must be a number of seconds (a JSON number)."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, (int, float)):
            self.fail("invalid")
        return super().to_internal_value(data)


class ClipRequest(serializers.Serializer):
    start = serializers.DateTimeField(help_text="Where the clip starts (ISO 8601, wall clock)")
    duration = StrictNumberField(help_text="Seconds, more than 0 and at most 120")


class ClipResponse(serializers.Serializer):
    id = serializers.IntegerField()
    camera = serializers.CharField()
    state = serializers.ChoiceField(choices=ClipState.choices)
    start = serializers.DateTimeField()
    duration = serializers.FloatField()
    bytes = serializers.IntegerField()
    createdAt = serializers.DateTimeField()
    url = serializers.CharField(
        allow_null=True, help_text="Signed /hls/<sig>/<exp>/<clip stream>/clip.mp4 once ready"
    )
    expiresAt = serializers.DateTimeField(allow_null=True)
    error = serializers.CharField(allow_null=True)
