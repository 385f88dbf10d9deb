"""Benchmarks (not tests): they print ratios measured side by side."""
