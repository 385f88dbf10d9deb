"""Tracing: configuration, set-up once per process, the server middleware, sampling and exporters.

``observability.tracing.configuration`` holds ``TracingConfig`` and ``get_tracing_config()``;
nothing here imports OpenTelemetry until tracing is set up.
"""
