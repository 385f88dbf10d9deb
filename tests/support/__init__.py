"""Helpers shared by the test modules: processes, ports, environments."""
