from django import forms

from live.services.sources import MAX_CAMERA_URL_LENGTH, offered_sources

LINK_LIFETIMES = [
    (900, "15 minutes"),
    (3600, "1 hour"),
    (14400, "4 hours"),
    (86400, "24 hours"),
]


class StartForm(forms.Form):
    source = forms.ChoiceField(label="Source")
    camera_url = forms.CharField(
        label="Camera URL (RTSP source only)",
        required=False,
        max_length=MAX_CAMERA_URL_LENGTH,
        strip=False,
        widget=forms.TextInput(attrs={"placeholder": "rtsp://user:password@camera.local/stream"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = offered_sources()


class StopForm(forms.Form):
    confirm = forms.BooleanField(
        label="Yes, end the broadcast for every viewer",
        error_messages={"required": "Tick the box to confirm that the broadcast should end."},
    )


class ViewerLinkForm(forms.Form):
    ttl = forms.TypedChoiceField(
        label="Link valid for", choices=LINK_LIFETIMES, coerce=int, initial=900
    )


class JoinForm(forms.Form):
    token = forms.CharField(max_length=200)
    viewer = forms.RegexField(regex=r"\A[A-Za-z0-9-]{8,64}\Z", max_length=64)
