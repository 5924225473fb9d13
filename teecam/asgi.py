import os

from teecam.env import exit_unless_sign_key

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "teecam.settings")
exit_unless_sign_key()

from django.core.asgi import get_asgi_application  # noqa: E402

application = get_asgi_application()
