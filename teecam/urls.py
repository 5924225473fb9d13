from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import JsonResponse
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from live.api.views import StatusView
from live.routes import shot_route
from live.views import ingest as ingest_views
from live.login_throttle import (
    ThrottledAdminAuthenticationForm,
    ThrottledAuthenticationForm,
    with_lockout_status,
)
from live.views.health import healthz
from live.views.media import signed_media
from live.views.metrics import metrics_view

admin.site.login_form = ThrottledAdminAuthenticationForm

urlpatterns = [
    # The polled routes come first and flat: Django tries routes in order, and each
    # include it passes through costs a resolver level (docs/performance.md).
    path("events/<slug:event_id>/live/status", StatusView.as_view(), name="status"),
    path(
        "events/<slug:event_id>/cameras/<slug:camera>/live/status",
        StatusView.as_view(),
        name="camera-status",
    ),
    # The viewer's poll is the first of these.
    path("", include("live.urls")),
    path("", include("live.api.urls")),
    # Before admin.site.urls: the same view, answering 429 while locked out.
    path("admin/login/", with_lockout_status(admin.site.login)),
    path("admin/", admin.site.urls),
    path(
        "accounts/login/",
        with_lockout_status(
            auth_views.LoginView.as_view(authentication_form=ThrottledAuthenticationForm)
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file: no inline script, no CDN.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    re_path(
        r"^hls/(?P<signature>[^/]+)/(?P<expires>[^/]+)/(?P<rest>.+)$",
        signed_media,
        name="signed-media",
    ),
    path("ingest/rtmp/publish", ingest_views.rtmp_publish, name="rtmp-publish"),
    path("ingest/rtmp/publish-done", ingest_views.rtmp_publish_done, name="rtmp-publish-done"),
    path("metrics", metrics_view, name="metrics"),
    path("healthz", healthz, name="healthz"),
    # A shot's path: its page for a shared link, else the API's JSON (live/routes.py).
    path("events/<slug:event_id>/shots/<str:shot_id>", shot_route, name="shot"),
]


def bench_bare(request):
    """The floor our endpoints are compared with in bench/ (same server, same middleware)."""
    return JsonResponse({"ok": True})


if settings.LIVE_BENCH_BARE_VIEW:
    urlpatterns.insert(0, path("bench/bare", bench_bare, name="bench-bare"))

handler400 = "live.views.errors.bad_request"
handler403 = "live.views.errors.permission_denied"
handler404 = "live.views.errors.page_not_found"
handler500 = "live.views.errors.server_error"
