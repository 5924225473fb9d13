from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from live.time_zones import default_time_zone, validate_time_zone


class Event(models.Model):
    id = models.SlugField(primary_key=True, max_length=64)
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    # The sites that may frame /events/<id>/embed (CSP frame-ancestors); none: nobody.
    embed_origins = models.JSONField(default=list, blank=True)
    # Where it happens (IANA name): the pages show every time in it and schedules are
    # typed in it; stored times and the API stay UTC (live/services/times.py).
    time_zone = models.CharField(
        max_length=64,
        default=default_time_zone,
        validators=[validate_time_zone],
        help_text="The IANA time zone the event happens in, e.g. Europe/London: the pages "
        "show times in it and schedules are entered in it.",
    )
    # Shots have a public page (Open Graph tags for message apps) without a viewer link.
    public_shots = models.BooleanField(
        default=False,
        help_text="Shots get a public page (no viewer link needed) with a preview for "
        "message apps.",
    )

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.name} ({self.id})"


class Source(models.TextChoices):
    MOCK = "mock", "Mock (looped test fixture)"
    LIVEKIT = "livekit", "LiveKit (WHIP ingest)"
    RTMP = "rtmp", "RTMP push (OBS, encoders)"
    SRT = "srt", "SRT push"
    RTSP = "rtsp", "RTSP pull (IP camera)"


class Health(models.TextChoices):
    WAITING = "waiting", "Waiting for the camera"
    RECEIVING = "receiving", "Receiving"
    STALLED = "stalled", "Stalled"


DEFAULT_CAMERA = "main"


class Camera(models.Model):
    """A tee's camera, set up once: its ingest credentials outlive every broadcast.

    ``ingest_name`` is the public, fixed RTMP stream name the encoder sends to;
    ``stream_key`` is the secret it proves itself with (RTMP key, SRT passphrase).
    Viewers never see either: each broadcast gets a new unguessable media path.
    """

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="cameras")
    slug = models.SlugField(max_length=40)
    name = models.CharField(max_length=100)
    position = models.PositiveIntegerField(default=0)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.MOCK)
    camera_url = models.CharField(max_length=500, blank=True)  # RTSP pull, credentials included
    ingest_name = models.SlugField(max_length=80, unique=True)
    stream_key = models.CharField(max_length=64)
    srt_port = models.PositiveIntegerField(null=True, blank=True, unique=True)
    key_rotated_at = models.DateTimeField(null=True, blank=True)
    # Opt-in: an RTMP publish with the right key starts the broadcast itself.
    auto_start = models.BooleanField(default=False)
    # The adaptive ladder (480p and 240p beside a larger picture, master.m3u8) for
    # camera sources; the mock's fixture is 240p and never gets one.
    ladder = models.BooleanField(default=True)
    # The last publish the ingest hook refused for this camera, for the host page.
    last_refused_at = models.DateTimeField(null=True, blank=True)
    last_refused_from = models.CharField(max_length=64, blank=True)
    last_refused_reason = models.CharField(max_length=200, blank=True)
    # Keep every broadcast's segments as a recording (replay, rewind, clips).
    record = models.BooleanField(default=True)
    # Opt-in: the packager listens to the recorded audio and makes a shot (source
    # "audio") at each strike louder than the threshold above the noise floor.
    auto_shots = models.BooleanField(default=False)
    auto_shots_threshold = models.FloatField(
        default=12.0,
        validators=[MinValueValidator(6.0), MaxValueValidator(40.0)],
        help_text="How far a strike must jump above the running noise floor, in dB "
        "(6 to 40; raise it where the tee box is loud).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "slug"], name="camera_slug_unique_in_event")
        ]

    def __str__(self):
        return f"{self.event_id}/{self.slug} ({self.name})"

    @property
    def is_default(self):
        return self.slug == DEFAULT_CAMERA


