"""``GET /healthz``: for load balancers and uptime checks; no key, nothing secret."""

from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from live.http import json_error
from live.services.site_health import check_parts, failing


@never_cache
@require_GET
def healthz(request):
    """200 ``{"status": "ok", "database": "ok", "cache": "ok"}``, or 503 naming the part."""
    answers = check_parts()
    down = failing(answers)
    if not down:
        return JsonResponse({"status": "ok", **answers})
    response = json_error(503, "unhealthy", {"failing": down, **answers})
    response["Retry-After"] = "5"
    return response
