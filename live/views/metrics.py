"""``/metrics`` (Prometheus text format) and the middleware that counts requests.

Several gunicorn workers each count their own requests; with
``PROMETHEUS_MULTIPROC_DIR`` set (deploy/gunicorn.conf.py sets it) prometheus-
client keeps every worker's values in files there and a scrape, whichever
worker answers it, adds them up. The gauges read the database at scrape time
(``live/services/metrics.py``). Off (404) unless ``LIVE_METRICS_TOKEN`` or
``LIVE_METRICS_ADDRESSES`` is set.
"""

import hmac
import ipaddress
import os
import time

from django.conf import settings
from django.http import Http404, HttpResponse
from django.views.decorators.http import require_GET
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

from live.http import json_error
from live.services.metrics import DatabaseCollector
from live.http import client_address

METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

# Not the default registry: a scrape builds its own (see ``registry_for_scrape``).
PROCESS_REGISTRY = CollectorRegistry()
REQUESTS = Counter(
    "teecam_http_requests",
    "HTTP requests answered, by route pattern, method and status.",
    ["route", "method", "status"],
    registry=PROCESS_REGISTRY,
)
LATENCY = Histogram(
    "teecam_http_request_duration_seconds",
    "Time to answer, by route pattern.",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=PROCESS_REGISTRY,
)


class RequestMetricsMiddleware:
    """Counts every request by its URL pattern (never the path: tokens, ids)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        route = ("/" + match.route) if match is not None and match.route else "unmatched"
        method = request.method if request.method in METHODS else "other"
        REQUESTS.labels(route, method, str(response.status_code)).inc()
        LATENCY.labels(route).observe(time.perf_counter() - started)
        return response


class _ProcessCollector:
    def collect(self):
        return PROCESS_REGISTRY.collect()


def registry_for_scrape():
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ProcessCollector())
    registry.register(DatabaseCollector())
    return registry


def _address_allowed(address):
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for entry in settings.LIVE_METRICS_ADDRESSES:
        try:
            if ip in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def _token_matches(request):
    scheme, _, given = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    token = settings.LIVE_METRICS_TOKEN
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), token.encode()
    )


@require_GET
def metrics_view(request):
    token, addresses = settings.LIVE_METRICS_TOKEN, settings.LIVE_METRICS_ADDRESSES
    if not token and not addresses:
        raise Http404("metrics are off")
    allowed = (addresses and _address_allowed(client_address(request))) or (
        token and _token_matches(request)
    )
    if not allowed:
        if token:
            response = json_error(401, "not_authenticated", "/metrics wants a bearer token.")
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
        return json_error(403, "forbidden", "This address may not read /metrics.")
    return HttpResponse(generate_latest(registry_for_scrape()), content_type=CONTENT_TYPE_LATEST)
