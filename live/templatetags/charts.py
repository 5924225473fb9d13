"""``{% sparkline points width height label %}``: a small, accessible inline SVG chart.

Server-rendered, no JavaScript (the CSP allows no inline script anyway). The
points are numbers, oldest first; ``None`` is a gap (not measured). Screen
readers get ``role="img"`` with a label giving the minimum, maximum and latest
value, and the same text is the SVG's ``<title>`` (a tooltip).

    {% load charts %}
    {% sparkline series.watching 160 32 "Watching now" %}
"""

from django import template
from django.utils.html import format_html, format_html_join

register = template.Library()

PAD = 2  # keeps the stroke inside the box at the extremes


def _number(value):
    return f"{value:.2f}".rstrip("0").rstrip(".")


def summary(points, label):
    """The accessible name: ``Watching now: min 0, max 5, last 3`` (or no data yet)."""
    values = [value for value in points if value is not None]
    if not values:
        return f"{label}: no data yet"
    last = next(value for value in reversed(points) if value is not None)
    return (
        f"{label}: min {_number(min(values))}, max {_number(max(values))}, "
        f"last {_number(last)}"
    )


def _polylines(points, width, height):
    """The ``points`` attribute of one polyline per run of measured values."""
    values = [value for value in points if value is not None]
    if not values:
        return []
    low, high = min(values), max(values)
    span = (high - low) or 1
    step = (width - 2 * PAD) / max(1, len(points) - 1)
    runs, current = [], []
    for index, value in enumerate(points):
        if value is None:
            if current:
                runs.append(current)
            current = []
            continue
        x = PAD + index * step
        # A flat series sits in the middle, not on the floor.
        y = height / 2 if high == low else height - PAD - (value - low) / span * (height - 2 * PAD)
        current.append((x, y))
    if current:
        runs.append(current)
    # A lone point draws as a short dash, so that it shows.
    runs = [run if len(run) > 1 else [run[0], (run[0][0] + 1, run[0][1])] for run in runs]
    return [" ".join(f"{x:.1f},{y:.1f}" for x, y in run) for run in runs]


@register.simple_tag
def sparkline(points, width=120, height=24, label="Chart"):
    points = list(points or [])
    width, height = int(width), int(height)
    name = summary(points, label)
    lines = format_html_join(
        "",
        '<polyline points="{}" fill="none" stroke="currentColor" stroke-width="1.5" '
        'stroke-linejoin="round" stroke-linecap="round"/>',
        ((line,) for line in _polylines(points, width, height)),
    )
    return format_html(
        '<svg class="sparkline" role="img" aria-label="{}" width="{}" height="{}" '
        'viewBox="0 0 {} {}" xmlns="http://www.w3.org/2000/svg"><title>{}</title>{}</svg>',
        name,
        width,
        height,
        width,
        height,
        name,
        lines,
    )
