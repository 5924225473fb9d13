"""{% sparkline points width height label %}: an accessible, server-rendered SVG."""

import re

from django.template import Context, Template


def render(points, label="Watching now", width=160, height=32):
    template = Template("{% load charts %}{% sparkline points width height label %}")
    return template.render(
        Context({"points": points, "width": width, "height": height, "label": label})
    )


def polylines(svg):
    return re.findall(r'<polyline points="([^"]+)"', svg)


def test_it_is_an_image_named_by_its_minimum_maximum_and_latest_value():
    svg = render([2, 5, 1, 3])

    assert svg.startswith("<svg")
    assert 'role="img"' in svg
    assert 'aria-label="Watching now: min 1, max 5, last 3"' in svg
    assert "<title>Watching now: min 1, max 5, last 3</title>" in svg
    assert 'width="160" height="32" viewBox="0 0 160 32"' in svg


def test_it_draws_one_point_per_value_inside_the_box():
    [line] = polylines(render([2, 5, 1, 3]))

    points = [tuple(map(float, pair.split(","))) for pair in line.split()]
    assert len(points) == 4
    assert all(0 <= x <= 160 and 0 <= y <= 32 for x, y in points)
    assert points[1][1] < points[3][1] < points[0][1] < points[2][1]  # higher is up


def test_a_gap_splits_the_line_and_is_left_out_of_the_summary():
    svg = render([1.5, None, 4, 2], label="Bitrate (kb/s)")

    assert len(polylines(svg)) == 2
    assert 'aria-label="Bitrate (kb/s): min 1.5, max 4, last 2"' in svg


def test_no_data_says_so_and_draws_nothing():
    for points in ([], None, [None, None]):
        svg = render(points)
        assert 'aria-label="Watching now: no data yet"' in svg
        assert polylines(svg) == []


def test_a_flat_series_is_drawn_across_the_middle():
    [line] = polylines(render([4, 4, 4]))

    assert {pair.split(",")[1] for pair in line.split()} == {"16.0"}


def test_the_label_is_escaped():
    svg = render([1], label='<script>"x"</script>')

    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
