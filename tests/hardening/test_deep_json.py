"""Deeply nested JSON is a 400 with the one error shape, not a 500 (issue 10, item 5)."""

import pytest

from tests.live.support import start, start_url, token_url

pytestmark = pytest.mark.django_db

DEPTH = 1000


def _deep(field):
    return '{"%s": %s1%s}' % (field, "[" * DEPTH, "]" * DEPTH)


@pytest.mark.parametrize("url_of, field", [(token_url, "ttl"), (start_url, "source")])
def test_a_body_nested_a_thousand_deep_is_a_parse_error(admin_api, event, url_of, field):
    body = _deep(field)
    assert len(body) < 2100
    if url_of is token_url:
        start(admin_api, event.pk)

    answer = admin_api.post(url_of(event.pk), body, content_type="application/json")

    assert answer.status_code == 400
    assert answer.json()["error"] == "parse_error"
    assert "nested too deeply" in answer.json()["detail"]
    assert set(answer.json()) == {"error", "detail"}


def test_a_deep_object_of_objects_is_a_parse_error_too(admin_api, event):
    body = '{"a":' * DEPTH + "1" + "}" * DEPTH

    answer = admin_api.post(start_url(event.pk), body, content_type="application/json")

    assert answer.status_code == 400
    assert answer.json()["error"] == "parse_error"


def test_moderate_nesting_still_gets_the_usual_validation_error(admin_api, event):
    start(admin_api, event.pk)
    body = '{"ttl": %s1%s}' % ("[" * 20, "]" * 20)

    answer = admin_api.post(token_url(event.pk), body, content_type="application/json")

    assert answer.status_code == 400
    assert answer.json()["error"] == "validation_error"
    assert "ttl" in answer.json()["detail"]