class Broadcast(models.Model):
    """One session of one camera; live while stopped_at is null."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="broadcasts")
    camera = models.ForeignKey(Camera, on_delete=models.CASCADE, related_name="broadcasts")
    source = models.CharField(max_length=16, choices=Source.choices)
    # The public name of the stream's media folder: /hls/<sig>/<exp>/<stream_name>/.
    stream_name = models.SlugField(max_length=80, unique=True)
    started_at = models.DateTimeField()
    started_by = models.CharField(max_length=150)
    stopped_at = models.DateTimeField(null=True, blank=True)
    stopped_by = models.CharField(max_length=150, blank=True)
    # Ingest, as it was at the start: the camera URL an RTSP pull reads
    # (credentials included) and the SRT listener port. The secret stays on the
    # camera (``ingest_secret``), so a rotation reaches a live broadcast at once.
    camera_url = models.CharField(max_length=500, blank=True)
    ingest_port = models.PositiveIntegerField(null=True, blank=True)
    # Written by the packager (or, for the mock, implied).
    health = models.CharField(max_length=16, choices=Health.choices, blank=True)
    last_segment_at = models.DateTimeField(null=True, blank=True)
    stalled_since = models.DateTimeField(null=True, blank=True)
    # The most viewers watching at once (live/services/audience.py); kept after the stop.
    peak_watching = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            # The database, not only Python, refuses a second live broadcast.
            models.UniqueConstraint(
                fields=["camera"],
                condition=Q(stopped_at__isnull=True),
                name="one_live_broadcast_per_camera",
            ),
            models.UniqueConstraint(
                fields=["ingest_port"],
                condition=Q(stopped_at__isnull=True, ingest_port__isnull=False),
                name="one_live_broadcast_per_ingest_port",
            ),
        ]

    def __str__(self):
        state = "live" if self.is_live else "ended"
        return f"{self.event_id} #{self.pk} ({self.source}, {state})"

    @property
    def is_live(self):
        return self.stopped_at is None

    @property
    def ingest_secret(self):
        """The camera's stream key: the RTMP key and the SRT passphrase."""
        return self.camera.stream_key


class PackagerLease(models.Model):
    """Which packager runs a broadcast's ffmpeg; a lapsed lease may be taken over."""

    broadcast = models.OneToOneField(
        Broadcast, on_delete=models.CASCADE, primary_key=True, related_name="lease"
    )
    owner = models.CharField(max_length=120)
    # The holder's LIVE_MEDIA_HOST_URL: where viewers fetch this broadcast's media.
    media_host = models.CharField(max_length=200, blank=True, default="")
    child_pid = models.IntegerField(null=True, blank=True)
    renewed_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    def __str__(self):
        return f"{self.broadcast_id} held by {self.owner}"


class RecordingState(models.TextChoices):
    RECORDING = "recording", "Recording"
    FINISHING = "finishing", "Finishing"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"
    DELETED = "deleted", "Deleted"


class Recording(models.Model):
    """A broadcast's kept segments and its ``recording.m3u8``, beside ``index.m3u8``.

    Ready only once ``#EXT-X-ENDLIST`` is written: a listed recording is never half-written.
    """

    broadcast = models.OneToOneField(Broadcast, on_delete=models.CASCADE, related_name="recording")
    state = models.CharField(
        max_length=16, choices=RecordingState.choices, default=RecordingState.RECORDING
    )
    bytes = models.BigIntegerField(default=0)
    duration_seconds = models.FloatField(default=0)
    started_at = models.DateTimeField()
    stopped_at = models.DateTimeField(null=True, blank=True)
    # Why recording stopped early or failed (low disk, nothing recorded), for staff.
    problem = models.CharField(max_length=200, blank=True)
    # Object storage (LIVE_RECORDINGS_STORAGE=s3): when every part, the ended playlist
    # and the last thumbnail were in the bucket, and why uploads fail now, for staff.
    stored_at = models.DateTimeField(null=True, blank=True)
    storage_problem = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self):
        return f"recording of {self.broadcast} ({self.state})"

    @property
    def stream_name(self):
        return self.broadcast.stream_name


class ClipState(models.TextChoices):
    PENDING = "pending", "Pending"
    CUTTING = "cutting", "Cutting"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class Clip(models.Model):
    """An MP4 cut (stream copy) from a recording or the rewind window of a live one."""

    camera = models.ForeignKey(Camera, on_delete=models.CASCADE, related_name="clips")
    recording = models.ForeignKey(Recording, on_delete=models.CASCADE, related_name="clips")
    # Its own public media folder: /hls/<sig>/<exp>/<stream_name>/clip.mp4.
    stream_name = models.SlugField(max_length=80, unique=True)
    start = models.DateTimeField()
    duration = models.FloatField()
    state = models.CharField(max_length=16, choices=ClipState.choices, default=ClipState.PENDING)
    bytes = models.BigIntegerField(default=0)
    error = models.CharField(max_length=200, blank=True)
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)
    ready_at = models.DateTimeField(null=True, blank=True)
    # When clip.mp4 was in the bucket (LIVE_RECORDINGS_STORAGE=s3).
    stored_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"clip {self.pk} of {self.camera} ({self.state})"


