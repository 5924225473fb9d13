"""Shots: a moment on a camera (the strike), who hit it and where, and its clip.

``record_shot`` is the one way a shot is made, whatever told us of it (a
marshal's tap, the API, the audio detector): it checks the input, finds the
recording that holds ``at`` and saves the shot with a pending clip from
``at − LIVE_SHOT_PRE_SECONDS`` to ``at + LIVE_SHOT_POST_SECONDS``. The clip
cutter (live/workers/clip_cutter.py) cuts it as soon as the recording holds
its end, makes ``thumb.jpg`` at the strike beside ``clip.mp4``, and calls
``clip_ready`` in the transaction that marks the clip ready: the shot becomes
visible to viewers and ``shot.ready`` is queued for webhooks.
"""

import re
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from live.models import Recording, RecordingState, Shot, ShotSource
from live.services.clips import EDGE_SLACK_SECONDS, new_clip, pieces_of
from live.services.recordings import PLAYABLE
from live.services.webhooks import emit_webhook

PLAYER_MAX = 100
NOTE_MAX = 300
HOLE_RANGE = (1, 99)
# A shot may be told a little ahead of the server's clock (a phone's clock, the
# network): up to this much after now counts as now.
FUTURE_SLACK_SECONDS = 2
# One strike, told twice: the audio listener keeps no second shot within this of any
# shot, and a tap or an API call this near an audio shot names that shot.
MERGE_SECONDS = 3.0
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class ShotError(ValueError):
    """A shot that cannot be made or changed; ``field`` names the input at fault."""

    def __init__(self, field, message):
        super().__init__(message)
        self.field = field


def clean_player(value):
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ShotError("player", "Must be text.")
    value = " ".join(value.split())
    if len(value) > PLAYER_MAX:
        raise ShotError("player", f"At most {PLAYER_MAX} characters.")
    if _CONTROL.search(value):
        raise ShotError("player", "Must not hold control characters.")
    return value


def clean_note(value):
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ShotError("note", "Must be text.")
    value = value.strip()
    if len(value) > NOTE_MAX:
        raise ShotError("note", f"At most {NOTE_MAX} characters.")
    if _CONTROL.sub("", value.replace("\n", "")) != value.replace("\n", ""):
        raise ShotError("note", "Must not hold control characters.")
    return value


def clean_hole(value):
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ShotError("hole", "Must be a whole number from 1 to 99.")
    if isinstance(value, str):
        if not value.strip().isdigit() or len(value.strip()) > 2:
            raise ShotError("hole", "Must be a whole number from 1 to 99.")
        value = int(value.strip())
    if not HOLE_RANGE[0] <= value <= HOLE_RANGE[1]:
        raise ShotError("hole", "Must be a whole number from 1 to 99.")
    return value


def recording_at(camera, at):
    """The camera's playable recording that was running at ``at``, or None."""
    return (
        Recording.objects.filter(broadcast__camera=camera, state__in=PLAYABLE)
        .filter(started_at__lte=at + timedelta(seconds=EDGE_SLACK_SECONDS))
        .filter(Q(stopped_at__isnull=True) | Q(stopped_at__gte=at))
        .select_related("broadcast")
        .order_by("-started_at")
        .first()
    )


def clip_range(recording, at, now):
    """(start, duration) of a shot's clip at ``at`` in ``recording``; ShotError naming
    ``at`` when the recording does not hold that moment."""
    pieces = pieces_of(recording)
    slack = timedelta(seconds=EDGE_SLACK_SECONDS)
    live = recording.state == RecordingState.RECORDING and recording.broadcast.is_live
    first = pieces[0].start if pieces else recording.started_at
    last = now + timedelta(seconds=FUTURE_SLACK_SECONDS) if live else None
    if not live:
        if not pieces:
            raise ShotError("at", "No recording of this camera covers that time.")
        last = pieces[-1].end
    if at < first - slack or at > last + (slack if not live else timedelta(0)):
        raise ShotError(
            "at",
            f"No recording of this camera covers that time (it runs from {first.isoformat()}"
            + (" and is recording)." if live else f" to {last.isoformat()})."),
        )
    start = max(at - timedelta(seconds=settings.LIVE_SHOT_PRE_SECONDS), first)
    end = at + timedelta(seconds=settings.LIVE_SHOT_POST_SECONDS)
    if not live:
        end = min(end, last)
    return start, max((end - start).total_seconds(), 0.1)


