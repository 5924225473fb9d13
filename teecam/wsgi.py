import os

from teecam.env import exit_unless_sign_key

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "teecam.settings")
exit_unless_sign_key()

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()

# gunicorn imports this module once in its master (preload_app): load the routes (and the
# views they import) here too, so each worker forks with them instead of spending 0.4 s of
# its first request on the imports.
from django.urls import get_resolver  # noqa: E402

get_resolver().url_patterns
