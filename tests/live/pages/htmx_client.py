"""HtmxClient: django-htmx's test client, or a stand-in with the same ``htmx=`` argument.

``django_htmx.testing`` is newer than the pinned django-htmx 1.29.0, so the
stand-in sends the same headers: ``htmx=True`` adds ``HX-Request: true``, a
dict adds the matching ``HX-*`` headers as well.
"""

from django.test import Client

try:
    from django_htmx.testing import HtmxClient
except ImportError:  # django-htmx < the release that added django_htmx.testing
    _HEADERS = {
        "boosted": "HX-Boosted",
        "current_url": "HX-Current-URL",
        "history_restore_request": "HX-History-Restore-Request",
        "prompt": "HX-Prompt",
        "target": "HX-Target",
        "trigger": "HX-Trigger",
        "trigger_name": "HX-Trigger-Name",
    }

    class HtmxClient(Client):
        def generic(self, method, path, *args, htmx=None, headers=None, **extra):
            if htmx:
                headers = {**(headers or {}), "HX-Request": "true"}
                if isinstance(htmx, dict):
                    for key, value in htmx.items():
                        if key not in _HEADERS:
                            raise ValueError(f"unknown htmx header {key!r}")
                        headers[_HEADERS[key]] = "true" if value is True else str(value)
            return super().generic(method, path, *args, headers=headers, **extra)


__all__ = ["HtmxClient"]
