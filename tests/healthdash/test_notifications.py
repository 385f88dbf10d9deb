"""The webhook: payloads, delivery to a real HTTP server, bounded retries counted, never waited for."""

from __future__ import annotations

import logging
import queue
import time
from datetime import UTC, datetime

import pytest

from healthdash.notifications import Sender, payload
from healthdash.transitions import Due
from observability.metrics.setup import prometheus_backend
from tests.support.webhooks import WebhookReceiver

DUE = Due("search", "down", "up", datetime(2026, 12, 7, 10, 0, 5, 123456, tzinfo=UTC))


@pytest.fixture
def receiver():
    with WebhookReceiver() as server:
        yield server


@pytest.fixture
def webhook(settings, receiver):
    """The receiver as HEALTH_WEBHOOK_URL, and a fresh metrics registry."""
    settings.OBSERVABILITY = {**settings.OBSERVABILITY}
    settings.HEALTHDASH = {**settings.HEALTHDASH, "HEALTH_WEBHOOK_URL": receiver.url}
    return receiver


def sample(name: str, **labels: str) -> float:
    return prometheus_backend().registry.get_sample_value(name, labels) or 0.0


def quick_sender(**options) -> Sender:
    return Sender(**{"timeout": 0.5, "backoff": (0.05, 0.05), **options})


def test_plain_payload_names_the_change_in_utc():
    assert payload(DUE, "json") == {"service": "search", "status": "down", "previous": "up",
                                    "at": "2026-12-07T10:00:05.123Z"}


def test_slack_payload_is_a_text():
    assert payload(DUE, "slack") == {"text": "Health: search is down (was up) since 2026-12-07T10:00:05.123Z."}


def test_a_notification_is_posted_as_json(webhook):
    sender = quick_sender()
    assert sender.send(DUE)
    assert sender.wait(10)
    [delivery] = webhook.deliveries
    assert delivery.path == webhook.path and delivery.headers["content-type"] == "application/json"
    assert delivery.json() == payload(DUE, "json")
    assert sample("health_webhook_deliveries_total", outcome="delivered") == 1


def test_slack_format_posts_the_text(webhook, settings):
    settings.HEALTHDASH = {**settings.HEALTHDASH, "HEALTH_WEBHOOK_FORMAT": "slack"}
    sender = quick_sender()
    sender.send(DUE)
    assert sender.wait(10)
    assert webhook.received() == [payload(DUE, "slack")]


def test_without_a_webhook_nothing_is_sent(receiver):
    assert quick_sender().send(DUE) is False
    time.sleep(0.2)
    assert receiver.deliveries == []


def test_a_failing_webhook_is_tried_three_times_then_counted_as_failed(webhook, caplog):
    webhook.mode = "error"
    sender = quick_sender()
    with caplog.at_level(logging.WARNING, logger="healthdash.notifications"):
        sender.send(DUE)
        assert sender.wait(10)
    assert len(webhook.deliveries) == 3
    assert sample("health_webhook_retries_total") == 2
    assert sample("health_webhook_deliveries_total", outcome="failed") == 1
    assert "answered 500" in caplog.text
    assert webhook.path not in caplog.text and "secret-webhook-token" not in caplog.text


def test_a_refusal_other_than_5xx_is_final(webhook):
    webhook.mode = "reject"
    sender = quick_sender()
    sender.send(DUE)
    assert sender.wait(10)
    assert len(webhook.deliveries) == 1
    assert sample("health_webhook_retries_total") == 0
    assert sample("health_webhook_deliveries_total", outcome="failed") == 1


def test_a_hanging_webhook_never_holds_the_caller_and_gives_up_after_bounded_attempts(webhook):
    webhook.mode = "hang"
    sender = quick_sender(timeout=0.3)
    started = time.monotonic()
    sender.send(DUE)
    sender.send(DUE)
    queued_in = time.monotonic() - started
    assert queued_in < sender.timeout  # both queued while the first POST still waits for its answer
    assert sender.wait(20)
    assert len(webhook.deliveries) == 6  # three attempts each, then given up
    assert sample("health_webhook_deliveries_total", outcome="failed") == 2


def test_a_closed_port_is_retried_and_counted(settings):
    settings.OBSERVABILITY = {**settings.OBSERVABILITY}
    from tests.support.processes import free_port

    settings.HEALTHDASH = {**settings.HEALTHDASH, "HEALTH_WEBHOOK_URL": f"http://127.0.0.1:{free_port()}/hook"}
    sender = quick_sender()
    sender.send(DUE)
    assert sender.wait(10)
    assert sample("health_webhook_retries_total") == 2
    assert sample("health_webhook_deliveries_total", outcome="failed") == 1


def test_a_full_queue_drops_and_counts_without_waiting(webhook, monkeypatch):
    sender = quick_sender()
    full: queue.Queue = queue.Queue(1)
    full.put(object())
    monkeypatch.setattr(sender, "queue", full)
    monkeypatch.setattr(sender, "_start", lambda: None)  # nothing drains it
    assert sender.send(DUE) is False
    assert sample("health_webhook_deliveries_total", outcome="dropped") == 1


def test_the_webhook_url_is_masked_in_any_log_line(webhook):
    from observability.redaction import redact

    assert "secret-webhook-token" not in redact(f"POST {webhook.url} failed, path {webhook.path}")
