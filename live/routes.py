"""Routes two rooms answer: the API (live/api/) and the pages (live/views/) may not
import each other (pyproject.toml's layers), so the one path they share is chosen here.
"""

from django.views.decorators.csrf import csrf_exempt

from live.api.shot_views import ShotDetailView
from live.http import wants_page
from live.views.shots import shot_page

_shot_detail = ShotDetailView.as_view()


@csrf_exempt  # as DRF's own views: the API checks CSRF itself for staff sessions
def shot_route(request, event_id, shot_id):
    """``/events/<id>/shots/<shot>``: the shot's page for a shared link, the API's JSON
    for everyone else."""
    if wants_page(request):
        return shot_page(request, event_id, shot_id)
    return _shot_detail(request, event_id=event_id, shot_id=shot_id)


# The OpenAPI schema describes the path by its API view (drf-spectacular reads these).
shot_route.cls, shot_route.initkwargs = ShotDetailView, {}
