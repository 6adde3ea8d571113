#!/usr/bin/env bash
# Installs everything the test suite drives, on a fresh machine (Debian 12 or
# newer, as root for the Debian packages):
#   python      the venv .venv with token-shim and its test extras
#   curl_jq     curl and jq, which the walk-throughs in the docs use (Debian packages)
#   postgresql  the server binaries (Debian package postgresql)
#   go          Go >= $GO_MIN: the machine's, else Debian's golang-go used only to
#               fetch a newer toolchain (golang.org/toolchain) from the Go module proxy
#   kubectl     the machine's when >= 1.28 (`kubectl auth whoami`), else built
#               with Go from the Kubernetes sources on the Go module proxy
#   terraform   the machine's, else OpenTofu built with Go, installed as `terraform`
#   restapi     the Terraform provider, built with Go into a local mirror
#   kube_apiserver  kube-apiserver and etcd built with Go from the Go module proxy
#               (scripts/build-kube-apiserver.sh), for tests/e2e/test_real_cluster.py
#   flux        Flux's source-controller and kustomize-controller built with Go
#               (scripts/build-flux.sh), for tests/e2e/test_flux.py
#   chromium    Debian's chromium for tests/browser (Playwright for Python, from the
#               test extra, drives it; `playwright install` is never run)
#   container   Debian's buildah, podman, runc and debootstrap, and the local base image
#               the Dockerfile is built on in tests/e2e/test_container.py
#               (scripts/build-container-base.sh: no registry is reachable)
#   helm        helm and kube-validate, built with Go (scripts/build-chart-tools.sh)
#   dashboard   Rancher's dashboard (npm @rancher/shell) built for `serve --dashboard-dir`
#               by scripts/build-dashboard.sh (Node >= 20 and npm: Debian's nodejs, npm),
#               cached by its yarn.lock's hash; tests/browser/test_rancher_dashboard.py
#
# Usage: scripts/install-test-tools.sh ENV_FILE
# Writes `export PATH=...` to ENV_FILE for the caller to source (scripts/test.sh
# does). Every step either succeeds or is reported on stderr with the tool's name
# and how to get it, and the script then exits 1 (after trying the other steps).
# With TOKEN_SHIM_PARTIAL=1 (and not CI=true) a failed step other than python is
# a warning and the exit status is 0: the tests needing that tool are skipped.
#
# Knobs: TOKEN_SHIM_CACHE (default ~/.cache/token-shim), TOKEN_SHIM_TOOLS (steps to
# run, default all of the above), GO_MIN, GO_TOOLCHAIN_VERSION, KUBECTL_VERSION,
# KUBECTL_MIN_MINOR, TOFU_VERSION, KUBE_APISERVER_VERSION (scripts/build-kube-apiserver.sh),
# FLUX_VERSION (scripts/build-flux.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

ENV_FILE=${1:?usage: scripts/install-test-tools.sh ENV_FILE}
CACHE=${TOKEN_SHIM_CACHE:-$HOME/.cache/token-shim}
BIN=$CACHE/bin
GOROOT_DIR=$CACHE/go
STEPS=${TOKEN_SHIM_TOOLS:-python curl_jq postgresql go kubectl terraform restapi kube_apiserver flux chromium dashboard container helm}
GO_MIN=${GO_MIN:-1.26}  # Flux v1.9.6 needs 1.26; k8s.io/kubectl v0.34.13 1.25; OpenTofu 1.9 1.22; restapi 1.18
GO_TOOLCHAIN_VERSION=${GO_TOOLCHAIN_VERSION:-1.26.8}
KUBECTL_VERSION=${KUBECTL_VERSION:-v1.34.13}
KUBECTL_MIN_MINOR=${KUBECTL_MIN_MINOR:-28}
TOFU_VERSION=${TOFU_VERSION:-v1.9.0}
PARTIAL=
[[ ${TOKEN_SHIM_PARTIAL:-} == 1 ]] && PARTIAL=1
if [[ ${CI:-} == true && -n $PARTIAL ]]; then
  echo "install-test-tools: CI=true: TOKEN_SHIM_PARTIAL is ignored, every tool must install" >&2
  PARTIAL=
fi
mkdir -p "$BIN"
export PATH="$BIN:$GOROOT_DIR/bin:$PATH"

log() { echo "install-test-tools: $*" >&2; }

# ---------------------------------------------------------------- the steps

step_python() {
  [[ -x .venv/bin/python ]] || python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check -e '.[test]' >&2
}
hint_python="needs python3 >= 3.11 with venv (Debian: apt-get install python3-venv) and PyPI"

step_curl_jq() {
  command -v curl >/dev/null && command -v jq >/dev/null || apt_install curl jq
  command -v curl >/dev/null && command -v jq >/dev/null
}
hint_curl_jq="install curl and jq on PATH (Debian: apt-get install curl jq)"

