from django.urls import path

from live.api import recording_views, views

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
    path("media/sign", views.MediaSignView.as_view(), name="media-sign"),
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
]
