#!/usr/bin/env bash
# Build Rancher's dashboard (npm @rancher/shell, unmodified) for token-shim's
# `serve --dashboard-dir`, from the npm registry only: the small app in
# scripts/dashboard/ (package.json, yarn.lock, the shell's own vue/babel config
# helpers), yarn 1 (installed with npm into the cache), Node >= 20.
#
# Usage: scripts/build-dashboard.sh [--print-dir | --update-lock]
#   (none)         build unless the cache holds this lock's build; the last line of
#                  stdout is the built directory (serve --dashboard-dir DIR)
#   --print-dir    print that directory without building (it may not exist yet)
#   --update-lock  resolve the dependencies anew and rewrite scripts/dashboard/yarn.lock
#
# The output lives in $CACHE/dashboard/<key>, key = sha256 of the app's files
# (yarn.lock included); a finished build is moved there in one step, so a
# directory there with an index.html is complete. The yarn cache
# ($CACHE/yarn-cache) makes a rebuild faster; the work tree (~1.3 GB of
# node_modules) is removed after each build.
# Knobs: TOKEN_SHIM_CACHE (default ~/.cache/token-shim), YARN_VERSION,
# DASHBOARD_NODE_HEAP_MB (default 4096: the build needs a ~4 GB heap).
set -euo pipefail
cd "$(dirname "$0")/.."

APP=scripts/dashboard
CACHE=${TOKEN_SHIM_CACHE:-$HOME/.cache/token-shim}
YARN_VERSION=${YARN_VERSION:-1.22.22}
HEAP_MB=${DASHBOARD_NODE_HEAP_MB:-4096}
BASE=/dashboard/
APP_FILES=(package.json yarn.lock vue.config.js babel.config.js)

die() { echo "build-dashboard: error: $*" >&2; exit 1; }
log() { echo "build-dashboard: $*" >&2; }

app_key() {
  (cd "$APP" && cat "${APP_FILES[@]}" 2>/dev/null; echo "base=$BASE") | sha256sum | cut -c1-16
}

OUT=$CACHE/dashboard/$(app_key)
if [[ ${1:-} == --print-dir ]]; then echo "$OUT"; exit 0; fi

command -v node >/dev/null || die "node not found on PATH (Node >= 20: apt-get install nodejs npm)"
command -v npm >/dev/null || die "npm not found on PATH (apt-get install npm)"
node_major=$(node -p 'process.versions.node.split(".")[0]')
((node_major >= 20)) || die "Node $(node --version) is too old: @rancher/shell 3.0.8 needs Node >= 20"

if [[ ${1:-} != --update-lock && -f $OUT/index.html ]]; then
  log "cached: $OUT"
  echo "$OUT"
  exit 0
fi
[[ ${1:-} == --update-lock || -f $APP/yarn.lock ]] ||
  die "$APP/yarn.lock is missing (scripts/build-dashboard.sh --update-lock writes it)"

YARN_HOME=$CACHE/yarn-$YARN_VERSION
if [[ ! -x $YARN_HOME/node_modules/.bin/yarn ]]; then
  log "installing yarn $YARN_VERSION with npm into $YARN_HOME"
  npm install --silent --no-audit --no-fund --prefix "$YARN_HOME" "yarn@$YARN_VERSION" >&2
fi
yarn() { "$YARN_HOME/node_modules/.bin/yarn" "$@"; }

mkdir -p "$CACHE/dashboard"
WORK=$(mktemp -d "$CACHE/dashboard/build.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
for f in "${APP_FILES[@]}"; do [[ -f $APP/$f ]] && cp "$APP/$f" "$WORK/"; done

export CYPRESS_INSTALL_BINARY=0  # cypress is a dependency of the shell; its binary is not needed
export YARN_CACHE_FOLDER=$CACHE/yarn-cache
export ROUTER_BASE=$BASE RESOURCE_BASE=$BASE
export NODE_OPTIONS="--max-old-space-size=$HEAP_MB"

start=$SECONDS
if [[ ${1:-} == --update-lock ]]; then
  rm -f "$WORK/yarn.lock"
  (cd "$WORK" && yarn install --non-interactive --ignore-engines --network-timeout 600000) >&2
  cp "$WORK/yarn.lock" "$APP/yarn.lock"
  log "wrote $APP/yarn.lock; building"
  OUT=$CACHE/dashboard/$(app_key)
else
  (cd "$WORK" && yarn install --frozen-lockfile --non-interactive --ignore-engines --network-timeout 600000) >&2
fi
log "dependencies installed ($((SECONDS - start))s)"
(cd "$WORK" && ./node_modules/.bin/vue-cli-service build) >&2
[[ -f $WORK/dist/index.html ]] || die "the build wrote no dist/index.html"
rm -rf "$OUT"
mv "$WORK/dist" "$OUT"
log "built $OUT in $((SECONDS - start))s ($(du -sh "$OUT" | cut -f1), $(find "$OUT" -type f | wc -l) files)"
echo "$OUT"
