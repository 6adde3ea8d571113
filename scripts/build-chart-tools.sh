#!/usr/bin/env bash
# The tools tests/e2e/test_helm_chart.py drives, built with Go from the Go module proxy:
#   helm           helm.sh/helm/v3/cmd/helm at $HELM_VERSION (kept when BIN_DIR has it)
#   kube-validate  scripts/kube-validate: strict decoding and the API's structured schema
#                  from k8s.io/client-go at $KUBE_VALIDATE_CLIENT_GO (helm's, so one download);
#                  rebuilt when its source changes
# Usage: scripts/build-chart-tools.sh BIN_DIR
set -euo pipefail
cd "$(dirname "$0")/.."

BIN_DIR=${1:?usage: scripts/build-chart-tools.sh BIN_DIR}
HELM_VERSION=${HELM_VERSION:-v3.20.2}  # needs Go 1.25; v3.21 and later need 1.26
KUBE_VALIDATE_CLIENT_GO=${KUBE_VALIDATE_CLIENT_GO:-v0.35.1}
log() { echo "build-chart-tools: $*" >&2; }
export GOTOOLCHAIN=local

helm_version() { [[ -x $BIN_DIR/helm ]] && "$BIN_DIR/helm" version --template '{{.Version}}' 2>/dev/null; }

if [[ $(helm_version || true) == "$HELM_VERSION" ]]; then
  log "keeping $BIN_DIR/helm ($HELM_VERSION)"
else
  log "building helm $HELM_VERSION into $BIN_DIR"
  GOBIN=$BIN_DIR go install -trimpath \
    -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" \
    "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
fi

stamp="$KUBE_VALIDATE_CLIENT_GO $(sha256sum scripts/kube-validate/main.go | cut -d' ' -f1)"
if [[ -x $BIN_DIR/kube-validate && $(cat "$BIN_DIR/.kube-validate.stamp" 2>/dev/null) == "$stamp" ]]; then
  log "keeping $BIN_DIR/kube-validate"
  exit 0
fi
log "building kube-validate (k8s.io/client-go $KUBE_VALIDATE_CLIENT_GO) into $BIN_DIR"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp scripts/kube-validate/main.go "$work/"
printf 'module kubevalidate\n\ngo 1.25\n' >"$work/go.mod"
(cd "$work" &&
  go get "k8s.io/client-go@$KUBE_VALIDATE_CLIENT_GO" "k8s.io/apimachinery@$KUBE_VALIDATE_CLIENT_GO" &&
  go mod tidy &&
  go build -trimpath -ldflags "-s -w" -o "$work/kube-validate" .) >&2
mv "$work/kube-validate" "$BIN_DIR/kube-validate"
echo "$stamp" >"$BIN_DIR/.kube-validate.stamp"
