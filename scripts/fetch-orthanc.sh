#!/usr/bin/env bash
# Downloads one of Debian's Orthanc packages into build/deps/ for the interoperability tests and
# the benchmarks, WITHOUT installing it: installing the package would start a system service that
# listens on every interface. Tests unpack it with `dpkg -x` and run it in a loopback-only
# network namespace. Prints the path of the .deb. Runs `apt-get update` once if the download
# fails because the package lists are missing or stale (as root or with sudo -n).
#   scripts/fetch-orthanc.sh [PACKAGE]   # default orthanc; e.g. orthanc-dicomweb for the plugin
set -euo pipefail
pkg=${1:-orthanc}
[[ $pkg =~ ^orthanc[a-z0-9.+-]*$ ]] || { echo "fetch-orthanc: not an Orthanc package name: $pkg" >&2; exit 2; }
cd "$(dirname "$0")/.."
dest=build/deps
mkdir -p "$dest"
existing=$(find "$dest" -maxdepth 1 -name "${pkg}_*.deb" | head -1)
if [[ -n $existing ]]; then
  readlink -f "$existing"
  exit 0
fi
as_root=()
[[ $(id -u) -eq 0 ]] || as_root=(sudo -n)
log=download-$pkg.log
if ! (cd "$dest" && timeout 300 apt-get download "$pkg" >"$log" 2>&1); then
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=600 update >>"$dest/$log" 2>&1 || true
  (cd "$dest" && timeout 300 apt-get download "$pkg" >>"$log" 2>&1) || {
    echo "fetch-orthanc: cannot download Debian's $pkg package:" >&2
    tail -3 "$dest/$log" >&2
    exit 1
  }
fi
readlink -f "$(find "$dest" -maxdepth 1 -name "${pkg}_*.deb" | head -1)"
