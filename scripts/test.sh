#!/usr/bin/env bash
# The whole test suite on a fresh machine: install what the tests drive, then run them.
# Extra arguments go to pytest. An install step that fails fails this command
# (before any test runs), unless TOKEN_SHIM_PARTIAL=1: then the tests needing the
# missing tool are skipped and pytest's summary says so.
set -euo pipefail
cd "$(dirname "$0")/.."
env_file=$(mktemp)
trap 'rm -f "$env_file"' EXIT
if ! bash scripts/install-test-tools.sh "$env_file"; then
  echo "test.sh: installing the test tools failed (errors above); no test was run." \
    "TOKEN_SHIM_PARTIAL=1 ./scripts/test.sh runs the tests that do not need the missing tools." >&2
  exit 1
fi
# shellcheck source=/dev/null
source "$env_file"
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