class ShotSource(models.TextChoices):
    MARSHAL = "marshal", "A marshal's tap"
    API = "api", "The API"
    AUDIO = "audio", "The sound of the strike"


class Shot(models.Model):
    """A tee shot: a moment on a camera (``at``, the strike), who hit it, and its clip.

    ``ready_at`` is set with its clip's ready state (live/services/shots.py): viewers
    see ready shots that are not hidden.
    """

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="shots")
    camera = models.ForeignKey(Camera, on_delete=models.CASCADE, related_name="shots")
    clip = models.OneToOneField(Clip, on_delete=models.CASCADE, related_name="shot")
    at = models.DateTimeField()
    player = models.CharField(max_length=100, blank=True)
    hole = models.PositiveSmallIntegerField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)
    source = models.CharField(max_length=16, choices=ShotSource.choices)
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    ready_at = models.DateTimeField(null=True, blank=True)
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(hole__isnull=True) | Q(hole__gte=1, hole__lte=99),
                name="shot_hole_1_to_99",
            )
        ]
        indexes = [
            models.Index(fields=["event", "-at"], name="shot_event_at_idx"),
            # The viewer page's poll: shots ready since its newest.
            models.Index(fields=["event", "ready_at"], name="shot_event_ready_idx"),
        ]

    def __str__(self):
        return f"shot {self.pk} on {self.camera} at {self.at:%H:%M:%S}"


class ViewerLink(models.Model):
    """A minted viewer link for an event (every camera) or one camera.

    It outlives stops and starts until it expires or is revoked. Only a
    fingerprint of its token is kept, for revocation.
    """

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="viewer_links")
    # Null: an event link, good for every camera of the event.
    camera = models.ForeignKey(
        Camera, on_delete=models.CASCADE, null=True, blank=True, related_name="viewer_links"
    )
    fingerprint = models.CharField(max_length=32, unique=True)
    minted_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        scope = self.camera.slug if self.camera_id else "all cameras"
        return f"link {self.fingerprint[:8]} on {self.event_id} ({scope})"


class Viewer(models.Model):
    """A page view whose player played a broadcast: one row per page and broadcast.

    Kept after the stop (unique viewers). ``last_seen_at`` is the page's last
    heartbeat while playing and visible (null once the page said it left): the
    viewer is watching now while it is within LIVE_WATCHING_WINDOW_SECONDS.
    """

    broadcast = models.ForeignKey(Broadcast, on_delete=models.CASCADE, related_name="viewers")
    viewer_id = models.CharField(max_length=64)
    link = models.ForeignKey(
        ViewerLink, on_delete=models.SET_NULL, null=True, blank=True, related_name="viewers"
    )
    user_agent = models.CharField(max_length=300, blank=True)
    joined_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["joined_at"]
        constraints = [
            models.UniqueConstraint(fields=["broadcast", "viewer_id"], name="one_join_per_viewer")
        ]
        indexes = [models.Index(fields=["broadcast", "last_seen_at"], name="viewer_seen_idx")]

    def __str__(self):
        return f"{self.viewer_id} on {self.broadcast}"


class BroadcastSample(models.Model):
    """One point of a broadcast's charts, written by the packager every LIVE_SAMPLE_SECONDS."""

    broadcast = models.ForeignKey(Broadcast, on_delete=models.CASCADE, related_name="samples")
    at = models.DateTimeField()
    watching = models.PositiveIntegerField()
    # Measured from the newest finished segment; null when not measured (no segment yet,
    # or a source whose segments are not on this disk).
    bitrate_kbps = models.FloatField(null=True, blank=True)
    fps = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["at"]
        indexes = [models.Index(fields=["broadcast", "at"], name="sample_broadcast_at_idx")]

    def __str__(self):
        return f"{self.broadcast_id} at {self.at:%H:%M:%S}: {self.watching} watching"


