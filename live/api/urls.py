from django.urls import path

from live.api import views

urlpatterns = [
    path("events/<slug:event_id>/live/start", views.StartView.as_view(), name="start"),
    path("events/<slug:event_id>/live/stop", views.StopView.as_view(), name="stop"),
    path("events/<slug:event_id>/live/token", views.TokenView.as_view(), name="token"),
    path("events/<slug:event_id>/live/status", views.StatusView.as_view(), name="status"),
    path("media/sign", views.MediaSignView.as_view(), name="media-sign"),
]
