"""Error pages: JSON for API and media paths, HTML for pages; never a traceback."""

import re

from django.shortcuts import render

from live.http import json_error, wants_page

_JSON_PATHS = re.compile(
    r"^/(events/[^/]+/(live/|cameras(/|$)|links(/|$)|recordings(/|$)|clips(/|$))|media/|hls/|api/)"
)


# A shot's path is the API's and a shared link's page (live/routes.py): JSON unless a
# browser asks for the page.
_SHOT_PATHS = re.compile(r"^/events/[^/]+/shots(/|$)")


def _wants_json(request):
    if _SHOT_PATHS.match(request.path):
        return not wants_page(request)
    return bool(_JSON_PATHS.match(request.path))


def _error(request, status, code, message):
    if _wants_json(request):
        return json_error(status, code, message)
    return render(request, "error.html", {"status": status, "message": message}, status=status)


def bad_request(request, exception=None):
    return _error(request, 400, "bad_request", "The request could not be understood.")


def permission_denied(request, exception=None):
    message = str(exception) if exception and str(exception) else "You may not see this page."
    return _error(request, 403, "permission_denied", message)


def page_not_found(request, exception=None):
    message = "Nothing is here."
    if exception is not None and isinstance(exception.args[0] if exception.args else None, str):
        text = exception.args[0]
        if text.startswith("No "):
            message = text
    return _error(request, 404, "not_found", message)


def server_error(request):
    return _error(request, 500, "server_error", "Something went wrong on our side.")
