#!/usr/bin/env bash
# Resident memory of each server with 500 idle associations open (issue 3), every server and
# client inside a loopback-only network namespace (see lib.sh). Run as root:
#   bench/network/idle_memory.sh [BASTION_BINARY] [COUNT=500] [OUT.md]
# For each listener, a fresh server process is started alone; after one C-ECHO (readiness check)
# and 2 s, VmRSS is read; hold_associations.py then opens COUNT associations one after the other
# (A-ASSOCIATE-RQ answered by A-ASSOCIATE-AC, never released) and holds them; 2 s later VmRSS,
# thread count (before -> held) and established server-side connections are read, and one more echoscu C-ECHO
# (5 s timeouts) checks whether the server still serves a newcomer. Bastion's idle timeout is
# raised to 600 s and its association caps to 1000 so the held associations stay open; Orthanc's
# DicomScpTimeout is 600 s. storescp runs in its default single-process mode (one association at
# a time): the holder stops after 3 unanswered requests in a row (3 s each) and that is reported.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BASTION=$(readlink -f "${1:-$ROOT/build/netbench/apps/bastion/bastion}")
COUNT=${2:-500}
OUT=${3:-}
source "$HERE/lib.sh"

WORK=$(mktemp -d /tmp/bastion-idlebench.XXXXXX)
trap 'ns_down; rm -rf "$WORK"' EXIT
mkdir -p "$WORK/scp-in"
ns_up
orthanc_unpack
bastion_setup
orthanc_config orthanc-plain 4242 8042 no
orthanc_config orthanc-tls 4243 8043 yes

ROWS=$WORK/rows.md
: >"$ROWS"
measure() {  # measure NAME PID PORT AET tls|plain
  local name=$1 pid=$2 port=$3 aet=$4 tls=$5 before with threads threads0 est counts holder newcomer t0 t1
  local hargs=(127.0.0.1 "$port" "$aet" ECHOSCU "$COUNT" --seconds 600 --answer-timeout 3)
  local eargs=(-to 5 -ta 5 -td 5 -aet ECHOSCU -aec "$aet")
  if [[ $tls == tls ]]; then
    hargs+=(--ca "$CA" --cert "$WORK/client.pem" --key "$WORK/client.key")
    eargs+=("${TLS_ARGS[@]}")
  fi
  sleep 2
  before=$(rss_kib "$pid")
  threads0=$(awk '/^Threads/ {print $2}' "/proc/$pid/status")
  : >"$WORK/held"
  ip netns exec "$NS" /usr/bin/python3 "$HERE/hold_associations.py" "${hargs[@]}" >"$WORK/held" 2>"$WORK/held.err" &
  holder=$!
  for _ in $(seq 600); do [[ -s $WORK/held ]] && break; sleep 0.2; done
  counts=$(head -n 1 "$WORK/held")
  sleep 2
  with=$(rss_kib "$pid")
  threads=$(awk '/^Threads/ {print $2}' "/proc/$pid/status")
  est=$(in_ns ss -Htn state established "( sport = :$port )" | wc -l)
  t0=$(date +%s.%N)
  if timeout 10 ip netns exec "$NS" echoscu "${eargs[@]}" 127.0.0.1 "$port" >/dev/null 2>&1; then
    t1=$(date +%s.%N)
    newcomer="answered in $(python3 -c "print(round(($t1 - $t0) * 1000))") ms"
  else
    newcomer="no answer within 5-10 s"
  fi
  stop_pid "$holder"
  printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$name" "$((before / 1024))" "$((with / 1024))" \
    "$(python3 -c "n = int('$counts'.split()[0].split('=')[1]); print(round(($with - $before) / n, 1) if n > 1 else '-')")" \
    "$counts" "$est" "$threads0 -> $threads" "$newcomer" | tee -a "$ROWS" >&2
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
bastion_start
measure "Bastion TLS" "$BASTION_PID" 11120 BASTION tls
stop_pid "$BASTION_PID"
bastion_start
measure "Bastion plaintext" "$BASTION_PID" 11121 BASTION plain
stop_pid "$BASTION_PID"
orthanc_start orthanc-tls 4243 "${TLS_ARGS[@]}"
measure "Orthanc TLS" "$ORTHANC_PID" 4243 ORTHANC tls
stop_pid "$ORTHANC_PID"
orthanc_start orthanc-plain 4242
measure "Orthanc plaintext" "$ORTHANC_PID" 4242 ORTHANC plain
stop_pid "$ORTHANC_PID"
storescp_start tls
measure "storescp TLS" "$STORESCP_PID" 11131 STORESCP tls
stop_pid "$STORESCP_PID"
storescp_start plain
measure "storescp plaintext" "$STORESCP_PID" 11130 STORESCP plain
stop_pid "$STORESCP_PID"
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

report() {
  echo "## Resident memory with $COUNT idle associations"
  echo
  echo "Fresh server process per row. VmRSS in MiB before and with the associations held; KiB per"
  echo "accepted association; server-side established TCP connections and thread count while held;"
  echo "whether one more C-ECHO (new association, 5 s timeouts) was served meanwhile."
  echo "Load average before: $LOAD_BEFORE; after: $LOAD_AFTER."
  echo
  echo "| server | VmRSS before (MiB) | with held (MiB) | KiB / association | holder result | established | threads | extra C-ECHO meanwhile |"
  echo "|---|---|---|---|---|---|---|---|"
  cat "$ROWS"
}
if [[ -n $OUT ]]; then report | tee -a "$OUT"; else report; fi
