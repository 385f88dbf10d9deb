"""Request correlation IDs, OpenTelemetry tracing from the environment, log correlation."""
