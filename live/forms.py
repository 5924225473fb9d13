from django import forms

from live.models import DEFAULT_CAMERA
from live.services.cameras import AUTO_SHOTS_THRESHOLD_RANGE, MAX_NAME_LENGTH
from live.services.sources import MAX_CAMERA_URL_LENGTH, offered_sources

LINK_LIFETIMES = [
    (900, "15 minutes"),
    (3600, "1 hour"),
    (14400, "4 hours"),
    (86400, "24 hours"),
]
CAMERA_SLUG = r"\A[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?\Z"


class CameraField(forms.RegexField):
    """Which camera a host form acts on; the default camera when left out."""

    def __init__(self, **kwargs):
        super().__init__(
            regex=CAMERA_SLUG,
            max_length=40,
            required=False,
            widget=forms.HiddenInput,
            error_messages={"invalid": "No such camera."},
            **kwargs,
        )

    def clean(self, value):
        return super().clean(value) or DEFAULT_CAMERA


class StartForm(forms.Form):
    camera = CameraField()
    source = forms.ChoiceField(label="Source")
    camera_url = forms.CharField(
        label="Camera URL (RTSP)",
        required=False,
        max_length=MAX_CAMERA_URL_LENGTH,
        strip=False,
        widget=forms.TextInput(attrs={"placeholder": "rtsp://user:password@camera.local/stream"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = offered_sources()


class StopForm(forms.Form):
    camera = CameraField()
    confirm = forms.BooleanField(
        label="Yes, end this camera's broadcast for every viewer",
        error_messages={"required": "Tick the box to confirm that the broadcast should end."},
    )


class RotateKeyForm(forms.Form):
    camera = CameraField()
    confirm = forms.BooleanField(
        label="Yes, the encoder will need the new key",
        error_messages={"required": "Tick the box to confirm: the old key stops working at once."},
    )


class CameraForm(forms.Form):
    slug = forms.RegexField(
        label="Camera id (in URLs)",
        regex=CAMERA_SLUG,
        max_length=40,
        error_messages={
            "invalid": "Use lower-case letters, digits and '-' only, e.g. tee-1.",
            "required": "Give the camera an id, e.g. tee-1.",
        },
    )
    name = forms.CharField(
        label="Name", max_length=MAX_NAME_LENGTH, error_messages={"required": "Give it a name."}
    )
    source = forms.ChoiceField(label="Default source", choices=offered_sources)


class CameraEditForm(forms.Form):
    camera = CameraField()
    name = forms.CharField(
        label="Name", max_length=MAX_NAME_LENGTH, error_messages={"required": "Give it a name."}
    )
    source = forms.ChoiceField(label="Default source", choices=offered_sources)
    camera_url = forms.CharField(
        label="Camera URL (RTSP)", required=False, max_length=MAX_CAMERA_URL_LENGTH, strip=False
    )
    auto_start = forms.BooleanField(
        label="Go live when the camera connects (RTMP)", required=False
    )
    auto_shots = forms.BooleanField(
        label="Make a shot at each strike heard (automatic shots)", required=False
    )
    auto_shots_threshold = forms.FloatField(
        label="Strike threshold (dB above the noise floor)",
        required=False,
        min_value=AUTO_SHOTS_THRESHOLD_RANGE[0],
        max_value=AUTO_SHOTS_THRESHOLD_RANGE[1],
        error_messages={"invalid": "Give a number of dB from 6 to 40."},
    )


class MoveCameraForm(forms.Form):
    camera = CameraField()
    step = forms.TypedChoiceField(choices=[("-1", "up"), ("1", "down")], coerce=int)


class ViewerLinkForm(forms.Form):
    scope = forms.ChoiceField(label="Link for", required=False)
    ttl = forms.TypedChoiceField(
        label="Can be opened for", choices=LINK_LIFETIMES, coerce=int, initial=900
    )

    def __init__(self, *args, cameras=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scope"].choices = [("", "Every camera of the event")] + [
            (camera.slug, camera.name) for camera in cameras
        ]


class JoinForm(forms.Form):
    token = forms.CharField(max_length=200)
    viewer = forms.RegexField(regex=r"\A[A-Za-z0-9-]{8,64}\Z", max_length=64)
    camera = forms.RegexField(regex=CAMERA_SLUG, max_length=40, required=False)


class ScheduleForm(forms.Form):
    camera = CameraField()
    start_at = forms.DateTimeField(
        label="Start at",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    stop_at = forms.DateTimeField(
        label="Stop at",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    source = forms.ChoiceField(
        label="Source",
        required=False,
        choices=lambda: [("", "The camera's default")] + offered_sources(),
    )
    action = forms.ChoiceField(choices=[("save", "save"), ("clear", "clear")], required=False)

    def clean(self):
        data = super().clean()
        if data.get("action") != "clear":
            for name in ("start_at", "stop_at"):
                if not data.get(name) and name not in self.errors:
                    self.add_error(name, "Give a date and time.")
        return data
