"""Content negotiation for hot JSON-only endpoints."""

from rest_framework.negotiation import BaseContentNegotiation


class JsonOnly(BaseContentNegotiation):
    """Always the view's first renderer (JSON): no Accept parsing on every poll.

    DRF's default negotiation parses Accept and the format parameter on every
    request (some 40 µs here) only to pick the one renderer the API has.
    """

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        renderer = renderers[0]
        return renderer, renderer.media_type
