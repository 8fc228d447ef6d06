"""Conflict detectors: pure functions on arrays (no I/O, no web, no store)."""
