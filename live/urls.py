from django.urls import path

from live import views
from live.views import clips as clip_views
from live.views import shots as shot_views
from live.views.embed import embed
from live.views.schedule import host_schedule

app_name = "live"

urlpatterns = [
    path("", views.home, name="home"),
    path("events/<slug:event_id>/live-host", views.host, name="host"),
    path("events/<slug:event_id>/live-host/status", views.host_status, name="host-status"),
    path("events/<slug:event_id>/live-host/start", views.host_start, name="host-start"),
    path("events/<slug:event_id>/live-host/stop", views.host_stop, name="host-stop"),
    path(
        "events/<slug:event_id>/live-host/rotate-key",
        views.host_rotate_key,
        name="host-rotate-key",
    ),
    path(
        "events/<slug:event_id>/live-host/cameras", views.host_add_camera, name="host-add-camera"
    ),
    path(
        "events/<slug:event_id>/live-host/cameras/edit",
        views.host_edit_camera,
        name="host-edit-camera",
    ),
    path(
        "events/<slug:event_id>/live-host/cameras/move",
        views.host_move_camera,
        name="host-move-camera",
    ),
    path("events/<slug:event_id>/live-host/link", views.host_link, name="host-link"),
    path("events/<slug:event_id>/live-host/clip", clip_views.host_clip, name="host-clip"),
    path("events/<slug:event_id>/live-host/shot", shot_views.host_shot, name="host-shot"),
    path("events/<slug:event_id>/live-host/links", views.host_links, name="host-links"),
    path(
        "events/<slug:event_id>/live-host/links/<int:link_id>/revoke",
        views.host_revoke_link,
        name="host-revoke-link",
    ),
    path("events/<slug:event_id>/live-host/schedule", host_schedule, name="host-schedule"),
    path("events/<slug:event_id>/embed", embed, name="embed"),
    path("events/<slug:event_id>/live-view", views.viewer, name="viewer"),
    path("events/<slug:event_id>/live-view/state", views.viewer_state, name="viewer-state"),
    path("events/<slug:event_id>/live-view/shots", shot_views.viewer_shots, name="viewer-shots"),
    path("events/<slug:event_id>/live-view/join", views.viewer_join, name="viewer-join"),
    path(
        "events/<slug:event_id>/live-view/heartbeat",
        views.viewer_heartbeat,
        name="viewer-heartbeat",
    ),
    path("events/<slug:event_id>/live-view/leave", views.viewer_leave, name="viewer-leave"),
]
