from django.urls import include, path

from live.api import audience_views, integrations, recording_views, shot_views, views

# The event routes act on the event's default camera ("main"), as they always did;
# the camera routes beside them act on the camera they name. Grouped under their shared
# prefixes; status, polled by every viewer, is in teecam/urls.py, tried first.
event_live_routes = [
    path("start", views.StartView.as_view(), name="start"),
    path("stop", views.StopView.as_view(), name="stop"),
    path("token", views.TokenView.as_view(), name="token"),
]

camera_routes = [
    path("live/start", views.StartView.as_view(), name="camera-start"),
    path("live/stop", views.StopView.as_view(), name="camera-stop"),
    path("live/token", views.TokenView.as_view(), name="camera-token"),
    path("audience", audience_views.CameraAudienceView.as_view(), name="camera-audience"),
    path("schedule", integrations.ScheduleView.as_view(), name="camera-schedule"),
    path("simulcast", integrations.SimulcastListView.as_view(), name="camera-simulcast"),
    path(
        "simulcast/<int:target_id>",
        integrations.SimulcastTargetView.as_view(),
        name="camera-simulcast-target",
    ),
    path("clips", recording_views.ClipCreateView.as_view(), name="camera-clips"),
    path("shots", shot_views.ShotCreateView.as_view(), name="camera-shots"),
]

urlpatterns = [
    path("events/<slug:event_id>/live/", include(event_live_routes)),
    path("media/sign", views.MediaSignView.as_view(), name="media-sign"),
    path("events/<slug:event_id>/cameras/<slug:camera>/", include(camera_routes)),
    path("events/<slug:event_id>/cameras", views.CameraListView.as_view(), name="cameras"),
    path("events/<slug:event_id>/links", audience_views.LinkListView.as_view(), name="links"),
    path(
        "events/<slug:event_id>/links/<int:link_id>/revoke",
        audience_views.RevokeLinkView.as_view(),
        name="link-revoke",
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
        "events/<slug:event_id>/clips/<str:clip_id>",
        recording_views.ClipDetailView.as_view(),
        name="clip",
    ),
    path("events/<slug:event_id>/shots", shot_views.ShotListView.as_view(), name="shots"),
    # /events/<id>/shots/<shot> is in teecam/urls.py: a shot's page shares its path.
]
