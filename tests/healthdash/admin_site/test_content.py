"""What the admin health page writes: values, times, the banner, sections, the tracing block."""

from __future__ import annotations

import pytest

from healthdash.admin_site.content import (
    EMPTY,
    banner,
    clock,
    display,
    latency,
    section_table,
    tracing,
    tracing_value,
    when,
)
from healthdash.admin_site.view import refresh_seconds


@pytest.mark.parametrize(("value", "text"), [
    (None, EMPTY), ("", EMPTY), (True, "yes"), (False, "no"), (0, "0"), (0.5, "0.5"), (1.0, "1"), (-3.0, "-3"),
    ("otlp", "otlp"),
    ([1, "a", 2.0], '[1, "a", 2]'), ({"k": None, "é": [True]}, '{"k": null, "é": [true]}'),
])
def test_display(value, text):
    assert display(value) == text


def test_times_are_written_in_utc_from_the_iso_string():
    assert when("2026-11-26T10:00:03.123Z") == "2026-11-26 10:00:03 UTC"
    assert clock("2026-11-26T10:00:03.123Z") == "10:00:03 UTC"
    assert when(None) == clock("") == EMPTY


def test_latency_has_one_decimal():
    assert (latency(1.44), latency(0), latency(None), latency(True)) == ("1.4 ms", "0.0 ms", EMPTY, EMPTY)


def services(**statuses):
    return {"services": {name: {"status": status, "critical": name.startswith("crit")}
                         for name, status in statuses.items()}}


def test_banner_names_what_is_wrong():
    assert banner(services(a="up", b="up")) == "Up: all 2 services are up."
    assert banner(services(a="up", b="degraded", c="down")) == "Degraded: 2 of 3 services not up (b, c)."
    assert banner(services(crit_db="down", b="down")) == "Down: critical service crit_db."
    assert banner(services(crit_db="down", crit_cache="down")) == "Down: critical services crit_db, crit_cache."


def test_a_section_with_items_is_a_table_with_the_other_keys_as_facts():
    table = section_table("llm_providers", {"count": 2, "items": [{"name": "local", "available": True},
                                                                   {"name": "google", "reason": "no key"}]})
    assert table.title == "Llm providers"
    assert table.columns == ("Name", "Available", "Reason")
    assert table.rows == (("local", "yes", EMPTY), ("google", EMPTY, "no key"))
    assert table.facts == (("Count", "2"),)


def test_other_sections_are_facts():
    assert section_table("build", {"version": "1.2"}).facts == (("Version", "1.2"),)
    assert section_table("build", {"items": "not a list"}).facts == (("Items", "not a list"),)
    assert section_table("mode", "maintenance").facts == (("Value", "maintenance"),)


@pytest.mark.parametrize(("value", "text"), [
    ({"result": None, "at": None, "error": None}, "none yet"),
    ({"result": "success", "at": "2026-11-26T10:00:00Z", "error": None}, "success at 2026-11-26 10:00:00 UTC"),
    ({"result": "failure", "at": "2026-11-26T10:00:00Z", "error": "refused"},
     "failure at 2026-11-26 10:00:00 UTC: refused"),
])
def test_last_export(value, text):
    assert tracing_value("last_export", value) == text


def test_the_tracing_block_shows_known_details_in_order():
    payload = {"services": {"tracing": {"details": {"sample_rate": 0.5, "enabled": True, "other": 1}}}}
    assert tracing(payload) == [("enabled", "Enabled", "yes"), ("sample_rate", "Sample rate", "0.5")]
    assert tracing({"services": {}}) == []


@pytest.mark.parametrize(("cache_seconds", "interval"), [(0, 5), (0.5, 2), (1, 2), (5, 5), (30, 30), (600, 60)])
def test_the_page_refreshes_as_often_as_results_change(cache_seconds, interval):
    assert refresh_seconds(cache_seconds) == interval
