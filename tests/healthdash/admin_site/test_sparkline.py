"""The sparkline's geometry: latencies scaled from 0 to the largest, newest on the right."""

from __future__ import annotations

from healthdash.admin_site.sparkline import HEIGHT, PAD, WIDTH, sparkline


def points(chart) -> list[tuple[float, float]]:
    return [tuple(map(float, point.split(","))) for point in chart.points.split()]


def test_no_samples_draws_nothing():
    chart = sparkline([])
    assert (chart.points, chart.markers, chart.label) == ("", (), "No checks yet")


def test_one_sample_is_a_dot_in_the_middle():
    chart = sparkline([(3.0, "up")])
    assert points(chart) == [(WIDTH / 2, PAD)]
    assert [(m.x, m.y, m.latest) for m in chart.markers] == [(WIDTH / 2, PAD, True)]


def test_latencies_scale_from_zero_to_the_largest_across_the_width():
    chart = sparkline([(0.0, "up"), (5.0, "up"), (10.0, "up")])
    assert points(chart) == [(PAD, HEIGHT - PAD), (WIDTH / 2, HEIGHT / 2), (WIDTH - PAD, PAD)]


def test_all_zero_latencies_lie_flat_at_the_bottom():
    assert {y for _, y in points(sparkline([(0.0, "up")] * 4))} == {HEIGHT - PAD}


def test_checks_that_were_not_up_and_the_latest_get_markers():
    chart = sparkline([(1.0, "up"), (2.0, "down"), (1.0, "degraded"), (1.5, "up"), (1.0, "up")])
    assert [(m.status, m.latest) for m in chart.markers] == [("down", False), ("degraded", False), ("up", True)]


def test_the_label_says_what_the_chart_shows():
    assert sparkline([(0.42, "up"), (2.06, "down"), (1.2, "up")]).label == (
        "Latency of the last 3 checks: 0.4 to 2.1 ms, latest 1.2 ms; 1 not up")
    assert sparkline([(1.0, "up")]).label == "Latency of the last 1 check: 1.0 to 1.0 ms, latest 1.0 ms"


def test_coordinates_are_short():
    chart = sparkline([(1 / 3, "up"), (2 / 3, "up"), (1.0, "up"), (0.1, "up")])
    assert all(len(value.partition(".")[2]) <= 1 for point in chart.points.split() for value in point.split(","))
