.PHONY: bench bench-quick mutation mutation-report

PYTHON ?= .venv/bin/python

# Benchmarks (docs/benchmarks.md): about 30 minutes (the scale group seeds 10M tokens
# per backend, ~2 minutes each); run on a quiet machine.
bench:
	$(PYTHON) -m bench.run

# The same harness with short rounds: a smoke run of a few minutes.
bench-quick:
	$(PYTHON) -m bench.run --quick

# Mutation testing (README, "Mutation testing"): mutmut 3 over the code that guards secrets
# and rules, with the unit and API tests as the kill set. Long (an hour and more on a busy
# machine): it runs niced. MUTANTS narrows it, e.g. make mutation MUTANTS='shim.crypto.*'.
MUTANTS ?= shim.crypto.* shim.policy.* shim.core.auth.* shim.throttle.* \
	shim.core.settings.*check_cross_rules* shim.core.settings.*_merged*
MUTATION_JOBS ?= 2
QUOTED = $(foreach m,$(MUTANTS),'$(m)')

mutation:
	$(PYTHON) -m pip install -q -e '.[test,mutation]'
	nice -n 10 $(PYTHON) -m mutmut run --max-children $(MUTATION_JOBS) $(QUOTED)
	$(PYTHON) scripts/mutation_report.py $(QUOTED)

# The summary of the last run only.
mutation-report:
	$(PYTHON) scripts/mutation_report.py $(QUOTED)
