"""gunicorn settings for teecam: `gunicorn -c deploy/gunicorn.conf.py teecam.wsgi`."""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Status polls are short and CPU-bound: one sync worker per core, plus one.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() + 1))
worker_class = "sync"
keepalive = 5
max_requests = 20000
max_requests_jitter = 2000
# Request lines carry viewer tokens: keep them out of the access log.
accesslog = None
errorlog = "-"
