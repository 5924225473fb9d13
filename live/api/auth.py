from django.contrib.auth.models import AnonymousUser
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from live.http import client_address
from live.services import rate_limits
from live.services.apikeys import find_api_key

HEADER = "X-API-Key"
META_KEY = "HTTP_X_API_KEY"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """``X-API-Key: tc_…``; ``request.auth`` becomes the ApiKey row."""

    def authenticate(self, request):
        # META, not request.headers: that builds a dict of every header per request.
        raw = request.META.get(META_KEY)
        if raw is None:
            return None
        address = client_address(request)
        try:
            # Guessing keys costs a budget of failures per client address.
            rate_limits.check("auth-failure", address)
            key = find_api_key(raw.strip())
            if key is None:
                rate_limits.hit("auth-failure", address)
        except rate_limits.RateLimited as exc:
            raise exceptions.Throttled(wait=exc.retry_after, detail=str(exc))
        if key is None:
            raise exceptions.AuthenticationFailed("Unknown or inactive API key.")
        return AnonymousUser(), key

    def authenticate_header(self, request):
        # Makes DRF answer 401 (not 403) when no credentials are given.
        return HEADER


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = ApiKeyAuthentication
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": HEADER}