step_postgresql() {
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || apt_install postgresql
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1
}
hint_postgresql="install the PostgreSQL server binaries (Debian: apt-get install postgresql), or set TOKENSHIM_PG_BINDIR"

step_go() {
  if ! command -v go >/dev/null; then apt_install golang-go; fi
  if go_at_least "$GO_MIN"; then
    log "go: $(go env GOVERSION) at $(command -v go)"
    return
  fi
  log "go: $(go env GOVERSION) is older than $GO_MIN (the builds below need it):" \
    "fetching go$GO_TOOLCHAIN_VERSION from the Go module proxy"
  fetch_toolchain
  go_at_least "$GO_MIN"
  log "go: $(go env GOVERSION) at $(command -v go)"
}
hint_go="install Go >= $GO_MIN on PATH, or give the Go at hand access to the Go module proxy (golang.org/toolchain@v0.0.1-go$GO_TOOLCHAIN_VERSION)"

step_kubectl() {
  if kubectl_minor=$(kubectl_minor) && ((kubectl_minor >= KUBECTL_MIN_MINOR)); then
    log "kubectl: keeping $(command -v kubectl) (1.$kubectl_minor)"
    return
  fi
  log "kubectl: ${kubectl_minor:+1.$kubectl_minor is older than 1.$KUBECTL_MIN_MINOR; }building $KUBECTL_VERSION with Go into $BIN"
  build_kubectl "$BIN/kubectl"
  kubectl_minor=$(kubectl_minor) && ((kubectl_minor >= KUBECTL_MIN_MINOR))
}
hint_kubectl="install kubectl >= 1.$KUBECTL_MIN_MINOR on PATH (stock Debian's kubernetes-client is too old), or fix the Go build above"

step_terraform() {
  if command -v terraform >/dev/null; then
    log "terraform: keeping $(command -v terraform) ($(terraform version 2>/dev/null | head -1))"
    return
  fi
  log "terraform: none on PATH: building OpenTofu $TOFU_VERSION with Go, installed as $BIN/terraform"
  build_tofu
  terraform version 2>/dev/null | head -1 >&2
}
hint_terraform="install Terraform or OpenTofu as \`terraform\` on PATH, or fix the Go build of OpenTofu above"

step_restapi() {
  bash scripts/build-restapi-providers.sh >&2
}
hint_restapi="the restapi provider is built with Go from the Go module proxy (scripts/build-restapi-providers.sh); see the error above"

step_kube_apiserver() {
  bash scripts/build-kube-apiserver.sh "$BIN" >&2
}
hint_kube_apiserver="kube-apiserver and etcd are built with Go from the Go module proxy (scripts/build-kube-apiserver.sh); see the error above"

step_flux() {
  bash scripts/build-flux.sh "$BIN" >&2
}
hint_flux="Flux's controllers are built with Go >= 1.26 from the Go module proxy (scripts/build-flux.sh); see the error above"

step_chromium() {
  command -v chromium >/dev/null || apt_install chromium
  command -v chromium >/dev/null
}
hint_chromium="install Chromium as \`chromium\` on PATH (Debian: apt-get install chromium)"

