#!/usr/bin/env bash
# Installs everything the test suite drives, on a fresh machine:
# the Python venv, kubectl and PostgreSQL (Debian packages), terraform (or, when
# the machine has none, OpenTofu built with Go and installed as `terraform`),
# the restapi provider built into a local Terraform mirror, and Debian's chromium for
# the browser tests (driven by Playwright for Python, from the test extra).
# Prints `export PATH=...` lines for the caller to eval.
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE=${TOKEN_SHIM_CACHE:-$HOME/.cache/token-shim}
BIN=$CACHE/bin
TOFU_VERSION=${TOFU_VERSION:-v1.9.0}
mkdir -p "$BIN"
log() { echo "install-test-tools: $*" >&2; }

apt_install() { # apt_install PACKAGE...: only where apt-get exists and we are root
  if command -v apt-get >/dev/null && [[ $(id -u) == 0 ]]; then
    log "apt-get install $*"
    (apt-get update -qq || true) >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
  else
    log "cannot install $* here (needs root and apt-get); the tests needing it will skip"
  fi
}

python_env() {
  [[ -x .venv/bin/python ]] || python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check -e '.[test]' >&2
}

build_tofu() { # OpenTofu from the Go module proxy, installed under the name terraform
  local dir
  log "no terraform on PATH: building OpenTofu $TOFU_VERSION with Go"
  dir=$(go mod download -json "github.com/opentofu/opentofu@$TOFU_VERSION" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["Dir"])')
  # Build inside the module itself so its go.mod (with its replace directives) applies.
  (cd "$dir" && go build -o "$BIN/tofu" ./cmd/tofu) >&2
  ln -sf "$BIN/tofu" "$BIN/terraform"
}

browser_tools() { # Debian's chromium for tests/browser (Playwright drives it; no `playwright install`)
  command -v chromium >/dev/null || apt_install chromium
}

python_env
browser_tools
command -v kubectl >/dev/null || apt_install kubectl
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || apt_install postgresql
command -v go >/dev/null || apt_install golang-go
export PATH="$BIN:$PATH"
if ! command -v terraform >/dev/null && command -v go >/dev/null; then build_tofu; fi
if command -v go >/dev/null; then bash scripts/build-restapi-providers.sh >&2; fi
log "terraform: $(command -v terraform || echo missing) ($(terraform version 2>/dev/null | head -1))"
echo "export PATH=\"$BIN:\$PATH\""
