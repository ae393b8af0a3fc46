#!/usr/bin/env bash
# Runs both network benchmarks one after the other and writes bench/network/results-<date>.md.
#   sudo bench/network/run_all.sh [BASTION_BINARY] [N=300] [REPS=3] [IDLE_COUNT=500]
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BASTION=$(readlink -f "${1:-$ROOT/build/netbench/apps/bastion/bastion}")
OUT=$HERE/results-$(date +%Y-%m-%d).md
{
  echo "# Network benchmark results, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "- Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(uname -sr); shared machine."
  echo "- \`uptime\` at start: $(uptime)"
  echo "- Bastion: $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- src apps || echo ' + uncommitted changes'), $(basename "$(dirname "$(dirname "$(dirname "$BASTION")")")") build; Orthanc $(apt-cache policy orthanc | awk '/Candidate/ {print $2}') (Debian package unpacked with dpkg -x); DCMTK $(dpkg-query -W -f '${Version}' dcmtk); $(/usr/bin/python3 --version); $(openssl version)."
  echo "- Everything in one loopback-only network namespace; TCP_NODELAY=1 for DCMTK clients, storescp and Orthanc."
  echo
} >"$OUT"
"$HERE/assoc_bench.sh" "$BASTION" "${2:-300}" "${3:-3}" "$OUT"
echo >>"$OUT"
"$HERE/idle_memory.sh" "$BASTION" "${4:-500}" "$OUT"
echo >>"$OUT"
echo "\`uptime\` at end: $(uptime)" >>"$OUT"
echo "wrote $OUT" >&2
