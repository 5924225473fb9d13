"""Every API error has one shape: ``{"error": "<code>", "detail": ...}``."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions

from live.api.errors import exception_handler


def test_a_django_404_becomes_not_found_with_its_message():
    response = exception_handler(Http404("No event with id 'x'."), {})

    assert response.status_code == 404
    assert response.data == {"error": "not_found", "detail": "No event with id 'x'."}


def test_a_django_permission_denied_becomes_a_403_with_its_message():
    response = exception_handler(PermissionDenied("Staff only."), {})

    assert response.status_code == 403
    assert response.data == {"error": "permission_denied", "detail": "Staff only."}


def test_a_bare_django_permission_denied_gets_the_default_message():
    response = exception_handler(PermissionDenied(), {})

    assert response.status_code == 403
    assert response.data["error"] == "permission_denied"
    assert response.data["detail"]


def test_a_throttled_request_is_told_when_to_retry():
    response = exception_handler(exceptions.Throttled(wait=7), {})

    assert response.status_code == 429
    assert response["Retry-After"] == "7"
    assert response.data["error"] == "throttled"


def test_validation_errors_share_one_code_and_keep_the_field_names():
    response = exception_handler(exceptions.ValidationError({"ttl": ["Too big."]}), {})

    assert response.status_code == 400
    assert response.data == {"error": "validation_error", "detail": {"ttl": ["Too big."]}}


@pytest.mark.parametrize("exc", [ValueError("boom"), KeyError("x"), RuntimeError()])
def test_other_exceptions_are_left_to_django_as_a_500(exc):
    assert exception_handler(exc, {}) is None
