from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from live.models import Source
from live.services.sources import MAX_CAMERA_URL_LENGTH


@extend_schema_field(OpenApiTypes.INT)
class StrictIntegerField(serializers.IntegerField):
    """A JSON integer: no strings, floats or booleans that DRF would coerce."""

    default_error_messages = {"invalid": "Must be a whole number of seconds."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


@extend_schema_field(OpenApiTypes.DATETIME)
class AwareDateTimeField(serializers.DateTimeField):
    """An ISO 8601 time with its zone (``Z`` or ``+02:00``): a time without one is
    refused by name, not quietly taken as UTC (a tee time 2 h off)."""

    default_error_messages = {
        "naive": "Give the time zone too, e.g. 2026-06-01T09:00:00Z or 2026-06-01T11:00:00+02:00."
    }

    def to_internal_value(self, value):
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:  # "…T09:60:00": DRF's own parse names it invalid
                parsed = None
            if parsed is not None and timezone.is_naive(parsed):
                self.fail("naive")
        return super().to_internal_value(value)


STATES = ["idle", "waiting", "live", "reconnecting", "ended"]
STATE_HELP = (
    "The camera's state, the same on every page: idle, waiting (live but no picture yet), "
    "live, reconnecting (the camera dropped; inside the reconnect window), ended (see "
    "stateReason)"
)


class StartRequest(serializers.Serializer):
    source = serializers.ChoiceField(choices=Source.choices)
    cameraUrl = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        max_length=MAX_CAMERA_URL_LENGTH,
        help_text="For the rtsp source: the camera's rtsp:// or rtsps:// URL.",
    )


class TokenRequest(serializers.Serializer):
    ttl = StrictIntegerField(
        min_value=1,
        max_value=settings.LIVE_TOKEN_MAX_TTL,
        default=settings.LIVE_TOKEN_DEFAULT_TTL,
        help_text=(
            f"Seconds the viewer link stays valid (1..{settings.LIVE_TOKEN_MAX_TTL}, "
            f"default {settings.LIVE_TOKEN_DEFAULT_TTL})."
        ),
    )


class SignQuery(serializers.Serializer):
    path = serializers.CharField(trim_whitespace=False, allow_blank=True)


class IngestResponse(serializers.Serializer):
    whipUrl = serializers.CharField(required=False)
    # The built-in WHIP ingest: the camera's stream key, sent as Authorization: Bearer.
    bearerToken = serializers.CharField(required=False)
    url = serializers.CharField(required=False)
    streamKey = serializers.CharField(required=False)
    publishUrl = serializers.CharField(required=False)
    passphrase = serializers.CharField(required=False)
    cameraUrl = serializers.CharField(required=False)


class StreamStateResponse(serializers.Serializer):
    running = serializers.BooleanField()
    startedAt = serializers.DateTimeField(allow_null=True)
    source = serializers.CharField(allow_null=True)
    broadcastId = serializers.IntegerField(allow_null=True)


class StartResponse(StreamStateResponse):
    startedBy = serializers.CharField()
    ingest = IngestResponse(required=False)


class StopResponse(StreamStateResponse):
    stoppedAt = serializers.DateTimeField(allow_null=True)


class StatusResponse(StreamStateResponse):
    state = serializers.ChoiceField(choices=STATES, help_text=STATE_HELP)
    stateReason = serializers.CharField(allow_null=True, help_text="Why it ended")
    health = serializers.CharField(allow_null=True)
    lastSegmentAt = serializers.DateTimeField(allow_null=True)
    reconnecting = serializers.BooleanField()
    hlsPath = serializers.CharField(
        required=False, help_text="Signed playlist path; re-read status before it expires"
    )
    hlsUrl = serializers.CharField(
        required=False,
        help_text="hlsPath on the media host that serves the camera now (docs/scaling.md): "
        "the same as hlsPath on one box; load this one",
    )
    hlsPathExpiresAt = serializers.DateTimeField(required=False)
    masterPath = serializers.CharField(
        required=False,
        help_text="Signed master playlist (the camera's picture and smaller renditions, "
        "hlsPath's expiry), when the camera has an adaptive ladder",
    )
    masterUrl = serializers.CharField(
        required=False, help_text="masterPath on the media host that serves the camera now"
    )
    expiresAt = serializers.DateTimeField(required=False, help_text="When the token expires")
    dvrPath = serializers.CharField(
        required=False,
        help_text="While live and recorded: the signed rewind playlist (dvr.m3u8, the last "
        "LIVE_DVR_SECONDS), same signature and expiry as hlsPath",
    )
    replayPath = serializers.CharField(
        required=False,
        help_text="While not running: the signed recording playlist of the last broadcast "
        "(/hls/<sig>/<exp>/<stream>/recording.m3u8) once ready; /media/sign signs it afresh",
    )
    replayPathExpiresAt = serializers.DateTimeField(required=False)


