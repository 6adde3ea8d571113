"""Benchmarks (issue 7): `make bench`, `make bench-quick`; see docs/benchmarks.md."""
