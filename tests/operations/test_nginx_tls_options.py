"""rendernginx's HTTPS options: values that would write nginx syntax are refused, by name."""

import pytest
from django.core.management import CommandError, call_command

from live.services.nginx_config import (
    NginxOptionError,
    NginxOptions,
    check_options,
    render_nginx_config,
)


@pytest.mark.parametrize(
    "field, value",
    [
        ("tls_cert", "relative/cert.pem"),
        ("tls_cert", "/etc/ssl/a cert.pem"),
        ("tls_cert", "/etc/ssl/cert.pem;include /etc/passwd"),
        ("tls_key", "/etc/ssl/{key}.pem"),
        ("acme_webroot", "/var/www/$acme"),
        ("tls_listen", "443; ssl_verify off"),
    ],
)
def test_option_values_that_would_write_nginx_syntax_are_refused(field, value):
    options = {"tls_cert": "/etc/ssl/cert.pem", "tls_key": "/etc/ssl/key.pem", field: value}
    with pytest.raises(NginxOptionError) as error:
        check_options(NginxOptions(**options))
    assert f"--{field.replace('_', '-')}" in str(error.value)


def test_a_certificate_without_its_key_is_refused():
    with pytest.raises(NginxOptionError, match="--tls-key"):
        check_options(NginxOptions(tls_cert="/etc/ssl/cert.pem"))


def test_the_https_config_redirects_plain_http_but_the_challenge(tmp_path):
    text = render_nginx_config(
        NginxOptions(
            listen="80",
            tls_listen="443",
            tls_cert="/etc/letsencrypt/live/tee.example.com/fullchain.pem",
            tls_key="/etc/letsencrypt/live/tee.example.com/privkey.pem",
            acme_webroot="/var/lib/teecam/acme",
            prefix=str(tmp_path),
        )
    )
    assert "listen 443 ssl;" in text and "return 301 https://$host$request_uri;" in text
    assert "location ^~ /.well-known/acme-challenge/" in text
    assert 'Strict-Transport-Security "max-age=31536000' in text
    assert text.count("location /whip/") == 1 and "rtmp {" in text


def test_the_command_refuses_a_bad_path_before_writing(tmp_path):
    out = tmp_path / "nginx.conf"
    with pytest.raises(CommandError, match="--tls-key"):
        call_command("rendernginx", "--out", str(out), "--tls-cert", "/a.pem", "--tls-key", "k;")
    assert not out.exists()
