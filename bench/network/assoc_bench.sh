#!/usr/bin/env bash
# C-ECHO associations per second: Bastion (TLS and plaintext), Orthanc 1.10 (plaintext and TLS) and
# DCMTK's storescp (plaintext and TLS), in one run on one machine, every server and client inside a
# loopback-only network namespace (see lib.sh). Run as root:
#   bench/network/assoc_bench.sh [BASTION_BINARY] [N=300] [REPS=3] [OUT.md]
# Three clients, each once alone and as 4 concurrent copies:
#   echoscu  - a loop of `echoscu` processes, one association each (N/3 per loop): what a script
#              calling DCMTK sees; process start-up dominates.
#   bastion  - `bastion echo --associations N`: one C++ process, N associations one after the other
#              (connect, TLS handshake, A-ASSOCIATE, C-ECHO, A-RELEASE, close).
#   python   - echo_loop.py: the same sequence from an independent stdlib-only client.
# 1 client: the client's own rate (bastion, python) or N/3 over the loop's wall time (echoscu).
# 4 clients: 4 x the per-client count over the wall time of all four (start-up included).
# Rounds alternate between servers (rep 1 of every server, then rep 2, ...). Medians of REPS.
# Every loop is bounded.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BASTION=$(readlink -f "${1:-$ROOT/build/netbench/apps/bastion/bastion}")
N=${2:-300}
REPS=${3:-3}
OUT=${4:-}
NE=$((N / 3))   # echoscu processes per loop
source "$HERE/lib.sh"

WORK=$(mktemp -d /tmp/bastion-assocbench.XXXXXX)
trap 'ns_down; rm -rf "$WORK"' EXIT
mkdir -p "$WORK/scp-in"
ns_up
orthanc_unpack
bastion_setup
bastion_start
orthanc_config orthanc-plain 4242 8042 no
orthanc_config orthanc-tls 4243 8043 yes
orthanc_start orthanc-plain 4242
orthanc_start orthanc-tls 4243 "${TLS_ARGS[@]}"
storescp_start plain
storescp_start tls

# name|port|aet|tls
SERVERS=(
  "Bastion TLS|11120|BASTION|tls"
  "Orthanc TLS|4243|ORTHANC|tls"
  "storescp TLS|11131|STORESCP|tls"
  "Bastion plaintext|11121|BASTION|plain"
  "Orthanc plaintext|4242|ORTHANC|plain"
  "storescp plaintext|11130|STORESCP|plain"
)

now() { date +%s.%N; }
per_s() { python3 -c "import sys; print(round($1 / ($3 - $2), 1))"; }

echoscu_loop() {  # echoscu_loop PORT AET TLS COUNT: exits non-zero on the first failure
  local args=(-to 10 -ta 10 -td 10 -aet ECHOSCU -aec "$2")
  [[ $3 == tls ]] && args+=("${TLS_ARGS[@]}")
  # one `ip netns exec` for the whole loop, so that only echoscu's own start-up is counted
  in_ns bash -c 'n=$1; shift; for _ in $(seq "$n"); do echoscu "$@" >/dev/null 2>&1 || exit 1; done' \
    _ "$4" "${args[@]}" 127.0.0.1 "$1"
}
bastion_client() {  # bastion_client PORT AET TLS COUNT -> prints assoc/s
  local args=(127.0.0.1 "$1" --aec "$2" --aet ECHOSCU --associations "$4" --timeout 10)
  if [[ $3 == tls ]]; then args+=(--ca "$CA" --cert "$WORK/client.pem" --key "$WORK/client.key"); else args+=(--plaintext); fi
  in_ns "$BASTION" echo "${args[@]}" 2>&1 | sed -n 's/.* \([0-9]*\) associations\/s.*/\1/p'
}
python_client() {  # python_client PORT AET TLS COUNT -> prints assoc/s
  local args=(127.0.0.1 "$1" "$2" ECHOSCU "$4")
  [[ $3 == tls ]] && args+=(--ca "$CA" --cert "$WORK/client.pem" --key "$WORK/client.key")
  in_ns /usr/bin/python3 "$HERE/echo_loop.py" "${args[@]}"
}

