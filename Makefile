.PHONY: bench bench-quick

PYTHON ?= .venv/bin/python

# Benchmarks (docs/benchmarks.md): about 20 minutes; run on a quiet machine.
bench:
	$(PYTHON) -m bench.run

# The same harness with short rounds: a smoke run of a few minutes.
bench-quick:
	$(PYTHON) -m bench.run --quick
