#!/usr/bin/env bash
# Downloads Debian's orthanc package into build/deps/ for the interoperability tests and the
# benchmarks, WITHOUT installing it: installing the package would start a system service that
# listens on every interface. Tests unpack it with `dpkg -x` and run it in a loopback-only
# network namespace. Prints the path of the .deb. Runs `apt-get update` once if the download
# fails because the package lists are missing or stale (as root or with sudo -n).
set -euo pipefail
cd "$(dirname "$0")/.."
dest=build/deps
mkdir -p "$dest"
existing=$(find "$dest" -maxdepth 1 -name 'orthanc_*.deb' | head -1)
if [[ -n $existing ]]; then
  readlink -f "$existing"
  exit 0
fi
as_root=()
[[ $(id -u) -eq 0 ]] || as_root=(sudo -n)
if ! (cd "$dest" && timeout 300 apt-get download orthanc >download.log 2>&1); then
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=600 update >>"$dest/download.log" 2>&1 || true
  (cd "$dest" && timeout 300 apt-get download orthanc >>download.log 2>&1) || {
    echo "fetch-orthanc: cannot download Debian's orthanc package:" >&2
    tail -3 "$dest/download.log" >&2
    exit 1
  }
fi
readlink -f "$(find "$dest" -maxdepth 1 -name 'orthanc_*.deb' | head -1)"
