"""The OpenAPI schema is public and documents the X-API-Key header."""

import pytest

pytestmark = pytest.mark.django_db


def test_the_schema_is_served_without_credentials_and_declares_the_api_key(anonymous_api):
    response = anonymous_api.get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    schema = response.json()
    assert schema["components"]["securitySchemes"]["ApiKeyAuth"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
    }
    for path in (
        "/events/{event_id}/live/start",
        "/events/{event_id}/live/stop",
        "/events/{event_id}/live/token",
        "/events/{event_id}/live/status",
        "/media/sign",
    ):
        assert path in schema["paths"], path