class ApiKey(models.Model):
    name = models.CharField(max_length=100)
    # The non-secret part of the key, used to find the row; the secret is only hashed.
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64)
    is_admin = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Set on the new key when a key is rotated.
    replaces = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The events this key may act on; none: every event.
    events = models.ManyToManyField(Event, blank=True, related_name="api_keys")

    class Meta:
        verbose_name = "API key"
        ordering = ["name"]
        constraints = [
            # The audit log names a key by name and prefix; two live keys never share a name.
            models.UniqueConstraint(
                fields=["name"],
                condition=Q(revoked_at__isnull=True),
                name="one_unrevoked_api_key_per_name",
            ),
            # Revocation is final: a revoked key can never be switched back on.
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True) | Q(is_active=False),
                name="revoked_api_keys_stay_inactive",
            ),
        ]

    def __str__(self):
        role = "admin" if self.is_admin else "client"
        return f"{self.name} ({role}, {self.prefix}…)"


class AuditEntry(models.Model):
    """A transition waiting to be, or already, appended to streams.jsonl.

    Written in the same transaction as the state change, so a transition that
    happened always has its line, even if the append fails the first time.
    """

    record = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    appended_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "audit entries"

    def __str__(self):
        return f"#{self.pk} {self.record.get('action')} {self.record.get('event')}"


class CameraSchedule(models.Model):
    """A camera's planned start and stop (a tee time); the scheduler fires each once.

    ``started_at``/``stopped_at`` are set, by a conditional update, when the
    scheduler fires them: two schedulers never fire the same one twice.
    """

    camera = models.OneToOneField(
        Camera, on_delete=models.CASCADE, primary_key=True, related_name="schedule"
    )
    start_at = models.DateTimeField()
    stop_at = models.DateTimeField()
    # Blank: the camera's default source.
    source = models.CharField(max_length=16, choices=Source.choices, blank=True)
    set_by = models.CharField(max_length=150, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    # The broadcast this schedule started: the only one its stop may end.
    broadcast = models.ForeignKey(
        "Broadcast", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The camera was already live at the start time: the schedule left it alone.
    already_live = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(stop_at__gt=models.F("start_at")), name="schedule_stops_after_start"
            )
        ]

    def __str__(self):
        return f"{self.camera} {self.start_at:%Y-%m-%d %H:%M}–{self.stop_at:%H:%M}"


class SimulcastTarget(models.Model):
    """An RTMP(S) destination a camera's live picture is pushed to (YouTube, Facebook…).

    The stream key is a secret: stored for the push, shown only by its last four
    characters. ``state``/``last_error`` are written by the packager running the push;
    ``pusher``/``pusher_expires_at`` are its lease, so two packagers never push twice.
    """

    camera = models.ForeignKey(Camera, on_delete=models.CASCADE, related_name="simulcast_targets")
    name = models.CharField(max_length=100)
    url = models.CharField(max_length=500)
    stream_key = models.CharField(max_length=200)
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=150, blank=True)
    state = models.CharField(max_length=16, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    state_since = models.DateTimeField(null=True, blank=True)
    pusher = models.CharField(max_length=120, blank=True)
    pusher_expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["camera", "id"]

    def __str__(self):
        return f"{self.camera} → {self.name}"

    @property
    def key_hint(self):
        return f"…{self.stream_key[-4:]}" if self.stream_key else ""


class WorkerKind(models.TextChoices):
    PACKAGER = "packager", "packager"
    WHIP = "whip", "WHIP ingest"
    SCHEDULER = "scheduler", "scheduler"
    WEBHOOKS = "webhooks", "webhook worker"


class WorkerHeartbeat(models.Model):
    """A long-running process's last sign of life (live/services/heartbeats.py)."""

    kind = models.CharField(max_length=16, choices=WorkerKind.choices)
    host = models.CharField(max_length=120)
    pid = models.IntegerField()
    started_at = models.DateTimeField()
    beat_at = models.DateTimeField()

    class Meta:
        ordering = ["kind", "host"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "host"], name="one_heartbeat_per_worker_host")
        ]

    def __str__(self):
        return f"{self.kind} on {self.host}"


# Integrations (issue 13): webhook endpoints, deliveries and attempts.
from live.webhook_models import WebhookAttempt, WebhookDelivery, WebhookEndpoint  # noqa: E402,F401
