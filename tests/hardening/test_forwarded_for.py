"""X-Forwarded-For is believed only from a configured proxy (issue 10, item 7).

The attack: a client on the same host (or any client, with the old default of
trusting 127.0.0.1) sends a new X-Forwarded-For with every guess, so the
failed-key budget per address never runs out.
"""

import pytest
from django.test import RequestFactory

from live.http import client_address

pytestmark = pytest.mark.django_db

GUESS = "tc_000000000000_" + "x" * 40


@pytest.fixture
def tight_limits(settings, still_rate_clock):
    settings.LIVE_RATE_LIMITS = {**settings.LIVE_RATE_LIMITS, "auth-failure": (3, 60)}


def _address(remote, forwarded=None):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return client_address(RequestFactory().get("/", REMOTE_ADDR=remote, **extra))


def test_by_default_no_one_is_trusted(settings):
    assert settings.LIVE_TRUSTED_PROXIES == []
    assert _address("127.0.0.1", "203.0.113.9") == "127.0.0.1"


def test_rotating_x_forwarded_for_from_loopback_does_not_buy_more_guesses(
    anonymous_api, event, client_key, tight_limits
):
    url = f"/events/{event.pk}/live/status"
    answers = [
        anonymous_api.get(
            url, HTTP_X_API_KEY=GUESS, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}"
        ).status_code
        for n in range(6)
    ]

    assert answers == [401, 401, 401, 429, 429, 429]
    blocked = anonymous_api.get(
        url, HTTP_X_API_KEY=client_key, HTTP_X_FORWARDED_FOR="198.51.100.250"
    )
    assert blocked.status_code == 429


def test_a_trusted_proxy_in_cidr_form_is_believed(settings):
    settings.LIVE_TRUSTED_PROXIES = ["10.0.0.0/8"]

    assert _address("10.1.2.3", "203.0.113.9") == "203.0.113.9"
    assert _address("11.1.2.3", "203.0.113.9") == "11.1.2.3"


def test_plain_addresses_and_ipv6_work_too(settings):
    settings.LIVE_TRUSTED_PROXIES = ["127.0.0.1", "::1", "fd00::/8"]

    assert _address("127.0.0.1", "203.0.113.9") == "203.0.113.9"
    assert _address("::1", "2001:db8::7") == "2001:db8::7"
    assert _address("fd12::1", "203.0.113.9") == "203.0.113.9"
    assert _address("::ffff:127.0.0.1", "203.0.113.9") == "203.0.113.9"


def test_the_right_most_untrusted_address_is_the_client(settings):
    settings.LIVE_TRUSTED_PROXIES = ["10.0.0.0/8", "127.0.0.1"]

    # The client wrote "1.2.3.4" itself; the balancer (10.0.0.5) appended what it saw.
    assert _address("127.0.0.1", "1.2.3.4, 203.0.113.9, 10.0.0.5") == "203.0.113.9"
    assert _address("127.0.0.1", "10.0.0.6,10.0.0.5") == "10.0.0.6"


def test_garbage_in_the_chain_is_not_believed(settings):
    settings.LIVE_TRUSTED_PROXIES = ["127.0.0.1"]

    assert _address("127.0.0.1", "not-an-address") == "127.0.0.1"
    assert _address("127.0.0.1", "") == "127.0.0.1"
    assert _address("127.0.0.1", "203.0.113.9, evil\n") == "127.0.0.1"


def test_a_bad_entry_in_the_setting_is_ignored_not_fatal(settings):
    settings.LIVE_TRUSTED_PROXIES = ["nonsense", "127.0.0.1"]

    assert _address("127.0.0.1", "203.0.113.9") == "203.0.113.9"
