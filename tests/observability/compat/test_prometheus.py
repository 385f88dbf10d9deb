"""The prometheus_client internals observability.compat.prometheus relies on, pinned in the installed version."""

from __future__ import annotations

from prometheus_client import Counter, values

from observability.compat.prometheus import use_multiprocess_values


def test_metrics_made_after_the_switch_keep_their_values_in_the_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    monkeypatch.setattr(values, "ValueClass", values.MutexValue)  # as imported without the variable
    assert values.MutexValue._multiprocess is False, "MutexValue._multiprocess is gone"
    use_multiprocess_values()
    switched = values.ValueClass
    assert switched._multiprocess is True, "MultiProcessValue()'s class no longer says _multiprocess"
    Counter("compat_pinned", "A counter made after the switch.", registry=None).inc()
    assert [path.name.split("_")[0] for path in tmp_path.glob("*.db")] == ["counter"], (
        "metrics no longer read values.ValueClass when they are made")
    use_multiprocess_values()
    assert values.ValueClass is switched
