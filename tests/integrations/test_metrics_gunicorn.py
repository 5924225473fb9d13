"""Request counts under gunicorn with two workers (deploy/gunicorn.conf.py): whichever
worker answers a scrape, it reports every worker's requests."""

import threading
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.processes import GUNICORN, app_env, free_tcp_port, request, tcp_open, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

TOKEN = "metrics-token-gunicorn-0123"
ROUTE = "/events/<slug:event_id>/live/status"
REQUESTS = 60


def status_requests(port):
    answer = request(port, "GET", "/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status == 200, answer.text
    return sum(
        sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
        if sample.name == "teecam_http_requests_total" and sample.labels["route"] == ROUTE
    )


def test_two_workers_count_requests_together(procs, data_dir, tmp_path, event):
    port = free_tcp_port()
    metrics_dir = tmp_path / "prometheus"
    server = procs.start(
        "gunicorn",
        [GUNICORN, "-c", "deploy/gunicorn.conf.py", "-b", f"127.0.0.1:{port}", "-w", "2",
         "teecam.wsgi"],
        env=app_env(data_dir, LIVE_METRICS_TOKEN=TOKEN, PROMETHEUS_MULTIPROC_DIR=metrics_dir),
    )  # fmt: skip
    wait_for(lambda: server.poll() is not None or tcp_open(port), 30, "gunicorn to listen")
    assert server.poll() is None, procs.log_of(server)
    assert status_requests(port) == 0

    def hammer(count):
        for _ in range(count):
            assert request(port, "GET", f"/events/{event.pk}/live/status").status == 401

    threads = [threading.Thread(target=hammer, args=(REQUESTS // 6,)) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Both workers served some (each keeps its own file), and every scrape adds them up.
    counters = {path.name for path in Path(metrics_dir).glob("counter_*.db")}
    assert len(counters) == 2, counters
    assert [status_requests(port) for _ in range(6)] == [REQUESTS] * 6
