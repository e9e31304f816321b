"""Benchmarks for the offline gate (``make bench``); not part of the test suite."""