step_container() {
  local tool missing=()
  for tool in buildah podman runc debootstrap; do command -v "$tool" >/dev/null || missing+=("$tool"); done
  ((${#missing[@]} == 0)) || apt_install "${missing[@]}"
  TOKEN_SHIM_CACHE=$CACHE bash scripts/build-container-base.sh >&2
}
hint_container="as root: apt-get install buildah podman runc debootstrap, with apt's Debian mirror reachable (the base image is debootstrapped from it; scripts/build-container-base.sh)"

step_helm() {
  bash scripts/build-chart-tools.sh "$BIN" >&2
}
hint_helm="helm and kube-validate are built with Go >= 1.25 from the Go module proxy (scripts/build-chart-tools.sh); see the error above"

step_dashboard() {
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then apt_install nodejs npm; fi
  bash scripts/build-dashboard.sh >&2
}
hint_dashboard="needs Node >= 20 with npm on PATH (Debian: apt-get install nodejs npm) and the npm registry; see scripts/build-dashboard.sh and the error above"

# ---------------------------------------------------------------- helpers

apt_install() { # apt_install PACKAGE...: fails when apt-get or root is missing
  if ! command -v apt-get >/dev/null || [[ $(id -u) != 0 ]]; then
    log "cannot apt-get install $* here (needs root and apt-get)"
    return 1
  fi
  log "apt-get install $*"
  (apt-get update -qq || log "apt-get update failed; trying the install anyway") >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
}

go_at_least() { # go_at_least 1.24: the go on PATH is that version or newer
  local have
  have=$(go env GOVERSION) || return 1
  python3 - "$have" "$1" <<'EOF'
import re, sys
have = [int(n) for n in re.findall(r"\d+", sys.argv[1])[:2]]
want = [int(n) for n in sys.argv[2].split(".")[:2]]
sys.exit(0 if have >= want else 1)
EOF
}

fetch_toolchain() { # the Go distribution from the module proxy, checked against the checksum database
  local module dir
  module="golang.org/toolchain@v0.0.1-go$GO_TOOLCHAIN_VERSION.$(go env GOOS)-$(go env GOARCH)"
  dir=$(go mod download -json "$module" | python3 -c 'import json, sys; print(json.load(sys.stdin)["Dir"])')
  rm -rf "$GOROOT_DIR.tmp" "$GOROOT_DIR"
  cp -r "$dir" "$GOROOT_DIR.tmp"
  chmod -R u+w "$GOROOT_DIR.tmp"
  chmod +x "$GOROOT_DIR.tmp"/bin/* "$GOROOT_DIR.tmp"/pkg/tool/*/*  # module zips keep no modes
  mv "$GOROOT_DIR.tmp" "$GOROOT_DIR"
  hash -r
}

kubectl_minor() { # the minor version of the kubectl on PATH; fails when there is none
  command -v kubectl >/dev/null || return 1
  kubectl version --client -o json 2>/dev/null |
    python3 -c 'import json, re, sys; print(re.match(r"v1\.(\d+)", json.load(sys.stdin)["clientVersion"]["gitVersion"])[1])'
}

build_kubectl() { # build_kubectl DEST: kubectl's main over k8s.io/kubectl, from the module proxy
  local work modver=v0.${KUBECTL_VERSION#v1.} rc=0
  work=$(mktemp -d)
  printf 'module kubectlbuild\n\ngo %s\n' "$GO_MIN" >"$work/go.mod"
  # The main of k8s.io/kubernetes/cmd/kubectl. That module cannot be built from
  # the proxy: its go.mod replaces every k8s.io module with a ./staging folder
  # that its module zip does not contain.
  cat >"$work/main.go" <<'EOF'
package main

import (
	"k8s.io/component-base/cli"
	"k8s.io/kubectl/pkg/cmd"
	"k8s.io/kubectl/pkg/cmd/util"

	_ "k8s.io/client-go/plugin/pkg/client/auth"
)

func main() {
	command := cmd.NewDefaultKubectlCommand()
	if err := cli.RunNoErrOutput(command); err != nil {
		util.CheckErr(err)
	}
}
EOF
  local version_flags="" minor=${KUBECTL_VERSION#v1.} pkg
  minor=${minor%%.*}
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    version_flags+=" -X $pkg.gitVersion=$KUBECTL_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  done
  (cd "$work" && export GOTOOLCHAIN=local &&
    go get "k8s.io/kubectl@$modver" "k8s.io/component-base@$modver" "k8s.io/client-go@$modver" &&
    go mod tidy &&
    go build -trimpath -ldflags "-s -w $version_flags" -o "$work/kubectl" .) >&2 || rc=$?
  if [[ $rc == 0 ]]; then mv "$work/kubectl" "$1" || rc=$?; fi
  rm -rf "$work"
  return $rc
}

build_tofu() { # OpenTofu from the Go module proxy, installed under the name terraform
  local dir
  dir=$(go mod download -json "github.com/opentofu/opentofu@$TOFU_VERSION" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["Dir"])')
  # Build inside the module itself so its go.mod (with its replace directives) applies.
  (cd "$dir" && GOTOOLCHAIN=local go build -o "$BIN/tofu" ./cmd/tofu) >&2
  ln -sf "$BIN/tofu" "$BIN/terraform"
}

# ---------------------------------------------------------------- main

failed=()
for step in $STEPS; do
  declare -F "step_$step" >/dev/null || { log "unknown step $step (TOKEN_SHIM_TOOLS)"; exit 2; }
  start=$SECONDS
  set +e
  (set -e; "step_$step")
  rc=$?
  set -e
  if [[ $rc == 0 ]]; then
    log "$step: ok ($((SECONDS - start))s)"
    continue
  fi
  hint_var="hint_$step"
  log "error: $step: install failed (exit $rc after $((SECONDS - start))s); to get it: ${!hint_var}"
  if [[ $step == python ]]; then exit 1; fi
  failed+=("$step")
done

printf 'export PATH=%q:%q:"$PATH"\n' "$BIN" "$GOROOT_DIR/bin" >"$ENV_FILE"

if ((${#failed[@]})); then
  if [[ -n $PARTIAL ]]; then
    log "warning: TOKEN_SHIM_PARTIAL=1: continuing without ${failed[*]}; the tests needing them are skipped"
    exit 0
  fi
  log "failed: ${failed[*]} (see the errors above; TOKEN_SHIM_PARTIAL=1 runs the tests that do not need them)"
  exit 1
fi
