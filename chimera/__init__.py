"""The chimera project: wires the observability and healthdash apps into a demo service."""
