"""GET/POST /events/<id>/cameras/<camera>/simulcast and DELETE …/simulcast/<target id>."""

import pytest

from live.models import SimulcastTarget

pytestmark = pytest.mark.django_db

URL = "/events/open-2026/cameras/main/simulcast"
KEY = "abcd-efgh-ijkl-mnop-9z8y"


def add(api, **overrides):
    body = {"name": "YouTube", "url": "rtmps://a.rtmp.youtube.com/live2", "streamKey": KEY}
    return api.post(URL, {**body, **overrides}, format="json")


def test_it_adds_a_target_and_never_answers_its_key_whole(admin_api, event):
    answer = add(admin_api)
    assert answer.status_code == 201, answer.json()
    assert answer.json()["streamKeyHint"] == "…9z8y"
    assert answer.json()["state"] == "idle"  # the camera is not live
    listed = admin_api.get(URL)
    assert KEY not in listed.content.decode() and KEY not in answer.content.decode()
    assert [target["name"] for target in listed.json()] == ["YouTube"]


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/live",
        "rtmp://user:secret@example.com/live",
        "rtmp://example.com/live?key=secret",
        "rtmp:///live",
        "rtmp://exa mple.com/live",
    ],
)
def test_a_bad_url_is_a_400_naming_url(admin_api, event, url):
    answer = add(admin_api, url=url)
    assert answer.status_code == 400
    assert list(answer.json()["detail"]) == ["url"]
    assert not SimulcastTarget.objects.exists()


def test_an_empty_key_is_a_400_naming_stream_key(admin_api, event):
    assert list(add(admin_api, streamKey="").json()["detail"]) == ["streamKey"]


def test_it_removes_a_target_and_404s_an_unknown_one(admin_api, event):
    target_id = add(admin_api).json()["id"]
    assert admin_api.delete(f"{URL}/{target_id}").status_code == 204
    assert admin_api.delete(f"{URL}/{target_id}").status_code == 404
    assert admin_api.delete(f"{URL}/{10**30}").status_code == 404


def test_a_client_key_may_not_see_targets(client_api, event):
    assert client_api.get(URL).status_code == 403


def test_an_unknown_camera_is_a_404(admin_api, event):
    assert admin_api.get("/events/open-2026/cameras/nope/simulcast").status_code == 404
