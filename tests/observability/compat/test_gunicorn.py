"""The gunicorn internals observability.compat.gunicorn relies on, pinned in the installed version."""

from __future__ import annotations

import signal

import pytest
from gunicorn.arbiter import Arbiter

from observability.compat.gunicorn import handle_master_sigterm


class Handled(Exception):
    pass


def test_the_master_loop_dispatches_sigterm_to_the_replaced_handler(monkeypatch):
    arbiter = Arbiter.__new__(Arbiter)  # no application: only the dispatch is exercised
    stops = []
    monkeypatch.setattr(Arbiter, "handle_term", lambda self: stops.append("gunicorn's stop"))

    def handler(stop):
        stop()
        raise Handled

    handle_master_sigterm(arbiter, handler)
    signame = Arbiter.SIG_NAMES[signal.SIGTERM]
    with pytest.raises(Handled):
        getattr(arbiter, f"handle_{signame}")()  # as Arbiter.run() looks the handler up
    assert stops == ["gunicorn's stop"]
    assert "handle_%s" in Arbiter.run.__code__.co_consts, "Arbiter.run() no longer looks up handle_<signal>"
