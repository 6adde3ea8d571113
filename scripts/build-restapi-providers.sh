#!/usr/bin/env bash
# Build Mastercard's terraform-provider-restapi at several versions from the Go
# module proxy, install them into a Terraform filesystem mirror and write a
# Terraform CLI config (for TF_CLI_CONFIG_FILE) that installs restapi from it.
#
# Usage: scripts/build-restapi-providers.sh [CACHE_DIR]
#   CACHE_DIR          default: ${TOKEN_SHIM_CACHE:-$HOME/.cache/token-shim}/terraform
#   RESTAPI_VERSIONS   provider versions to build (default: "1.20.0")
#   RESTAPI_MODVER_<V> Go module version for provider version V, dots as
#                      underscores (e.g. RESTAPI_MODVER_2_0_1=v1.20.1-0.<time>-<hash>)
# Versions already in the mirror are skipped. The last line of stdout is the
# path of the CLI config file.
set -euo pipefail

MODULE=github.com/Mastercard/terraform-provider-restapi
# v2.0.1 and v3.0.0 are left out by default: the module proxy reachable here does
# not serve their tag commits (see examples/terraform/README.md).
VERSIONS=${RESTAPI_VERSIONS:-1.20.0}
CACHE_DIR=${1:-${TOKEN_SHIM_CACHE:-$HOME/.cache/token-shim}/terraform}
MIRROR=$CACHE_DIR/mirror
CLI_CONFIG=$CACHE_DIR/terraform.tfrc

die() { echo "build-restapi-providers: error: $*" >&2; exit 1; }
log() { echo "build-restapi-providers: $*"; }

# Go module version of each provider version. v1.x tags are plain module
# versions. The v2.0.1 and v3.0.0 tags are NOT usable as Go versions (their
# go.mod keeps the module path without a /v2 or /v3 suffix), so Go can only
# fetch those commits by pseudo-version (v1.20.1-0.<UTC commit time>-<12-hex
# commit>), and the proxy here serves only exact versions (no @v/list, no
# commit-hash or tag queries): the pseudo-version must be given exactly.
modver() {
  local var="RESTAPI_MODVER_${1//./_}"
  if [[ -n ${!var:-} ]]; then echo "${!var}"; return; fi
  case $1 in
    1.*) echo "v$1" ;;
    *) return 1 ;;
  esac
}

build() { # build MODVER DEST
  local work rc=0
  work=$(mktemp -d)
  printf 'module restapibuild\n\ngo 1.21\n\nrequire %s %s\n' "$MODULE" "$1" >"$work/go.mod"
  printf '//go:build tools\n\npackage tools\n\nimport _ "%s"\n' "$MODULE" >"$work/tools.go"
  # Build via a throwaway wrapper module: `go install MODULE@VERSION` would ask
  # the proxy for @v/list (deprecation check), which it refuses.
  (cd "$work" && go mod tidy && go build -trimpath -o "$work/provider" "$MODULE") >&2 || rc=$?
  # Only a finished binary enters the mirror: Terraform treats any version
  # directory there as an available version.
  if [[ $rc == 0 ]]; then mkdir -p "$(dirname "$2")" && mv "$work/provider" "$2" || rc=$?; fi
  rm -rf "$work"
  return $rc
}

# Terraform's platform name; without Go (a mirror already complete needs none) from uname.
platform() {
  if command -v go >/dev/null; then echo "$(go env GOOS)_$(go env GOARCH)"; return; fi
  local arch
  case $(uname -m) in
    x86_64) arch=amd64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) arch=$(uname -m) ;;
  esac
  echo "$(uname -s | tr '[:upper:]' '[:lower:]')_$arch"
}

PLATFORM=$(platform)
mkdir -p "$MIRROR"

failed=()
for v in $VERSIONS; do
  dir=$MIRROR/registry.terraform.io/mastercard/restapi/$v/$PLATFORM
  bin=$dir/terraform-provider-restapi_v$v
  if [[ -x $bin ]]; then
    log "restapi $v: already built ($bin), skipping"
    continue
  fi
  if ! modv=$(modver "$v"); then
    echo "build-restapi-providers: error: restapi $v: no Go module version known;" \
      "set RESTAPI_MODVER_${v//./_} to the pseudo-version of the v$v tag commit" >&2
    failed+=("$v")
    continue
  fi
  if ! command -v go >/dev/null; then
    echo "build-restapi-providers: error: restapi $v: not in the mirror ($bin) and go not" \
      "found on PATH to build it (scripts/install-test-tools.sh installs Go)" >&2
    failed+=("$v")
    continue
  fi
  log "restapi $v: building $MODULE@$modv for $PLATFORM ..."
  start=$SECONDS
  if build "$modv" "$bin"; then
    log "restapi $v: built in $((SECONDS - start))s -> $bin"
  else
    echo "build-restapi-providers: error: restapi $v: go build of $MODULE@$modv failed (see above)" >&2
    failed+=("$v")
  fi
done

# OpenTofu resolves "Mastercard/restapi" on its own registry host: mirror there too.
mkdir -p "$MIRROR/registry.opentofu.org/mastercard"
rm -rf "$MIRROR/registry.opentofu.org/mastercard/restapi"
cp -al "$MIRROR/registry.terraform.io/mastercard/restapi" "$MIRROR/registry.opentofu.org/mastercard/restapi"

cat >"$CLI_CONFIG.tmp" <<EOF
provider_installation {
  filesystem_mirror {
    path    = "$MIRROR"
    include = ["registry.terraform.io/mastercard/restapi", "registry.opentofu.org/mastercard/restapi"]
  }
  direct {
    exclude = ["registry.terraform.io/mastercard/restapi", "registry.opentofu.org/mastercard/restapi"]
  }
}
EOF
mv "$CLI_CONFIG.tmp" "$CLI_CONFIG"
log "wrote Terraform CLI config $CLI_CONFIG (mirror: $MIRROR)"

((${#failed[@]} == 0)) || die "failed to build restapi version(s): ${failed[*]}"
echo "$CLI_CONFIG"
