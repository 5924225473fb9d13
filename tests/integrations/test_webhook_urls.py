"""Endpoint URLs: refused with a message that says why, from the command and the admin."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from live.models import WebhookEndpoint
from live.services.webhook_urls import InvalidWebhookUrl, validate_webhook_url

pytestmark = pytest.mark.django_db

REFUSED = [
    ("ftp://example.com/hook", "scheme must be http or https"),
    ("javascript:alert(1)", "scheme must be http or https"),
    ("example.com/hook", "scheme must be http or https"),
    ("http://user:password@example.com/hook", "user name or password"),
    ("https://token@example.com/hook", "user name or password"),
    ("http:///hook", "no host"),
    ("http://exa mple.com/", "spaces or control characters"),
    ("http://example.com/" + "a" * 2000, "longer than 2000"),
    ("http://127.0.0.1:8000/hook", "127.0.0.1 is a loopback address"),
    ("http://localhost/hook", "localhost resolves to"),
    ("http://[::1]/hook", "loopback"),
    ("http://10.1.2.3/hook", "private address"),
    ("http://192.168.0.10/hook", "private address"),
    ("http://169.254.169.254/latest/meta-data", "link-local address"),
    ("http://[::ffff:127.0.0.1]/hook", "loopback"),
    ("http://0.0.0.0/hook", "address"),
    ("http://example.com:0/hook", "port must be 1 to 65535"),
    ("http://93.184.215.14:0/hook", "port must be 1 to 65535"),
    # IPv6 spellings of private IPv4 ranges: 6to4, NAT64, Teredo, IPv4-compatible.
    ("http://[2002:7f00:1::]/hook", "2002:7f00:1:: is a loopback address"),
    ("http://[2002:a00:1::]/hook", "private address"),
    ("http://[64:ff9b::a9fe:a9fe]/latest", "link-local address"),
    ("http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/hook", "address"),
    ("http://[::10.0.0.1]/hook", "address"),
    ("http://100.64.0.1/hook", "non-public address"),
    ("http://no-such-host.invalid/hook", "cannot resolve"),
]


@pytest.mark.parametrize("url, why", REFUSED)
def test_unsafe_or_malformed_urls_are_refused_with_a_reason(url, why):
    with pytest.raises(InvalidWebhookUrl, match=why):
        validate_webhook_url(url, allow_private=False)


def test_private_targets_are_allowed_only_when_switched_on():
    assert validate_webhook_url("http://127.0.0.1:9/x", allow_private=True)
    with pytest.raises(InvalidWebhookUrl):
        validate_webhook_url("http://127.0.0.1:9/x", allow_private=False)


def test_a_public_address_is_accepted():
    assert validate_webhook_url("https://93.184.215.14/hooks", allow_private=False)


def test_the_command_refuses_with_the_reason(settings):
    settings.LIVE_WEBHOOK_ALLOW_PRIVATE = False
    with pytest.raises(CommandError, match="127.0.0.1 is a loopback address"):
        call_command("createwebhook", "http://127.0.0.1:9/x")
    with pytest.raises(CommandError, match="user name or password"):
        call_command("createwebhook", "https://a:b@example.com/")
    with pytest.raises(CommandError, match="unknown event type"):
        call_command("createwebhook", "https://93.184.215.14/x", "--types", "live.begin")
    assert not WebhookEndpoint.objects.exists()


def test_the_command_prints_the_secret_last(event, capsys):
    call_command("createwebhook", "http://127.0.0.1:9/x", "--event", event.pk,
                 "--types", "live.start,live.stop")  # fmt: skip
    last = capsys.readouterr().out.strip().splitlines()[-1]
    endpoint = WebhookEndpoint.objects.get()
    assert last == endpoint.secret and last.startswith("whsec_")
    assert endpoint.event_id == event.pk and endpoint.type_list == ["live.start", "live.stop"]


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser("root", password="pw-root-123456")
    client.force_login(user)
    return client


def test_the_admin_refuses_a_private_url_as_a_form_error(admin_client, settings):
    settings.LIVE_WEBHOOK_ALLOW_PRIVATE = False
    page = admin_client.post(
        "/admin/live/webhookendpoint/add/",
        {"url": "http://169.254.169.254/latest", "types": "", "enabled": "on"},
    )
    assert page.status_code == 200
    assert "link-local address" in page.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_the_admin_shows_the_secret_once_then_only_a_prefix(admin_client):
    page = admin_client.post(
        "/admin/live/webhookendpoint/add/",
        {"url": "http://127.0.0.1:9/x", "types": "live.start", "enabled": "on"},
        follow=True,
    )
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret in page.content.decode()
    change = admin_client.get(f"/admin/live/webhookendpoint/{endpoint.pk}/change/")
    text = change.content.decode()
    assert endpoint.secret not in text and endpoint.secret[:10] + "…" in text


def test_enabling_again_in_the_admin_clears_the_reason(admin_client, event):
    endpoint = WebhookEndpoint.objects.create(
        url="http://127.0.0.1:9/x", secret="whsec_QUJD", enabled=False,
        disabled_reason="Disabled at …", failing_since="2026-01-01T00:00:00Z",
    )  # fmt: skip
    listing = admin_client.get("/admin/live/webhookendpoint/").content.decode()
    assert "Disabled at …" in listing
    admin_client.post(
        f"/admin/live/webhookendpoint/{endpoint.pk}/change/",
        {"url": endpoint.url, "types": "", "enabled": "on"},
    )
    endpoint.refresh_from_db()
    assert endpoint.enabled and endpoint.disabled_reason == "" and endpoint.failing_since is None
