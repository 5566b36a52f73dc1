"""Benchmarks of the smvp engine against hand-written numpy (see benchmarks/RESULTS.md)."""
