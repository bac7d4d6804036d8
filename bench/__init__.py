"""Capacity benchmarks of one machine: `scripts/bench` (or `make bench`) runs them and writes docs/benchmarks.md."""
