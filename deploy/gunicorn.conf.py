"""gunicorn settings for teecam: `gunicorn -c deploy/gunicorn.conf.py teecam.wsgi`.

Values come from the environment where given: GUNICORN_BIND, GUNICORN_WORKERS,
GUNICORN_WORKER_CLASS, GUNICORN_THREADS, GUNICORN_MAX_REQUESTS,
GUNICORN_CONTROL_SOCKET. Run it behind nginx (the
config from `manage.py rendernginx`), which serves /hls/ and /static/ itself.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Status polls are short and CPU-bound: one sync worker per core, plus one.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() + 1))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
# gthread workers keep nginx's upstream connections alive (sync ones close
# each after one request); see docs/scaling.md for when that pays.
threads = int(os.environ.get("GUNICORN_THREADS", 1))
keepalive = 5
# Import Django once in the master: workers fork ready to serve, so a worker
# recycled by max_requests costs a fork, not a second of CPU re-importing the
# app in the middle of a traffic spike. (Code changes need a restart, not HUP.)
preload_app = True
# A worker answers thousands of polls a second, so recycle rarely: 20,000
# requests meant a restart every few seconds per worker under load.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 1_000_000))
max_requests_jitter = max_requests // 10
# gunicorn's control socket defaults to one path per user, so every instance on
# a host (several sites, or the two-server test) would take it over from the
# others: off unless a path of its own is given.
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET", "")
control_socket_disable = not control_socket
# Request lines carry viewer tokens: keep them out of the access log.
accesslog = None
errorlog = "-"

# /metrics counts requests in every worker: prometheus-client's multiprocess mode
# keeps each worker's values in files here (set before the app imports it), and
# a scrape adds them up. A folder of our own unless one is given; emptied at
# start, a dead worker's live gauges dropped, removed at exit.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    import tempfile

    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="teecam-metrics-")
    _own_metrics_dir = True
else:
    _own_metrics_dir = False


def on_starting(server):
    folder = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    os.makedirs(folder, exist_ok=True)
    for name in os.listdir(folder):
        if name.endswith(".db"):
            os.unlink(os.path.join(folder, name))


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _own_metrics_dir:
        import shutil

        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
