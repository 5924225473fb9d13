"""Live thumbnails: served signed as image/jpeg with a short cache; thumbnail_path for pages."""

import time

import pytest
from django.template import Context, Template

from live.models import Broadcast
from live.services.delivery import THUMBNAIL_CACHE
from live.services.nginx_config import NginxOptions, render_nginx_config
from live.services.thumbnails import thumbnail_path
from tests.live.support import start

pytestmark = pytest.mark.django_db

JPEG_MAGIC = b"\xff\xd8\xff"


@pytest.fixture
def mock_live(admin_api, event):
    assert start(admin_api, event.pk).status_code == 201
    return Broadcast.objects.get()


def _body(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_the_mock_has_the_fixtures_thumbnail_served_signed(anonymous_api, mock_live):
    path = thumbnail_path(mock_live, int(time.time()) + 60)
    assert path.endswith(f"/{mock_live.stream_name}/thumb.jpg")

    response = anonymous_api.get(path)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == THUMBNAIL_CACHE
    assert _body(response)[:3] == JPEG_MAGIC


def test_a_camera_thumbnail_is_served_from_its_stream_folder(anonymous_api, mock_live, data_dir):
    mock_live.source = "srt"
    mock_live.save()
    assert thumbnail_path(mock_live, int(time.time()) + 60) is None  # none made yet
    folder = data_dir / "hls" / mock_live.stream_name
    folder.mkdir(parents=True)
    (folder / "thumb.jpg").write_bytes(JPEG_MAGIC + b"fake")

    response = anonymous_api.get(thumbnail_path(mock_live, int(time.time()) + 60))
    assert response.status_code == 200
    assert _body(response) == JPEG_MAGIC + b"fake"


def test_an_unsigned_or_other_jpeg_is_refused(anonymous_api, mock_live):
    signed = thumbnail_path(mock_live, int(time.time()) + 60)
    assert anonymous_api.get(signed.replace("thumb.jpg", "other.jpg")).status_code == 404
    assert anonymous_api.get(f"/hls/{mock_live.stream_name}/thumb.jpg").status_code in (403, 404)


def test_an_ended_broadcast_has_no_thumbnail(mock_live):
    mock_live.stopped_at = mock_live.started_at
    assert thumbnail_path(mock_live, int(time.time()) + 60) is None
    assert thumbnail_path(None, int(time.time()) + 60) is None


def test_the_template_tag_signs_for_pages(mock_live):
    html = Template("{% load media_extras %}{% thumbnail_url broadcast %}").render(
        Context({"broadcast": mock_live})
    )
    assert html.startswith("/hls/") and html.endswith("/thumb.jpg")
    assert Template("{% load media_extras %}{% thumbnail_url None %}").render(Context()) == ""


def test_nginx_gives_thumbnails_the_short_cache(tmp_path):
    text = render_nginx_config(NginxOptions(prefix=str(tmp_path)))
    assert text.count(f'"~\\.jpg$" "{THUMBNAIL_CACHE}";') == 2
    assert "image/jpeg jpg jpeg;" in text