def record_shot(camera, at, *, source, player="", hole=None, note="", actor="") -> Shot:
    """A new shot of ``camera`` at ``at`` with its pending clip; ShotError otherwise.

    A marshal's tap or an API call within MERGE_SECONDS of a visible shot the
    microphone already made is that strike: the audio shot (whose time is the sound
    itself) is returned, with the player, hole and note it was told.
    """
    if source not in ShotSource.values:
        raise ShotError("source", f"Must be one of {', '.join(ShotSource.values)}.")
    if not isinstance(at, datetime) or timezone.is_naive(at):
        raise ShotError("at", "Must be a date and time with its offset (ISO 8601).")
    player, hole, note = clean_player(player), clean_hole(hole), clean_note(note)
    if source != ShotSource.AUDIO:
        heard = _heard_shot(camera, at, player=player, hole=hole, note=note)
        if heard is not None:
            return heard
    now = timezone.now()
    recording = recording_at(camera, at)
    if recording is None:
        raise ShotError("at", "No recording of this camera covers that time.")
    start, duration = clip_range(recording, at, now)
    with transaction.atomic():
        clip = new_clip(camera, recording, start, duration, actor or f"shot:{source}")
        return Shot.objects.create(
            event_id=camera.event_id,
            camera=camera,
            clip=clip,
            at=at,
            player=player,
            hole=hole,
            note=note,
            source=source,
            created_by=actor or source,
        )


def _heard_shot(camera, at, **told):
    """The visible audio shot nearest ``at`` within MERGE_SECONDS, named with what was
    told (blank values leave its own), or None."""
    merge = timedelta(seconds=MERGE_SECONDS)
    with transaction.atomic():
        near = list(
            Shot.objects.select_for_update().filter(
                camera=camera,
                source=ShotSource.AUDIO,
                hidden_at__isnull=True,
                at__range=(at - merge, at + merge),
            )
        )
        if not near:
            return None
        shot = min(near, key=lambda candidate: abs(candidate.at - at))
        update_shot(shot, {name: value for name, value in told.items() if value})
    return shot


def update_shot(shot, changes):
    """Names the player or hole (or note) afterwards; ``changes`` holds only what changes."""
    fields = []
    if "player" in changes:
        shot.player = clean_player(changes["player"])
        fields.append("player")
    if "hole" in changes:
        shot.hole = clean_hole(changes["hole"])
        fields.append("hole")
    if "note" in changes:
        shot.note = clean_note(changes["note"])
        fields.append("note")
    if fields:
        shot.save(update_fields=fields + ["updated_at"])
    return shot


def hide_shot(shot, actor):
    """Hidden from every list and page; its clip stays (the record)."""
    if shot.hidden_at is None:
        shot.hidden_at, shot.hidden_by = timezone.now(), actor[:150]
        shot.save(update_fields=["hidden_at", "hidden_by", "updated_at"])
    return shot


def clip_ready(clip, now):
    """From the clip cutter, in the transaction that marks ``clip`` ready: its shot (if
    it is one) shows, and ``shot.ready`` is queued."""
    shot = Shot.objects.filter(clip=clip).select_related("camera").first()
    if shot is None:
        return None
    Shot.objects.filter(pk=shot.pk).update(ready_at=now, updated_at=now)
    emit_webhook(
        "shot.ready",
        shot.event_id,
        {
            "shotId": shot.pk,
            "camera": shot.camera.slug,
            "at": shot.at.isoformat(),
            "player": shot.player,
            "hole": shot.hole,
            "note": shot.note,
            "source": shot.source,
            "clipId": clip.pk,
        },
    )
    return shot


def strike_of(clip):
    """Where a shot's strike is in its clip (seconds from the clip's start), or None."""
    at = Shot.objects.filter(clip=clip).values_list("at", flat=True).first()
    if at is None:
        return None
    return min(max((at - clip.start).total_seconds(), 0.0), clip.duration)


def visible_shots(event_id):
    """The event's shots a viewer may see: ready and not hidden, newest first."""
    return (
        Shot.objects.filter(event_id=event_id, hidden_at__isnull=True, ready_at__isnull=False)
        .select_related("camera", "clip")
        .order_by("-at", "-pk")
    )


def shots_of(event_id):
    """The event's shots the API lists (pending ones too), newest first."""
    return (
        Shot.objects.filter(event_id=event_id, hidden_at__isnull=True)
        .select_related("camera", "clip")
        .order_by("-at", "-pk")
    )
