"""The poll micro-cache while an answer is being refreshed: one request waits for
Django, the others get the answer it replaces at once (proxy_cache_use_stale
updating). Before, they queued on nginx's cache lock and, after its 5 s, all went to
gunicorn together: with 10,000 viewers, 502s and nginx out of file descriptors
(bench/viewers.py --db postgres, docs/performance.md).

Django here is the live server in this process, so the test holds the refreshing
request inside the status view until the others have had their answers.
"""

import threading

from live.api import views
from tests.processes import PATIENCE, Api, wait_for


def test_while_one_request_refreshes_status_the_others_get_the_last_answer(
    nginx, admin_key_raw, event, monkeypatch
):
    api = Api(nginx.port, admin_key_raw)
    assert api.start(event.pk).status == 201
    path = f"/events/{event.pk}/live/status"
    first = api.call("GET", path)
    assert first.status == 200 and api.call("GET", path).headers["x-teecam-cache"] == "HIT"

    entered, release = threading.Event(), threading.Event()
    real_event_state = views.event_state

    def held_event_state(event_id):
        entered.set()
        release.wait(30 * PATIENCE)
        return real_event_state(event_id)

    monkeypatch.setattr(views, "event_state", held_event_state)
    answers = []

    def poll_until_one_refreshes():
        # Answers are HITs until the cached one expires; the first after that goes to
        # Django, and is held there.
        patient = Api(nginx.port, admin_key_raw, timeout=40 * PATIENCE)
        while not entered.is_set():
            answer = patient.call("GET", path)
            answers.append(answer)
            if answer.headers.get("x-teecam-cache") != "HIT":
                break

    refresher = threading.Thread(target=poll_until_one_refreshes)
    refresher.start()
    try:
        wait_for(entered.is_set, 10, "a request to refresh the cached status")
        # Django is busy with the refresh: these are answered by nginx alone, or not
        # before the refresh ends (the request's own timeout would fail the test).
        others = [api.call("GET", path) for _ in range(3)]
        assert [o.headers["x-teecam-cache"] for o in others] == ["UPDATING"] * 3
        assert all(o.status == 200 and o.json() == first.json() for o in others)
    finally:
        release.set()
        refresher.join(40 * PATIENCE)
    refreshed = answers[-1]
    assert refreshed.status == 200 and refreshed.headers["x-teecam-cache"] == "EXPIRED"
