"""rendernginx --role app with several --app: one app nginx in front of several app servers."""

import pytest

from live.services.nginx_config import NginxOptionError, NginxOptions, render_nginx_config


def test_an_app_nginx_spreads_over_every_app_server():
    config = render_nginx_config(
        NginxOptions(role="app", apps=["127.0.0.1:8001", "127.0.0.1:8002"], prefix="/tmp/x")
    )

    upstream = config.split("upstream teecam_app {", 1)[1].split("}", 1)[0]
    assert "server 127.0.0.1:8001;" in upstream and "server 127.0.0.1:8002;" in upstream


def test_app_servers_are_refused_for_a_media_host():
    with pytest.raises(NginxOptionError, match="--app is for --role edge and --role app"):
        render_nginx_config(NginxOptions(role="origin", apps=["127.0.0.1:8001"]))
