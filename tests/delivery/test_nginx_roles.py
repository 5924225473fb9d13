"""`manage.py rendernginx --role …`: what each role's config holds, and refused options."""

import re
import subprocess

import pytest
from django.core.management import CommandError, call_command

from live.services.media import media_secret
from tests.processes import NGINX

EDGE = ["--role", "edge", "--origin", "a=http://10.0.0.5:8080", "--app", "10.0.0.7:80"]


def render(tmp_path, *args):
    out = tmp_path / "nginx" / "nginx.conf"
    call_command("rendernginx", "--out", str(out), "--prefix", str(tmp_path / "nginx"), *args)
    checked = subprocess.run(
        [NGINX, "-t", "-q", "-c", str(out), "-p", str(tmp_path / "nginx")],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert checked.returncode == 0, checked.stderr
    return out.read_text()


def directive(text, name):
    return re.search(rf"^\s*{name} ", text, re.MULTILINE)


def locations(text):
    return re.findall(r"^\s*location (.*?) \{", text, re.MULTILINE)


def test_the_default_role_is_the_single_box_with_rtmp_and_the_poll_cache(tmp_path, data_dir):
    text = render(tmp_path)

    assert "rendernginx --role all" in text
    assert "secure_link_md5" in text and directive(text, "try_files")
    assert "rtmp {" in text
    assert "proxy_cache teecam_poll;" in text
    assert "teecam_origin" not in text


def test_app_serves_pages_and_polls_but_no_video_from_disk(tmp_path, data_dir):
    text = render(tmp_path, "--role", "app", "--static-root", str(tmp_path))

    assert "secure_link_md5" not in text and not directive(text, "try_files")
    assert "ngx_rtmp_module" not in text and "rtmp {" not in text
    assert "proxy_cache teecam_poll;" in text
    assert "location /static/" in text
    assert media_secret() not in text  # an app box never learns the media secret


def test_origin_serves_signed_video_and_no_pages(tmp_path, data_dir):
    text = render(tmp_path, "--role", "origin")
    with_rtmp = render(tmp_path, "--role", "origin", "--rtmp")

    assert "secure_link_md5" in text
    assert "rtmp {" not in text and "rtmp {" in with_rtmp
    assert "teecam_poll" not in text
    assert re.search(r"location / \{\s*return 404;", text)
    assert "location /static/" not in text


def test_edge_routes_media_by_origin_name_and_the_rest_to_every_app(tmp_path, data_dir):
    text = render(
        tmp_path,
        *EDGE,
        "--origin",
        "b-2=http://localhost:8080",
        "--app",
        "http://10.0.0.8:80",
    )

    assert "server 10.0.0.5:8080;" in text and "server localhost:8080;" in text
    assert re.search(r"upstream teecam_app \{\s*server 10.0.0.7:80;\s*server 10.0.0.8:80;", text)
    assert re.search(r'"" teecam_origin_a;', text)  # plain /hls/: the first origin
    assert "b-2 teecam_origin_b-2;" in text
    assert "secure_link_md5" in text and not directive(text, "try_files")
    assert "rtmp {" not in text and "teecam_poll" not in text
    assert "proxy_cache_lock on;" in text
    assert "keys_zone=teecam_edge:32m max_size=1g" in text
    assert locations(text)[-1] == "/"
    # Playlists: the 200 ms window of the clock they were fetched in (five per second).
    assert len(re.findall(r'"\$teecam_second\.[02468]";', text)) == 5
    half_seconds = render(tmp_path, *EDGE, "--playlist-window-ms", "500")
    assert re.findall(r'"\$teecam_second\.(\d)";', half_seconds) == ["0", "5"]


@pytest.mark.parametrize(
    "value",
    [
        "a",
        "=http://10.0.0.5:8080",
        "a/b=http://10.0.0.5:8080",
        "Media=http://10.0.0.5:8080",
        "a=ftp://10.0.0.5:8080",
        "a=http://10.0.0.5",
        "a=http://10.0.0.5:8080/hls",
        "a=http://10.0.0.5:99999",
        "a=10.0.0.5:8080",
        # Hosts that would write nginx directives into the config.
        "a=http://h;x:1",
        "a=http://h x:1",
        "a=http://h{x}:1",
        "a=http://h%0a:1",
    ],
)
def test_a_bad_origin_is_refused_naming_it(tmp_path, data_dir, value):
    with pytest.raises(CommandError) as refused:
        render(tmp_path, *EDGE, "--origin", value)

    assert repr(value) in str(refused.value)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--role", "edge", "--app", "10.0.0.7:80"], "needs at least one --origin"),
        (["--role", "edge", "--origin", "a=http://10.0.0.5:8080"], "needs at least one --app"),
        (EDGE + ["--origin", "a=http://10.0.0.6:8080"], "'a' is given twice"),
        (EDGE[:2] + ["--app", "10.0.0.7"] + EDGE[2:4], "--app '10.0.0.7'"),
        (EDGE[:2] + ["--app", "http://a;b:2"] + EDGE[2:4], "a DNS name or an IP address"),
        # Values that would write nginx directives into the config.
        (["--upstream", "127.0.0.1:1; evil"], "--upstream '127.0.0.1:1; evil'"),
        (["--whip-upstream", "127.0.0.1:1;x"], "--whip-upstream (or LIVE_WHIP_LISTEN)"),
        (["--listen", "0.0.0.0:80 default_server"], "--listen"),
        (["--rtmp-listen", "1935\nx"], "--rtmp-listen"),
        (EDGE + ["--edge-cache-size", "1g; evil"], "--edge-cache-size"),
        (["--role", "origin", "--origin", "a=http://10.0.0.5:8080"], "for --role edge"),
        (["--role", "origin", "--app", "10.0.0.7:80"], "--app is for --role edge and --role app"),
        (["--role", "app", "--rtmp"], "no RTMP"),
        (EDGE + ["--rtmp"], "no RTMP"),
        (["--poll-cache-seconds", "-1"], "--poll-cache-seconds"),
        (EDGE + ["--playlist-window-ms", "300"], "--playlist-window-ms"),
    ],
)
def test_options_that_make_no_config_are_refused(tmp_path, data_dir, args, message):
    with pytest.raises(CommandError, match=re.escape(message)):
        render(tmp_path, *args)
    assert not (tmp_path / "nginx" / "nginx.conf").exists()


