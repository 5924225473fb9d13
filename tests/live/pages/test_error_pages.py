"""Error answers: JSON under the API and media paths, readable HTML elsewhere."""

import json

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import Client, RequestFactory

from live.views import errors as error_views


def test_an_unknown_api_path_answers_json(db):
    response = Client().get("/events/open-2026/live/nothing-here")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"] == "not_found"


def test_an_unknown_api_path_of_an_unknown_event_answers_json(db):
    response = Client().get("/events/x/live/start/extra")

    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_an_unknown_page_answers_readable_html(db):
    response = Client().get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "<h1>Not found</h1>" in html
    assert "Nothing is here." in html
    assert "Traceback" not in html


def test_an_unknown_event_page_names_what_is_missing(staff_client):
    response = staff_client.get("/events/no-such-event/live-host")

    assert response.status_code == 404
    assert "No Event matches the given query." in response.content.decode()


def test_the_server_error_page_is_readable_html():
    request = RequestFactory().get("/events/open-2026/live-host")

    response = error_views.server_error(request)

    assert response.status_code == 500
    html = response.content.decode()
    assert "<h1>Something went wrong</h1>" in html
    assert "Something went wrong on our side." in html
    assert "Traceback" not in html


def test_the_server_error_is_json_under_the_api():
    request = RequestFactory().post("/events/open-2026/live/start")

    response = error_views.server_error(request)

    assert response.status_code == 500
    assert json.loads(response.content) == {
        "error": "server_error",
        "detail": "Something went wrong on our side.",
    }


def test_the_bad_request_page_is_readable_html():
    request = RequestFactory().get("/events/open-2026/live-view")

    response = error_views.bad_request(request, exception=ValueError("boom"))

    assert response.status_code == 400
    html = response.content.decode()
    assert "<h1>Bad request</h1>" in html
    assert "The request could not be understood." in html
    assert "boom" not in html


def test_the_bad_request_is_json_for_media_paths():
    request = RequestFactory().get("/hls/sig/123/stream/index.m3u8")

    response = error_views.bad_request(request)

    assert response.status_code == 400
    assert json.loads(response.content)["error"] == "bad_request"


def test_the_forbidden_page_shows_the_reason():
    request = RequestFactory().get("/events/open-2026/live-host")

    response = error_views.permission_denied(request, PermissionDenied("Staff only, sorry."))

    assert response.status_code == 403
    assert "Staff only, sorry." in response.content.decode()


def test_the_forbidden_page_has_a_default_reason():
    request = RequestFactory().get("/")

    response = error_views.permission_denied(request, PermissionDenied())

    assert response.status_code == 403
    assert "You may not see this page." in response.content.decode()


@pytest.mark.parametrize("exception", [None, Http404(), Http404({"path": "/x"})])
def test_the_not_found_page_survives_any_exception_shape(exception):
    request = RequestFactory().get("/somewhere")

    response = error_views.page_not_found(request, exception)

    assert response.status_code == 404
    assert "Nothing is here." in response.content.decode()


def test_a_disallowed_host_gets_a_readable_400(db):
    response = Client(HTTP_HOST="evil.example").get("/")

    assert response.status_code == 400
    assert "The request could not be understood." in response.content.decode()
