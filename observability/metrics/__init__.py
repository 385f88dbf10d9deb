"""Metrics: configuration, instruments, the middleware, ``/metrics`` and OTLP pushes.

``observability.metrics.configuration`` holds ``MetricsConfig`` and ``get_metrics_config()``.
"""