PWNED = "/tmp/x; } location /pwn { return 200 pwned; } location /y { alias /tmp/y"


@pytest.mark.parametrize(
    "option, value",
    [
        ("--static-root", PWNED),
        ("--static-root", "/srv/static #"),
        ("--static-root", "/srv/$host"),
        ("--prefix", "/srv/nginx;\nuser root"),
        ("--prefix", "/srv/ngi nx"),
        ("--http-include", "/etc/tls.conf; include /etc/shadow"),
        ("--http-include", '/etc/"tls".conf'),
        ("--user", "www-data; worker_processes 64"),
        ("--user", "www-data'"),
        ("--user", "a{b}"),
        ("--workers", "auto; daemon off"),
        ("--trusted-proxies", "10.0.0.0/8;x"),
    ],
)
def test_paths_and_names_holding_nginx_syntax_are_refused_naming_the_option(
    tmp_path, data_dir, option, value
):
    with pytest.raises(CommandError, match=re.escape(f"{option} {value!r}")):
        render(tmp_path, option, value)
    assert not (tmp_path / "nginx" / "nginx.conf").exists()


@pytest.mark.parametrize("folder", ["data; x", "da{ta}", "da#ta", "da'ta", "da\nta"])
def test_a_data_dir_holding_nginx_syntax_is_refused_naming_the_setting(tmp_path, settings, folder):
    settings.LIVE_STREAM_DATA_DIR = str(tmp_path / folder)
    with pytest.raises(CommandError, match="LIVE_STREAM_DATA_DIR"):
        render(tmp_path)
    assert not (tmp_path / "nginx" / "nginx.conf").exists()
