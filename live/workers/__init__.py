"""The long-running processes and their jobs: what runs outside gunicorn.

``livepackager`` (packager, leases, ingest health, media jobs, the ladder, thumbnails,
samples, recording upkeep, simulcast, the clip cutter), ``runwhip`` (whip/),
``deliverwebhooks`` (webhook_delivery) and ``runscheduler`` (scheduler). Workers ask
``live.services`` for the rules; request code never imports from here (pyproject.toml's
import contracts and tests/test_layers.py hold both).
"""
