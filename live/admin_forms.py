"""The admin's forms: each checks what its service checks, so bad input is a form error."""

from django import forms
from django.utils.html import format_html

from live.models import ApiKey, Camera, Event
from live.services.apikeys import name_taken
from live.services.cameras import SLUG_RE
from live.services.embeds import InvalidOrigin, clean_origins
from live.services.sources import InvalidCameraUrl, validate_camera_url
from live.time_zones import default_time_zone, time_zone_choices


class CameraAdminForm(forms.ModelForm):
    """The add form checks what ``create_camera`` checks, so a bad value is a form error."""

    class Meta:
        model = Camera
        fields = [
            "event", "slug", "name", "position", "source", "auto_start", "ladder", "record",
            "auto_shots", "auto_shots_threshold", "camera_url",
        ]  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Left empty (automatic shots off, or an older form): the model's default.
        if "auto_shots_threshold" in self.fields:
            self.fields["auto_shots_threshold"].required = False

    def clean_auto_shots_threshold(self):
        value = self.cleaned_data.get("auto_shots_threshold")
        if value is None:
            return Camera._meta.get_field("auto_shots_threshold").get_default()
        return value

    def clean_slug(self):
        slug = self.cleaned_data["slug"]
        if not SLUG_RE.match(slug):
            raise forms.ValidationError(
                "The camera id may hold only lower-case letters, digits and '-' "
                "(at most 40), e.g. tee-1.",
                code="invalid_slug",
            )
        return slug

    def clean_camera_url(self):
        url = self.cleaned_data.get("camera_url", "")
        if url:
            try:
                validate_camera_url(url)
            except InvalidCameraUrl as exc:
                raise forms.ValidationError(str(exc), code="invalid_camera_url")
        return url


class ApiKeyForm(forms.ModelForm):
    class Meta:
        model = ApiKey
        fields = ["name", "is_admin", "is_active", "events"]

    def clean_name(self):
        name = self.cleaned_data["name"]
        instance = self.instance
        if (instance.pk is None or instance.revoked_at is None) and name_taken(
            name, exclude_pk=instance.pk
        ):
            raise forms.ValidationError(
                "An active API key already has this name: pick another, or rotate or "
                "revoke that key.",
                code="duplicate_name",
            )
        return name


class EventAdminForm(forms.ModelForm):
    """``embed_origins`` as one origin per line, checked as the embed page's CSP needs."""

    embed_origins = forms.CharField(
        label="Embed origins",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "https://club.example.com"}),
    )
    time_zone = forms.ChoiceField(
        label="Time zone",
        choices=time_zone_choices,
        initial=default_time_zone,
        help_text=Event._meta.get_field("time_zone").help_text,
    )

    class Meta:
        model = Event
        fields = ["id", "name", "time_zone", "embed_origins", "public_shots"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance and self.instance.embed_origins:
            self.initial["embed_origins"] = "\n".join(self.instance.embed_origins)
        # The admin shows help text as HTML: the path is escaped, with the real id once
        # the event has one (a literal "<id>" would read "/events//embed").
        event_id = self.instance.pk if self.instance and self.instance.pk else "<id>"
        self.fields["embed_origins"].help_text = format_html(
            "Sites that may show the player in an iframe ({}), one origin per line "
            "(scheme, host, port). None: no site may frame it.",
            f"/events/{event_id}/embed",
        )

    def clean_embed_origins(self):
        try:
            return clean_origins(self.cleaned_data.get("embed_origins", ""))
        except InvalidOrigin as exc:
            raise forms.ValidationError(str(exc), code="invalid_origin")
