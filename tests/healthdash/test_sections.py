"""The sections extension point."""

from __future__ import annotations

import pytest

from healthdash.registry import AlreadyRegistered
from healthdash.sections import section_registry


def test_register_and_collect(sections):
    sections.register("providers", lambda detailed: {"count": 0, "items": []})
    sections.register("queues", lambda detailed: ["q1"] if detailed else [])
    assert sections.names() == ["providers", "queues"]
    assert sections.collect(True) == {"providers": {"count": 0, "items": []}, "queues": ["q1"]}
    assert sections.collect(False)["queues"] == []


def test_duplicates_need_replace(sections):
    sections.register("providers", lambda detailed: 1)
    with pytest.raises(AlreadyRegistered, match="pass replace=True"):
        sections.register("providers", lambda detailed: 2)
    sections.register("providers", lambda detailed: 2, replace=True)
    assert sections.collect(False) == {"providers": 2}


@pytest.mark.parametrize("name", ["services", "middleware", "status", "checked_at", ""])
def test_reserved_names_are_refused(sections, name):
    with pytest.raises(ValueError, match="section name"):
        sections.register(name, lambda detailed: None)


def test_unregister(sections):
    sections.register("providers", lambda detailed: 1)
    sections.unregister("providers")
    assert sections.collect(False) == {}


def test_chimera_registers_its_providers_section():
    assert "providers" in section_registry.names()
    providers = section_registry.collect(False)["providers"]
    assert providers["count"] == len(providers["items"]) >= 1
    assert providers["items"][0]["name"] == "local"
