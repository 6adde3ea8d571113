#!/usr/bin/env bash
# The whole test suite on a fresh machine: install what the tests drive, then run them.
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(bash scripts/install-test-tools.sh)"
exec .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
