import logging

import pytest
from django.test import Client

from live.models import Source
from live.services.lifecycle import start_broadcast
from live.services.tokens import mint_viewer_token
from tests.live.pages.htmx_client import HtmxClient


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """The default PBKDF2 makes each create_user/login take ~0.3 s; no test here needs it."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def staff_client(staff_user):
    client = Client()
    assert client.login(username="marshal", password="pw-marshal-123")
    return client


@pytest.fixture
def staff_htmx(staff_user):
    client = HtmxClient()
    assert client.login(username="marshal", password="pw-marshal-123")
    return client


@pytest.fixture
def fan_client(plain_user):
    client = Client()
    client.force_login(plain_user)
    return client


@pytest.fixture
def on_air(event):
    """The event's live broadcast, started with the mock source by the marshal."""
    broadcast, created = start_broadcast(event, Source.MOCK, "staff:marshal")
    assert created
    return broadcast


@pytest.fixture
def viewer_token(event, on_air):
    return mint_viewer_token(event.pk, on_air.pk, 3600)[0]


@pytest.fixture
def telemetry(caplog):
    """Captures the live.telemetry lines (that logger does not propagate to the root)."""
    logger = logging.getLogger("live.telemetry")
    logger.addHandler(caplog.handler)
    caplog.set_level(logging.INFO, logger="live.telemetry")
    yield caplog
    logger.removeHandler(caplog.handler)
