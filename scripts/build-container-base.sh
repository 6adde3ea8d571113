#!/usr/bin/env bash
# The base image the container tests build the Dockerfile on, made locally because no
# registry is reachable here: Debian minbase with python3 and python3-venv, by debootstrap,
# from the mirror apt is configured with (the host's release), imported into podman's
# storage (which buildah shares) as $TOKEN_SHIM_BASE_IMAGE.
#
# Kept: the image when podman has it; else the root filesystem tarball cached in
# $CACHE/container (imported again, seconds); else debootstrap (about 2 minutes).
# Needs root, debootstrap and podman. A user with a registry never runs this: the
# Dockerfile's default BASE_IMAGE is python:3.11-slim-bookworm.
set -euo pipefail

CACHE=${TOKEN_SHIM_CACHE:-$HOME/.cache/token-shim}
log() { echo "build-container-base: $*" >&2; }

codename() { (. /etc/os-release && echo "${VERSION_CODENAME:?no VERSION_CODENAME in /etc/os-release}"); }

mirror() { # the Debian mirror apt fetches this release's main component from
  apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(COMPONENT)' 'Created-By: Packages' |
    awk -v release="$1" '$2 == release && $3 == "main" { print $1; exit }'
}

IMAGE=${TOKEN_SHIM_BASE_IMAGE:-localhost/token-shim-base:$(codename)}
TARBALL=$CACHE/container/base-$(codename).tar.gz

if podman image exists "$IMAGE"; then
  log "keeping $IMAGE"
  exit 0
fi
if [[ ! -s $TARBALL ]]; then
  release=$(codename)
  url=$(mirror "$release")
  if [[ -z $url ]]; then
    log "apt's sources name no mirror for $release main (apt-get indextargets); cannot debootstrap"
    exit 1
  fi
  work=$(mktemp -d "$CACHE/container-base.XXXXXX" 2>/dev/null || { mkdir -p "$CACHE" && mktemp -d "$CACHE/container-base.XXXXXX"; })
  trap 'umount -R "$work/root/proc" 2>/dev/null || true; rm -rf "$work"' EXIT
  log "debootstrap --variant=minbase $release from $url (python3, python3-venv)"
  debootstrap --variant=minbase --include=python3,python3-venv "$release" "$work/root" "$url" >"$work/log" 2>&1 ||
    { tail -20 "$work/log" >&2; log "debootstrap failed (log above)"; exit 1; }
  # What a container never needs: documentation, translations, apt's downloads and lists.
  rm -rf "$work"/root/usr/share/{doc,man,info,locale}/* "$work"/root/var/cache/apt/* \
    "$work"/root/var/lib/apt/lists/* "$work"/root/var/log/* "$work"/root/debootstrap
  : >"$work/root/etc/resolv.conf"
  mkdir -p "$(dirname "$TARBALL")"
  tar --numeric-owner -C "$work/root" -czf "$TARBALL.tmp" .
  mv "$TARBALL.tmp" "$TARBALL"
fi
log "podman import $TARBALL as $IMAGE"
podman import --quiet --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' --change 'CMD ["python3"]' "$TARBALL" "$IMAGE" >/dev/null
