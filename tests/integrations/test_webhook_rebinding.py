"""DNS rebinding against webhook delivery: a real ``manage.py deliverwebhooks`` process
whose resolver is stubbed at the socket layer (tests/resolver_stub.py), a real
receiver on 127.0.0.1 standing for an internal service.

The endpoint's name resolves to a public address when it is saved and to
127.0.0.1 when the worker delivers: the worker must check what it resolves at
the attempt and connect to exactly that, never to a second answer.
"""

import pytest

from live.models import WebhookAttempt, WebhookDelivery
from live.services.lifecycle import start_broadcast
from live.services.webhooks import create_endpoint
from tests.processes import PYTHON, app_env, wait_for
from tests.resolver_stub import install, write_answers

pytestmark = pytest.mark.django_db(transaction=True)

NAME = "hooks.rebind.test"
PUBLIC = "93.184.215.14"


@pytest.fixture
def answers(tmp_path):
    return tmp_path / "resolver.json"


@pytest.fixture
def stubbed_resolver(answers):
    """This process's resolver answers from the file too (the endpoint is saved here)."""
    write_answers(answers, {NAME: [[PUBLIC]]})
    uninstall = install(answers)
    yield answers
    uninstall()


@pytest.fixture
def rebound_endpoint(settings, stubbed_resolver, receiver):
    """An endpoint saved while production rules hold: its name was public then."""
    settings.LIVE_WEBHOOK_ALLOW_PRIVATE = False
    url = f"http://{NAME}:{receiver.port}/hooks/internal"
    return create_endpoint(url)


def start_stubbed_worker(procs, data_dir, answers):
    return procs.start(
        "deliverwebhooks",
        [PYTHON, "-m", "tests.resolver_stub", "deliverwebhooks", "--poll", "0.05"],
        env=app_env(
            data_dir,
            TEST_RESOLVER_FILE=answers,
            LIVE_WEBHOOK_ALLOW_PRIVATE=0,
            LIVE_EGRESS_ALLOW_PRIVATE=0,
            LIVE_WEBHOOK_TIMEOUT_SECONDS=2,
            LIVE_WEBHOOK_RETRY_SECONDS="0.2",
        ),
    )


def attempts():
    return list(WebhookAttempt.objects.order_by("id"))


def test_a_name_that_turns_into_loopback_after_it_was_saved_gets_no_delivery(
    answers, rebound_endpoint, receiver, procs, data_dir, event
):
    # Saved while the name was public; from now on it resolves to the receiver's 127.0.0.1.
    write_answers(answers, {NAME: [["127.0.0.1"]]})
    assert rebound_endpoint.pk and rebound_endpoint.url.startswith(f"http://{NAME}:")
    start_stubbed_worker(procs, data_dir, answers)
    start_broadcast(event, "mock", "staff:marshal")

    wait_for(lambda: len(attempts()) >= 2, 20, "two delivery attempts")
    for attempt in attempts():
        assert attempt.status_code is None and attempt.response_excerpt == ""
        assert attempt.error.startswith("refused: ")
        assert f"{NAME} resolves to 127.0.0.1, a loopback address" in attempt.error
    assert receiver.messages() == []
    assert not WebhookDelivery.objects.filter(delivered_at__isnull=False).exists()


def test_the_socket_goes_to_the_address_that_was_checked_not_to_a_second_answer(
    answers, rebound_endpoint, receiver, procs, data_dir, event
):
    """The worker's first lookup is public (and passes); a resolver asked again a moment
    later says 127.0.0.1. A sender that checks one answer and connects by name (the
    old bug: http.client's own create_connection) would deliver to the receiver."""
    write_answers(answers, {NAME: [[PUBLIC], ["127.0.0.1"]]})
    start_stubbed_worker(procs, data_dir, answers)
    start_broadcast(event, "mock", "staff:marshal")

    wait_for(lambda: len(attempts()) >= 2, 30, "two delivery attempts")
    first, second = attempts()[:2]
    # The first attempt went to the public address it checked (unreachable here), …
    assert first.status_code is None and not first.error.startswith("refused")
    # … the next one's single lookup said 127.0.0.1, and it was refused.
    assert "resolves to 127.0.0.1, a loopback address" in second.error
    assert receiver.messages() == []


def test_the_same_swap_reaches_the_receiver_only_when_private_targets_are_allowed(
    answers, rebound_endpoint, receiver, procs, data_dir, event
):
    """The control: with LIVE_WEBHOOK_ALLOW_PRIVATE=1 (the demo) the stubbed name does
    lead to the receiver, so the refusals above come from the rule, not the stub."""
    write_answers(answers, {NAME: [["127.0.0.1"]]})
    procs.start(
        "deliverwebhooks",
        [PYTHON, "-m", "tests.resolver_stub", "deliverwebhooks", "--poll", "0.05"],
        env=app_env(data_dir, TEST_RESOLVER_FILE=answers, LIVE_WEBHOOK_ALLOW_PRIVATE=1),
    )
    start_broadcast(event, "mock", "staff:marshal")
    [(headers, _, _)] = receiver.wait_for(1, 20)
    assert headers["host"] == f"{NAME}:{receiver.port}"
