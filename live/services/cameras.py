"""An event's cameras: set up once, each with ingest credentials that outlive its broadcasts."""

import re
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone

from live.models import DEFAULT_CAMERA, Broadcast, Camera, Event, Source
from live.services import telemetry
from live.services.media import STREAM_NAME_RE
from live.services.sources import (
    InvalidCameraUrl,
    assign_srt_port,
    facts_of,
    new_ingest_name,
    new_stream_key,
    validate_camera_url,
)

SLUG_RE = re.compile(r"\A[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?\Z")
MAX_NAME_LENGTH = 100


class UnknownCamera(LookupError):
    def __init__(self, event_id, slug):
        super().__init__(f"No camera {str(slug)[:40]!r} in event {str(event_id)[:64]!r}.")


class InvalidCamera(ValueError):
    """A camera field that cannot be used; ``field`` names it for the form or API."""

    def __init__(self, field, message):
        super().__init__(message)
        self.field = field


@receiver(post_save, sender=Event)
def _give_every_event_its_default_camera(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        Camera.objects.get_or_create(
            event=instance,
            slug=DEFAULT_CAMERA,
            defaults={
                "name": "Main camera",
                "ingest_name": new_ingest_name(instance.pk, DEFAULT_CAMERA),
                "stream_key": new_stream_key(),
            },
        )


def get_camera(event_id, slug):
    camera = None
    if isinstance(slug, str) and SLUG_RE.match(slug):
        camera = (
            Camera.objects.select_related("event").filter(event_id=event_id, slug=slug).first()
        )
    if camera is None:
        raise UnknownCamera(event_id, slug)
    return camera


def default_camera(event_id):
    return get_camera(event_id, DEFAULT_CAMERA)


def cameras_of(event_id):
    """[(camera, live broadcast or None)] in display order: two queries, any number of cameras.

    With its event (one join): pages show every time in the event's zone (times.py).
    """
    cameras = list(Camera.objects.filter(event_id=event_id).select_related("event"))
    live = {
        broadcast.camera_id: broadcast
        # With its lease (one join): where its media is served (media_hosts.py).
        for broadcast in Broadcast.objects.filter(
            event_id=event_id, stopped_at__isnull=True
        ).select_related("lease")
    }
    for camera in cameras:
        broadcast = live.get(camera.pk)
        if broadcast is not None:
            broadcast.camera = camera  # no extra query for broadcast.camera
        yield camera, broadcast


def _clean_name(name):
    name = (name or "").strip()
    if not name:
        raise InvalidCamera("name", "Give the camera a name, e.g. “1st tee”.")
    if len(name) > MAX_NAME_LENGTH or re.search(r"[\x00-\x1f\x7f]", name):
        raise InvalidCamera(
            "name",
            f"The name must be at most {MAX_NAME_LENGTH} characters, with no control "
            "characters.",
        )
    return name


def _clean_source(source):
    try:
        return Source(source)
    except ValueError:
        raise InvalidCamera("source", f"Unknown source; choose one of {', '.join(Source.values)}.")


def create_camera(event, slug, name, source=Source.MOCK, camera_url="", actor=""):
    if not isinstance(slug, str) or not SLUG_RE.match(slug):
        raise InvalidCamera(
            "slug",
            "The camera id may hold only lower-case letters, digits and '-' (at most 40), "
            "e.g. tee-1.",
        )
    name = _clean_name(name)
    source = _clean_source(source)
    if camera_url:
        try:
            validate_camera_url(camera_url)
        except InvalidCameraUrl as exc:
            raise InvalidCamera("cameraUrl", str(exc))
    try:
        with transaction.atomic():
            last = Camera.objects.filter(event=event).aggregate(Max("position"))["position__max"]
            camera = Camera.objects.create(
                event=event,
                slug=slug,
                name=name,
                source=source,
                camera_url=camera_url,
                position=0 if last is None else last + 1,
                ingest_name=new_ingest_name(event.pk, slug),
                stream_key=new_stream_key(),
            )
    except IntegrityError:
        raise InvalidCamera("slug", f"The event already has a camera {slug!r}.")
    if facts_of(source).srt_port:
        assign_srt_port(camera)
    telemetry.emit("live.camera_created", eventId=event.pk, camera=slug, actor=actor)
    return camera


AUTO_SHOTS_THRESHOLD_RANGE = (6.0, 40.0)  # dB above the noise floor


def clean_auto_shots_threshold(value):
    """A strike threshold in dB (6–40) as a float; InvalidCamera naming it otherwise."""
    low, high = AUTO_SHOTS_THRESHOLD_RANGE
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = None
    if isinstance(value, bool) or number is None or not low <= number <= high:
        raise InvalidCamera(
            "auto_shots_threshold", f"Give a number of dB from {low:g} to {high:g}."
        )
    return number


def update_camera(
    camera,
    name=None,
    source=None,
    camera_url=None,
    auto_start=None,
    auto_shots=None,
    auto_shots_threshold=None,
):
    fields = []
    if name is not None:
        camera.name = _clean_name(name)
        fields.append("name")
    if source is not None:
        camera.source = _clean_source(source)
        fields.append("source")
    if camera_url is not None:
        if camera_url:
            try:
                validate_camera_url(camera_url)
            except InvalidCameraUrl as exc:
                raise InvalidCamera("cameraUrl", str(exc))
        camera.camera_url = camera_url
        fields.append("camera_url")
    if auto_start is not None:
        camera.auto_start = bool(auto_start)
        fields.append("auto_start")
    if auto_shots_threshold is not None:
        camera.auto_shots_threshold = clean_auto_shots_threshold(auto_shots_threshold)
        fields.append("auto_shots_threshold")
    if auto_shots is not None:
        camera.auto_shots = bool(auto_shots)
        fields.append("auto_shots")
    if fields:
        camera.save(update_fields=fields)
    if facts_of(camera.source).srt_port:
        assign_srt_port(camera)
    return camera


def move_camera(camera, step):
    """Swaps the camera with its neighbour before (step -1) or after (+1) it."""
    with transaction.atomic():
        siblings = list(Camera.objects.select_for_update().filter(event_id=camera.event_id))
        index = next(i for i, other in enumerate(siblings) if other.pk == camera.pk)
        target = index + (1 if step > 0 else -1)
        if not 0 <= target < len(siblings):
            return False
        siblings[index], siblings[target] = siblings[target], siblings[index]
        for position, other in enumerate(siblings):
            if other.position != position:
                Camera.objects.filter(pk=other.pk).update(position=position)
    return True


def rotate_stream_key(camera, actor):
    """A new stream key; the old one is refused from the next publish or hook call on."""
    camera.stream_key = new_stream_key()
    camera.key_rotated_at = timezone.now()
    camera.save(update_fields=["stream_key", "key_rotated_at"])
    telemetry.emit(
        "live.stream_key_rotated", eventId=camera.event_id, camera=camera.slug, actor=actor
    )
    return camera


def note_refused_publish(ingest_name, address, reason):
    """Keep a camera's last refused publish (RTMP or WHIP) for the host page: when,
    from where, why. A name that is no camera's changes nothing."""
    if isinstance(ingest_name, str) and STREAM_NAME_RE.match(ingest_name):
        Camera.objects.filter(ingest_name=ingest_name).update(
            last_refused_at=timezone.now(),
            last_refused_from=str(address)[:64],
            last_refused_reason=reason,
        )


@dataclass(frozen=True)
class Refusal:
    """A camera's last refused publish, and what the operator can do about it."""

    at: datetime
    address: str
    reason: str

    @property
    def advice(self):
        if "stream key" in self.reason:
            return "Check the stream key in the encoder (Encoder setup shows it)."
        if "not started" in self.reason:
            return "Start the camera: the encoder's next try then goes through."
        return ""


def last_refusal(camera):
    if camera.last_refused_at is None:
        return None
    return Refusal(
        camera.last_refused_at,
        camera.last_refused_from or "an unknown address",
        camera.last_refused_reason,
    )
