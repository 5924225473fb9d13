from django.urls import path

from live.api import audience_views, integrations, recording_views, shot_views, views

# The event routes act on the event's default camera ("main"), as they always did;
# the camera routes beside them act on the camera they name.
urlpatterns = [
    path("events/<slug:event_id>/live/start", views.StartView.as_view(), name="start"),
    path("events/<slug:event_id>/live/stop", views.StopView.as_view(), name="stop"),
    path("events/<slug:event_id>/live/token", views.TokenView.as_view(), name="token"),
    path("events/<slug:event_id>/live/status", views.StatusView.as_view(), name="status"),
    path("events/<slug:event_id>/cameras", views.CameraListView.as_view(), name="cameras"),
    path(
        "events/<slug:event_id>/cameras/<slug:camera>/live/start",
        views.StartView.as_view(),
        name="camera-start",
    ),
    path(
        "events/<slug:event_id>/cameras/<slug:camera>/live/stop",
        views.StopView.as_view(),
        name="camera-stop",
    ),
    path(
        "events/<slug:event_id>/cameras/<slug:camera>/live/token",
        views.TokenView.as_view(),
        name="camera-token",
    ),
    path(
        "events/<slug:event_id>/cameras/<slug:camera>/live/status",
        views.StatusView.as_view(),
        name="camera-status",
    ),
    path("events/<slug:event_id>/links", audience_views.LinkListView.as_view(), name="links"),
    path(
        "events/<slug:event_id>/links/<int:link_id>/revoke",
        audience_views.RevokeLinkView.as_view(),
        name="link-revoke",
    ),
    path(
        "events/<slug:event_id>/cameras/<slug:camera>/audience",
        audience_views.CameraAudienceView.as_view(),
        name="camera-audience",
    ),
    path("media/sign", views.MediaSignView.as_view(), name="media-sign"),
    path(
        "events/<slug:event_id>/cameras/<slug:camera>/schedule",
        integrations.ScheduleView.as_view(),
        name="camera-schedule",
    ),
    path(
        "events/<slug:event_id>/cameras/<slug:camera>/simulcast",
        integrations.SimulcastListView.as_view(),
        name="camera-simulcast",
    ),
    path(
        "events/<slug:event_id>/cameras/<slug:camera>/simulcast/<int:target_id>",
        integrations.SimulcastTargetView.as_view(),
        name="camera-simulcast-target",
    ),
    path(
        "events/<slug:event_id>/recordings",
        recording_views.RecordingListView.as_view(),
        name="recordings",
    ),
    path(
        "events/<slug:event_id>/recordings/<str:recording_id>",
        recording_views.RecordingDeleteView.as_view(),
        name="recording",
    ),
    path(
        "events/<slug:event_id>/cameras/<slug:camera>/clips",
        recording_views.ClipCreateView.as_view(),
        name="camera-clips",
    ),
    path(
        "events/<slug:event_id>/clips/<str:clip_id>",
        recording_views.ClipDetailView.as_view(),
        name="clip",
    ),
    path(
        "events/<slug:event_id>/cameras/<slug:camera>/shots",
        shot_views.ShotCreateView.as_view(),
        name="camera-shots",
    ),
    path("events/<slug:event_id>/shots", shot_views.ShotListView.as_view(), name="shots"),
    # /events/<id>/shots/<shot> is in teecam/urls.py: a shot's page shares its path.
]
