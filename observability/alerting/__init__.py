"""Alerting: service-level objectives, the Prometheus rules and the Grafana dashboard generated from them."""
