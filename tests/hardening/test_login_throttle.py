"""Failed logins are throttled per user name and per address (issue 10, item 4)."""

import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client

pytestmark = pytest.mark.django_db

LOGIN_PAGES = ["/accounts/login/", "/admin/login/"]


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def tight_limits(settings, still_rate_clock):
    settings.LIVE_RATE_LIMITS = {
        **settings.LIVE_RATE_LIMITS,
        "login-user": (3, 900),
        "login-address": (5, 900),
    }


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser("boss", password="pw-boss-long-enough")


def _login(client, url, username, password):
    return client.post(url, {"username": username, "password": password})


def _text(response):
    return response.content.decode()


@pytest.mark.parametrize("url", LOGIN_PAGES)
def test_guessing_one_users_password_locks_that_name_out_with_a_reset_time(
    url, superuser, tight_limits
):
    guesser = Client(REMOTE_ADDR="203.0.113.1")
    misses = [_login(guesser, url, "boss", f"guess-{n}").status_code for n in range(3)]

    # From another address too (a botnet rotates addresses), even the right password.
    locked = _login(Client(REMOTE_ADDR="198.51.100.2"), url, "boss", "pw-boss-long-enough")

    assert misses == [200, 200, 200]
    assert locked.status_code == 429
    assert 1 <= int(locked["Retry-After"]) <= 901
    message = r"Too many failed logins\. Try again in \d+ seconds \(at \d\d:\d\d:\d\d UTC\)"
    assert re.search(message, _text(locked))
    assert "_auth_user_id" not in locked.wsgi_request.session


@pytest.mark.parametrize("url", LOGIN_PAGES)
def test_one_address_trying_many_names_is_locked_out(url, superuser, tight_limits):
    guesser = Client(REMOTE_ADDR="203.0.113.1")
    misses = [_login(guesser, url, f"user{n}", "x").status_code for n in range(5)]

    locked = _login(guesser, url, "boss", "pw-boss-long-enough")

    assert misses == [200] * 5
    assert locked.status_code == 429
    assert "Too many failed logins" in _text(locked)


def test_others_still_log_in_while_a_name_is_locked_out(superuser, tight_limits):
    get_user_model().objects.create_user("marshal", password="pw-marshal-123", is_staff=True)
    for n in range(4):
        _login(Client(REMOTE_ADDR="203.0.113.1"), "/accounts/login/", "boss", f"guess-{n}")

    other = _login(
        Client(REMOTE_ADDR="198.51.100.2"), "/accounts/login/", "marshal", "pw-marshal-123"
    )

    assert other.status_code == 302


def test_successful_logins_spend_no_budget(superuser, tight_limits):
    for _ in range(6):
        client = Client(REMOTE_ADDR="203.0.113.1")
        assert _login(client, "/admin/login/", "boss", "pw-boss-long-enough").status_code == 302


def test_a_failed_login_below_the_budget_keeps_the_usual_message(superuser, tight_limits):
    answer = _login(Client(), "/accounts/login/", "boss", "wrong")

    assert answer.status_code == 200
    assert "did not match" in _text(answer)
    assert "Too many" not in _text(answer)


def test_the_standard_password_validators_are_on(superuser):
    user = get_user_model()(username="greenkeeper")
    for weak in ["short", "12345678901", "password123", "greenkeeper1"]:
        with pytest.raises(ValidationError):
            validate_password(weak, user)
    validate_password("fairway-bunker-tee-42", user)


def test_the_demos_staff_password_passes_the_validators():
    out = StringIO()
    call_command("demo", stdout=out)

    password = re.search(r"Staff login:\s+staff / (\S+)", out.getvalue())[1]
    staff = get_user_model().objects.get(username="staff")
    validate_password(password, staff)
    assert staff.check_password(password)
