import os

import pytest
from django.contrib.auth import get_user_model
from hypothesis import settings as hypothesis_settings
from rest_framework.test import APIClient

from live.models import Event
from live.services.apikeys import create_api_key

# One commit must pass or fail the same way twice, so the default draws the same examples
# on every run (seeded by the test's name), with no per-example deadline on a busy CI box.
# HYPOTHESIS_PROFILE=explore draws new examples on each run, to hunt for bugs.
hypothesis_settings.register_profile("repeatable", derandomize=True, deadline=None, database=None)
hypothesis_settings.register_profile("explore", deadline=None, database=None)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


@pytest.fixture(autouse=True)
def data_dir(tmp_path, settings):
    """Each test gets its own data folder (audit log, live HLS output)."""
    folder = tmp_path / "live-data"
    settings.LIVE_STREAM_DATA_DIR = folder
    return folder


@pytest.fixture(autouse=True)
def empty_cache():
    """Rate-limit counters and the polls' snapshots must not leak from one test into the
    next (rolled-back rows come back with the same ids)."""
    from django.core.cache import cache

    from live.services.snapshots import forget_all

    cache.clear()
    forget_all()
    yield
    cache.clear()
    forget_all()


@pytest.fixture
def event(db):
    return Event.objects.create(pk="open-2026", name="The Open 2026, 1st tee")


@pytest.fixture
def other_event(db):
    return Event.objects.create(pk="other-cup", name="Other Cup")


@pytest.fixture
def admin_key(db):
    return create_api_key("ops", is_admin=True)[1]


@pytest.fixture
def client_key(db):
    return create_api_key("website")[1]


@pytest.fixture
def admin_api(admin_key):
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=admin_key)
    return client


@pytest.fixture
def client_api(client_key):
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=client_key)
    return client


@pytest.fixture
def anonymous_api():
    return APIClient()


@pytest.fixture
def staff_user(db):
    return get_user_model().objects.create_user(
        "marshal", password="pw-marshal-123", is_staff=True
    )


@pytest.fixture
def plain_user(db):
    return get_user_model().objects.create_user("fan", password="pw-fan-123456")


@pytest.fixture
def still_rate_clock(monkeypatch):
    """Rate limits count in fixed windows: a test spending a budget must not straddle
    a window's end, where the count starts again. Their clock stands still."""
    import time
    from types import SimpleNamespace

    from live.services import rate_limits

    start = time.time()
    monkeypatch.setattr(rate_limits, "time", SimpleNamespace(time=lambda: start))
    return start