class CameraResponse(serializers.Serializer):
    id = serializers.CharField(help_text="The camera's id in URLs, e.g. main or tee-1")
    name = serializers.CharField()
    running = serializers.BooleanField()
    startedAt = serializers.DateTimeField(allow_null=True)
    source = serializers.CharField(help_text="The live broadcast's source, else the default")
    health = serializers.CharField(allow_null=True)


class TokenResponse(serializers.Serializer):
    token = serializers.CharField()
    expiresAt = serializers.DateTimeField()
    viewerUrl = serializers.CharField(
        help_text="The viewer page with the token: relative on the event routes (their "
        "original contract), absolute on the camera routes (on LIVE_PUBLIC_URL when set)"
    )


LINK_STATES = ["active", "expired", "revoked"]


class LinkResponse(serializers.Serializer):
    id = serializers.IntegerField()
    camera = serializers.CharField(
        allow_null=True, help_text="The camera's id for a camera link; null for an event link"
    )
    mintedBy = serializers.CharField()
    createdAt = serializers.DateTimeField()
    expiresAt = serializers.DateTimeField(help_text="When the link can no longer be opened")
    revokedAt = serializers.DateTimeField(allow_null=True)
    state = serializers.ChoiceField(choices=LINK_STATES, help_text="revoked wins over expired")
    watchingNow = serializers.IntegerField(help_text="Viewers watching through this link now")
    viewerUrl = serializers.CharField(
        allow_null=True,
        help_text="Always null: tokens are never stored (only a fingerprint, to revoke "
        "them), so a link's URL cannot be rebuilt; it is shown once, when minted",
    )


class LinkCreateRequest(TokenRequest):
    camera = serializers.SlugField(
        required=False,
        max_length=40,
        help_text="A camera's id for a link to that camera only; left out: every camera",
    )


class LinkCreateResponse(serializers.Serializer):
    id = serializers.IntegerField(help_text="The link's id (revoke it with it)")
    camera = serializers.CharField(
        allow_null=True, help_text="The camera's id for a camera link; null for an event link"
    )
    token = serializers.CharField()
    expiresAt = serializers.DateTimeField(help_text="When the link can no longer be opened")
    viewerUrl = serializers.CharField(
        help_text="The viewer page with the token, absolute (on LIVE_PUBLIC_URL when set); "
        "shown once: tokens are never stored"
    )


class LinksQuery(serializers.Serializer):
    camera = serializers.SlugField(
        required=False, max_length=40, help_text="Only the links for this camera"
    )


class AudienceResponse(serializers.Serializer):
    broadcastId = serializers.IntegerField(
        allow_null=True, help_text="The live broadcast, else the latest; null: never broadcast"
    )
    running = serializers.BooleanField()
    watchingNow = serializers.IntegerField(
        help_text="Viewers of the live broadcast heard from within LIVE_WATCHING_WINDOW_SECONDS"
    )
    uniqueViewers = serializers.IntegerField(help_text="Page views that played the broadcast")
    peakWatching = serializers.IntegerField(help_text="The most watching at once")


class SignResponse(serializers.Serializer):
    url = serializers.CharField(
        help_text="The signed path, under the base of the media host serving a live "
        "stream when there are several (docs/scaling.md)"
    )
    expiresAt = serializers.DateTimeField()


MESSAGES = {"type": "array", "items": {"type": "string"}}


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string"},
            MESSAGES,
            {"type": "object", "additionalProperties": MESSAGES},
        ],
        "description": "A message, or for `validation_error` messages keyed by field",
    }
)
class ErrorDetailField(serializers.JSONField):
    pass


class ErrorResponse(serializers.Serializer):
    error = serializers.CharField(
        help_text="A stable code: validation_error, parse_error, not_authenticated, "
        "authentication_failed, permission_denied, not_found, conflict, "
        "unsupported_media_type, throttled, source_unavailable, insufficient_storage"
    )
    detail = ErrorDetailField()
