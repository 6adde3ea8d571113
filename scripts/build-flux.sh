#!/usr/bin/env bash
# Build Flux's source-controller and kustomize-controller from the Go module proxy,
# for the test that reconciles examples/gitops/ from Git through a real kube-apiserver
# (tests/e2e/test_flux.py), and keep their CRDs beside them.
#
# Usage: scripts/build-flux.sh [BIN_DIR]
#   BIN_DIR        default: ${TOKEN_SHIM_CACHE:-$HOME/.cache/token-shim}/bin
#   FLUX_VERSION   default v1.9.6 (both controllers; v1.10 needs Go >= 1.27)
# Installs BIN_DIR/flux-source-controller, BIN_DIR/flux-kustomize-controller and the
# CRDs under BIN_DIR/../flux-crds/<version>/. Skipped when they are already there.
#
# Each controller is built inside a copy of its own module (its go.mod keeps its
# replace directives) with two changes: its `./api` replace is dropped for the
# published api module of the same version (the module zip has no ./api), and
# source-controller's github.com/fluxcd/pkg/artifact is pinned to v0.18.0 (the proxy
# refuses v0.18.3). No `go mod tidy`: it would ask for a test-only module the proxy refuses.
set -euo pipefail

VERSION=${FLUX_VERSION:-v1.9.6}
BIN_DIR=${1:-${TOKEN_SHIM_CACHE:-$HOME/.cache/token-shim}/bin}
CRD_DIR=$(dirname "$BIN_DIR")/flux-crds/$VERSION

log() { echo "build-flux: $*" >&2; }
die() { log "error: $*"; exit 1; }

command -v go >/dev/null || die "go not found on PATH"
if [[ -x $BIN_DIR/flux-source-controller && -x $BIN_DIR/flux-kustomize-controller &&
      -f $CRD_DIR/.complete ]]; then
  log "source-controller and kustomize-controller $VERSION already in $BIN_DIR"
  exit 0
fi
mkdir -p "$BIN_DIR" "$CRD_DIR"
work=$(mktemp -d)
trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT
start=$SECONDS

build() { # build NAME EXTRA_REQUIRE...
  local name=$1 module=github.com/fluxcd/$1 dir
  shift
  dir=$(go mod download -json "$module@$VERSION" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["Dir"])') ||
    die "cannot fetch $module@$VERSION from the Go module proxy"
  cp -r "$dir" "$work/$name"
  chmod -R u+w "$work/$name"
  (
    cd "$work/$name"
    export GOTOOLCHAIN=local GOFLAGS=-mod=mod
    go mod edit -dropreplace="$module/api" -require="$module/api@$VERSION"
    for req in "$@"; do go mod edit -require="$req"; done
    go build -trimpath -ldflags "-s -w" -o "$work/flux-$name" .
  ) >&2 || die "go build of $name failed (see above)"
  cp "$dir"/config/crd/bases/*.yaml "$CRD_DIR/"
  mv "$work/flux-$name" "$BIN_DIR/flux-$name"
}

log "building source-controller and kustomize-controller $VERSION"
build source-controller github.com/fluxcd/pkg/artifact@v0.18.0
build kustomize-controller
touch "$CRD_DIR/.complete"
log "installed flux-source-controller and flux-kustomize-controller $VERSION in $BIN_DIR, CRDs in $CRD_DIR, in $((SECONDS - start))s"
