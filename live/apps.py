from django.apps import AppConfig


class LiveConfig(AppConfig):
    name = "live"
    verbose_name = "Live streaming"

    def ready(self):
        from live.services import audit  # noqa: F401  (connects the audit receivers)
        from live.services import cameras  # noqa: F401  (every new event gets its camera)
        from live.services import webhooks  # noqa: F401  (connects the webhook receivers)
        from live.services import recordings  # noqa: F401  (every broadcast is recorded)