measure() {  # measure CLIENT CONC PORT AET TLS -> prints assoc/s or n/a
  local client=$1 conc=$2 port=$3 aet=$4 tls=$5 t0 t1 count pids=() ok=1
  count=$N; [[ $client == echoscu ]] && count=$NE
  if [[ $conc == 1 ]]; then
    case $client in
      echoscu) t0=$(now); if echoscu_loop "$port" "$aet" "$tls" "$count"; then t1=$(now); per_s "$count" "$t0" "$t1"; else echo n/a; fi ;;
      bastion) r=$(bastion_client "$port" "$aet" "$tls" "$count") || r=; echo "${r:-n/a}" ;;
      python) python_client "$port" "$aet" "$tls" "$count" 2>>"$WORK/client.err" || echo n/a ;;
    esac
    return
  fi
  t0=$(now)
  for _ in $(seq "$conc"); do
    case $client in
      echoscu) echoscu_loop "$port" "$aet" "$tls" "$count" & ;;
      bastion) [[ -n $(bastion_client "$port" "$aet" "$tls" "$count") ]] & ;;
      python) python_client "$port" "$aet" "$tls" "$count" >/dev/null 2>>"$WORK/client.err" & ;;
    esac
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || ok=0; done
  t1=$(now)
  if [[ $ok == 1 ]]; then per_s "$((conc * count))" "$t0" "$t1"; else echo n/a; fi
}

RAW=$WORK/raw.tsv
: >"$RAW"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
for rep in $(seq "$REPS"); do
  for s in "${SERVERS[@]}"; do
    IFS='|' read -r name port aet tls <<<"$s"
    for client in echoscu bastion python; do
      for conc in 1 4; do
        v=$(measure "$client" "$conc" "$port" "$aet" "$tls")
        printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$client" "$conc" "$rep" "$v" >>"$RAW"
        echo "rep $rep  $name  $client x$conc: $v assoc/s" >&2
      done
    done
  done
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

report() {
  echo "## C-ECHO associations per second"
  echo
  echo "Associations per second (medians of $REPS, min-max in brackets). Per association: TCP connect,"
  echo "TLS handshake where marked, A-ASSOCIATE, one C-ECHO, A-RELEASE, close. echoscu: one process per"
  echo "association, $NE per loop. bastion / python: one client process, $N associations. x4: four"
  echo "clients at once, total over wall time. Load average before: $LOAD_BEFORE; after: $LOAD_AFTER."
  echo
  /usr/bin/python3 - "$RAW" <<'EOF'
import collections, statistics, sys
rows = collections.defaultdict(list)
order = []
for line in open(sys.argv[1]):
    name, client, conc, rep, v = line.rstrip("\n").split("\t")
    if name not in order:
        order.append(name)
    rows[(name, client, conc)].append(None if v in ("n/a", "") else float(v))
cols = [(c, k) for c in ("echoscu", "bastion", "python") for k in ("1", "4")]
def med(key):
    v = [x for x in rows[key] if x is not None]
    return statistics.median(v) if v else None
def cell(key):
    v = [x for x in rows[key] if x is not None]
    if not v:
        return "failed"
    m = statistics.median(v)
    s = f"{m:,.0f} [{min(v):,.0f}-{max(v):,.0f}]"
    if len(v) < len(rows[key]):
        s += f" ({len(rows[key]) - len(v)} failed)"
    return s
print("| server | " + " | ".join(f"{c} x{k}" for c, k in cols) + " |")
print("|---|" + "---|" * len(cols))
for name in order:
    print(f"| {name} | " + " | ".join(cell((name, c, k)) for c, k in cols) + " |")
print()
print("Ratios of medians (Bastion / other server, same transport, same client):")
print()
print("| ratio | " + " | ".join(f"{c} x{k}" for c, k in cols) + " |")
print("|---|" + "---|" * len(cols))
for tr in ("TLS", "plaintext"):
    for other in ("Orthanc", "storescp"):
        out = []
        for c, k in cols:
            a, b = med((f"Bastion {tr}", c, k)), med((f"{other} {tr}", c, k))
            out.append(f"{a / b:.2f}" if a and b else "n/a")
        print(f"| Bastion / {other}, {tr} | " + " | ".join(out) + " |")
EOF
}
if [[ -n $OUT ]]; then report | tee -a "$OUT"; else report; fi
if [[ -s $WORK/client.err ]]; then echo "client errors:" >&2; sort "$WORK/client.err" | uniq -c | head -20 >&2; fi
