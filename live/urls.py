from django.urls import include, path

from live import views
from live.views import clips as clip_views
from live.views import shots as shot_views
from live.views.embed import embed
from live.views.schedule import host_schedule

app_name = "live"

# Grouped under their shared prefix; the viewer's poll is first of all, and flat.
viewer_routes = [
    path("shots", shot_views.viewer_shots, name="viewer-shots"),
    path("join", views.viewer_join, name="viewer-join"),
    path("heartbeat", views.viewer_heartbeat, name="viewer-heartbeat"),
    path("leave", views.viewer_leave, name="viewer-leave"),
]

host_routes = [
    path("status", views.host_status, name="host-status"),
    path("start", views.host_start, name="host-start"),
    path("stop", views.host_stop, name="host-stop"),
    path("rotate-key", views.host_rotate_key, name="host-rotate-key"),
    path("cameras", views.host_add_camera, name="host-add-camera"),
    path("cameras/edit", views.host_edit_camera, name="host-edit-camera"),
    path("cameras/move", views.host_move_camera, name="host-move-camera"),
    path("link", views.host_link, name="host-link"),
    path("clip", clip_views.host_clip, name="host-clip"),
    path("recording-mp4", clip_views.host_recording_mp4, name="host-recording-mp4"),
    path("shot", shot_views.host_shot, name="host-shot"),
    path("links", views.host_links, name="host-links"),
    path("links/<int:link_id>/revoke", views.host_revoke_link, name="host-revoke-link"),
    path("schedule", host_schedule, name="host-schedule"),
]

urlpatterns = [
    path("events/<slug:event_id>/live-view/state", views.viewer_state, name="viewer-state"),
    path("events/<slug:event_id>/live-view/", include(viewer_routes)),
    path("events/<slug:event_id>/live-view", views.viewer, name="viewer"),
    path("events/<slug:event_id>/live-host/", include(host_routes)),
    path("events/<slug:event_id>/live-host", views.host, name="host"),
    path("events/<slug:event_id>/embed", embed, name="embed"),
    path("", views.home, name="home"),
]
