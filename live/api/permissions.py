from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission

from live.models import ApiKey
from live.services.apikeys import OutOfScope, check_event_scope, check_stream_scope
from live.services.media import InvalidMediaPath
from live.services.media_grants import media_path_to_sign


def _is_staff_session(request):
    return bool(request.user and request.user.is_authenticated and request.user.is_staff)


def _check_key_scope(request, view):
    """A key limited to some events gets 403 on any other event's route.

    Read from the route's ``event_id``, so every event route is covered without the
    view doing anything; ``/media/sign`` is checked against the signed stream's event.
    """
    key = request.auth
    try:
        if "event_id" in view.kwargs:
            check_event_scope(key, view.kwargs["event_id"])
        elif getattr(request.resolver_match, "url_name", None) == "media-sign":
            try:
                media_path = media_path_to_sign(request.query_params.get("path", ""))
            except InvalidMediaPath:
                return  # the view answers 400 naming path
            check_stream_scope(key, media_path.stream)
    except OutOfScope as exc:
        raise PermissionDenied(str(exc))


class IsApiClient(BasePermission):
    """Any active API key (within its events), or a logged-in staff user."""

    message = "An API key (X-API-Key) or a staff login is required."

    def has_permission(self, request, view):
        if isinstance(request.auth, ApiKey):
            _check_key_scope(request, view)
            return True
        return _is_staff_session(request)


class IsAdminClient(BasePermission):
    message = "This action needs an admin API key or a staff login."

    def has_permission(self, request, view):
        if isinstance(request.auth, ApiKey):
            if not request.auth.is_admin:
                return False
            _check_key_scope(request, view)
            return True
        return _is_staff_session(request)
