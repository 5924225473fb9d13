"""The HTTP edge shared by pages and the API: what a request means to the services.

Services take plain values (an actor string, an address, ids), never a request;
this module turns a request into those values and shapes common answers.
"""

from django.conf import settings
from django.http import JsonResponse
from django.urls import reverse
from django.utils.cache import patch_cache_control

from live.models import ApiKey
from live.services.rate_limits import client_address_of


def actor_of(request):
    """Who did it, for the audit log: ``key:<name>#<prefix>`` or ``staff:<username>``.

    Key names are not unique over time (a rotated key's successor keeps the name),
    the prefix is: together they name one key and still read well.
    """
    key = getattr(request, "auth", None)  # only DRF requests carry one
    if isinstance(key, ApiKey):
        return f"key:{key.name}#{key.prefix}"
    return f"staff:{request.user.get_username()}"


def client_address(request):
    """From where: see ``rate_limits.client_address_of`` (trusted proxies only)."""
    return client_address_of(
        request.META.get("REMOTE_ADDR", ""), request.META.get("HTTP_X_FORWARDED_FOR", "")
    )


def json_error(status_code, code, detail):
    """The one error shape: ``{"error": "<code>", "detail": ...}``."""
    return JsonResponse({"error": code, "detail": detail}, status=status_code)


def no_store(response):
    """Pages showing tokens or signed URLs must not be cached."""
    patch_cache_control(response, no_store=True, private=True)
    return response


def token_in_url(response):
    """The viewer page's URL carries its token: keep it out of caches and Referer.

    Not for the host page: with no-referrer, Chromium sends ``Origin: null`` on
    form posts, which Django's CSRF check rightly refuses. The viewer page is
    the one page that may be framed, by the sites in LIVE_VIEWER_FRAME_ANCESTORS.
    """
    response["Referrer-Policy"] = "no-referrer"
    if settings.LIVE_VIEWER_FRAME_ANCESTORS:
        response._csp_replace = {"frame-ancestors": settings.LIVE_VIEWER_FRAME_ANCESTORS}
        response.xframe_options_exempt = True
    return no_store(response)


def viewer_path(event_id, token, camera_slug=None):
    path = f"{reverse('live:viewer', args=[event_id])}?token={token}"
    return f"{path}&camera={camera_slug}" if camera_slug else path


def absolute_url(request, path):
    """``path`` on the site's public origin: LIVE_PUBLIC_URL, else the request's own."""
    if settings.LIVE_PUBLIC_URL:
        return f"{settings.LIVE_PUBLIC_URL}{path}"
    return request.build_absolute_uri(path)


def wants_page(request):
    """A person's browser (a shared link), not an API client: no key, and a token or
    a wish for HTML. Decides a shot's path, which the API and a page share."""
    if request.method != "GET" or "X-API-Key" in request.headers:
        return False
    return "token" in request.GET or "text/html" in request.headers.get("Accept", "")
