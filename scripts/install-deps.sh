#!/usr/bin/env bash
# Installs the Debian 12 packages Bastion needs, only those not yet installed, with no prompts.
#
#   scripts/install-deps.sh [--dry-run] [SET...]      SET: build (default), test, dev, all
#
#   build  compilers and libraries for the release and sanitizer/fuzzer builds (`make build`,
#          `make serve`)
#   test   the peers and tools the tests compare against (`make test` installs build + test)
#   dev    developer tools (`make format`)
#
# Runs apt-get directly as root, through `sudo -n` as a user with passwordless sudo, and
# otherwise prints the missing packages and the exact command to run, and exits 1.
# `apt-get update` runs only when something is missing. --dry-run reports what would be done.
# BASTION_SKIP_DEPS=1 skips the whole step (e.g. on a machine that is not Debian).
set -euo pipefail

build_packages=(
  build-essential make cmake ninja-build g++
  clang libclang-rt-14-dev llvm   # sanitizers, libFuzzer, llvm-symbolizer for readable reports
  zlib1g-dev libssl-dev nlohmann-json3-dev libspdlog-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev libsqlite3-dev
  libboost-dev libargon2-dev libtomlplusplus-dev libjpeg62-turbo-dev libpng-dev
  python3
)
test_packages=(dcmtk python3-pydicom python3-numpy hyperfine openssl curl iproute2 procps socat
  libxml2-utils rsyslog rsyslog-openssl
  # Orthanc's runtime libraries: the tests unpack Debian's orthanc package with dpkg -x (see
  # scripts/fetch-orthanc.sh) instead of installing it, which would start a system service.
  libcivetweb1 liblua5.3-0 libpugixml1v5 libboost-filesystem1.74.0 libboost-iostreams1.74.0
  libboost-locale1.74.0 libboost-regex1.74.0 libboost-thread1.74.0 libcurl4 libdcmtk17
  libjpeg62-turbo libjsoncpp25 libpng16-16 libsqlite3-0 libssl3 libuuid1 zlib1g)
dev_packages=(clang-format shellcheck)

usage() {
  sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
}

dry_run=0
sets=()
for arg in "$@"; do
  case "$arg" in
    --dry-run | -n) dry_run=1 ;;
    -h | --help) usage; exit 0 ;;
    build | test | dev) sets+=("$arg") ;;
    all) sets+=(build test dev) ;;
    *) echo "install-deps: unknown argument '$arg'" >&2; usage >&2; exit 2 ;;
  esac
done
[[ ${#sets[@]} -gt 0 ]] || sets=(build)

if [[ "${BASTION_SKIP_DEPS:-0}" == 1 ]]; then
  echo "install-deps: BASTION_SKIP_DEPS=1, not checking packages (${sets[*]})"
  exit 0
fi

wanted=()
for set in "${sets[@]}"; do
  case "$set" in
    build) wanted+=("${build_packages[@]}") ;;
    test) wanted+=("${test_packages[@]}") ;;
    dev) wanted+=("${dev_packages[@]}") ;;
  esac
done

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "install-deps: dpkg-query not found; this script supports Debian 12 only." >&2
  echo "install-deps: install the equivalents of: ${wanted[*]}" >&2
  echo "install-deps: then rerun with BASTION_SKIP_DEPS=1." >&2
  exit 1
fi

missing=()
declare -A seen=()
for pkg in "${wanted[@]}"; do
  [[ -n "${seen[$pkg]:-}" ]] && continue
  seen[$pkg]=1
  status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == installed ]] || missing+=("$pkg")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all packages present (${sets[*]})"
  exit 0
fi

echo "install-deps: missing packages: ${missing[*]}"

apt_env=(env DEBIAN_FRONTEND=noninteractive NEEDRESTART_MODE=a)
apt_opts=(-y -q --no-install-recommends -o DPkg::Lock::Timeout=600
          -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
manual_command="sudo DEBIAN_FRONTEND=noninteractive apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"

if [[ $(id -u) -eq 0 ]]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true >/dev/null 2>&1; then
  as_root=(sudo -n)
else
  echo "install-deps: not root and passwordless sudo is not available, so packages cannot be" >&2
  echo "install-deps: installed here. Missing: ${missing[*]}" >&2
  echo "install-deps: run this as root (or a user with sudo), then retry:" >&2
  echo "  $manual_command" >&2
  exit 1
fi

run() {
  if [[ $dry_run -eq 1 ]]; then
    echo "install-deps: would run: $*"
  else
    echo "install-deps: running: $*"
    "$@"
  fi
}

run "${as_root[@]}" "${apt_env[@]}" apt-get -q -o DPkg::Lock::Timeout=600 update
run "${as_root[@]}" "${apt_env[@]}" apt-get install "${apt_opts[@]}" "${missing[@]}"
[[ $dry_run -eq 1 ]] || echo "install-deps: installed ${missing[*]}"
