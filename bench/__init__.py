"""Benchmarks of issue 7: `python -m bench` (or `make bench`) runs them all."""
