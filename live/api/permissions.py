from rest_framework.permissions import BasePermission

from live.models import ApiKey


def _is_staff_session(request):
    return bool(request.user and request.user.is_authenticated and request.user.is_staff)


class IsApiClient(BasePermission):
    """Any active API key, or a logged-in staff user."""

    message = "An API key (X-API-Key) or a staff login is required."

    def has_permission(self, request, view):
        return isinstance(request.auth, ApiKey) or _is_staff_session(request)


class IsAdminClient(BasePermission):
    message = "This action needs an admin API key or a staff login."

    def has_permission(self, request, view):
        if isinstance(request.auth, ApiKey):
            return request.auth.is_admin
        return _is_staff_session(request)
