#!/usr/bin/env bash
# Build a real kube-apiserver and etcd from the Go module proxy, for the tests
# that put token-shim behind (aggregated API) and in front of (TokenReview
# webhook) a real Kubernetes API server.
#
# Usage: scripts/build-kube-apiserver.sh [BIN_DIR]
#   BIN_DIR                 default: ${TOKEN_SHIM_CACHE:-$HOME/.cache/token-shim}/bin
#   KUBE_APISERVER_VERSION  default v1.33.5 (k8s.io/kubernetes)
# Installs BIN_DIR/kube-apiserver and BIN_DIR/etcd. Both are skipped when the
# installed binary already reports the wanted version.
#
# `go install k8s.io/kubernetes/cmd/kube-apiserver@vX` fails: k8s.io/kubernetes's
# go.mod replaces every k8s.io/* staging module with a ./staging folder, and
# replace directives of a dependency are ignored. So we build through a tiny
# wrapper module that requires k8s.io/kubernetes and maps each staging module to
# its published v0.Y.Z. etcd is the go.etcd.io/etcd/server/v3 main at the version
# that same k8s.io/kubernetes requires (3.5.x), built in the same module, so both
# share one build cache.
set -euo pipefail

KUBE_VERSION=${KUBE_APISERVER_VERSION:-v1.33.5}
BIN_DIR=${1:-${TOKEN_SHIM_CACHE:-$HOME/.cache/token-shim}/bin}
STAGING_VERSION=v0.${KUBE_VERSION#v1.}

log() { echo "build-kube-apiserver: $*" >&2; }
die() { log "error: $*"; exit 1; }

installed_kube_version() {
  [[ -x $BIN_DIR/kube-apiserver ]] && "$BIN_DIR/kube-apiserver" --version 2>/dev/null | awk '{print $2}'
}

command -v go >/dev/null || die "go not found on PATH"
mkdir -p "$BIN_DIR"
if [[ $(installed_kube_version || true) == "$KUBE_VERSION" && -x $BIN_DIR/etcd ]]; then
  log "kube-apiserver $KUBE_VERSION and etcd $("$BIN_DIR/etcd" --version | awk '/etcd Version/ {print $3}') already in $BIN_DIR"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
start=$SECONDS

kube_mod=$(go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["GoMod"])') ||
  die "cannot fetch k8s.io/kubernetes@$KUBE_VERSION from the Go module proxy"
etcd_version=$(awk '$1 == "go.etcd.io/etcd/server/v3" {print $2; exit}' "$kube_mod")
[[ -n $etcd_version ]] || die "k8s.io/kubernetes@$KUBE_VERSION requires no go.etcd.io/etcd/server/v3"

{
  printf 'module kubeapiserverbuild\n\ngo %s\n\n' "$(awk '$1 == "go" {print $2; exit}' "$kube_mod")"
  printf 'require (\n\tk8s.io/kubernetes %s\n\tgo.etcd.io/etcd/server/v3 %s\n)\n\n' "$KUBE_VERSION" "$etcd_version"
  echo 'replace ('
  # every `k8s.io/x => ./staging/src/k8s.io/x` of the kubernetes go.mod
  awk '$2 == "=>" && $3 ~ /^\.\/staging\// {printf "\t%s => %s '"$STAGING_VERSION"'\n", $1, $1}' "$kube_mod"
  echo ')'
} >"$work/go.mod"
cat >"$work/tools.go" <<'EOF'
//go:build tools

package tools

import (
	_ "go.etcd.io/etcd/server/v3"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
)
EOF

version_flags=""
minor=${KUBE_VERSION#v1.}
minor=${minor%%.*}
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  version_flags+=" -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
done

log "building kube-apiserver $KUBE_VERSION (staging modules at $STAGING_VERSION) and etcd $etcd_version"
(
  cd "$work"
  export GOTOOLCHAIN=local GOFLAGS=-mod=mod
  go mod tidy -e >/dev/null 2>&1 || true  # fills go.sum; tools.go keeps both mains required
  go build -trimpath -ldflags "-s -w $version_flags" -o "$work/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver
  go build -trimpath -ldflags "-s -w" -o "$work/etcd" go.etcd.io/etcd/server/v3
) >&2 || die "go build failed (see above)"
mv "$work/etcd" "$BIN_DIR/etcd"
mv "$work/kube-apiserver" "$BIN_DIR/kube-apiserver"
log "installed $BIN_DIR/kube-apiserver ($(installed_kube_version)) and $BIN_DIR/etcd in $((SECONDS - start))s"
