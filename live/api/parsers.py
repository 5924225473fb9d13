"""The API's JSON parser: a body nested too deeply is a 400, not a 500."""

from rest_framework import exceptions
from rest_framework.parsers import JSONParser


class SafeJSONParser(JSONParser):
    """DRF's JSONParser, with RecursionError turned into a ParseError.

    ``{"ttl": [[[[…]]]]}`` nested a thousand deep is 2 kB, well under any body
    limit, yet Python's json module runs out of stack on it (RecursionError,
    which is not the ValueError DRF catches) and every JSON route answered 500.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError("JSON parse error - the body is nested too deeply.")
