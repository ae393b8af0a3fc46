#!/usr/bin/env bash
# Whole-server C-STORE benchmark (issue 4): Bastion (plaintext and TLS), Orthanc 1.10 and DCMTK's
# storescp, with DCMTK's storescu as the one client, and the machine's fsync-per-file ceiling,
# all in one run, every server and client inside one loopback-only network namespace
# (see lib.sh and bench/network/lib.sh). Run as root:
#   bash bench/store/run_all.sh [--quick] [--no-bastion] [--reps N] [--bastion BINARY]
#                               [--data DIR] [--budget-minutes M] [--out-dir DIR] [--servers LIST]
# Full run: 2,000 CT 512x512 (~526 KB) and 5,000 tiny 64x64 instances, 1 and 4 associations,
# REPS=3 rounds, one ~1 GiB instance; writes bench/store/results-<date>.md and .csv.
# --quick: 100 CT, 400 tiny, one round, a 256 MiB instance; results go to /tmp only.
# --no-bastion: leave Bastion out (to check the rest while it is being built).
# --out-dir: write the results there instead (default bench/store, with --quick a /tmp folder).
# --servers: a comma-separated subset of bastion-plain,bastion-tls,orthanc,storescp,ceiling (for
#   checking one thing; the large-instance part still runs for Bastion and Orthanc).
# Corpus: generated once into DIR (default /work/benchdata) with $GEN_DATASET (default
# bench/gen_dataset.py, the starting kit's generator), reused after; the large instance with
# make_big_instance.py.
# Every measurement starts its server on a fresh empty store and stops it afterwards. In a round,
# each workload (CT x1, CT x4, tiny x1, tiny x4) is measured on every server and on the fsync
# ceiling one after the other; the order rotates from round to round. If a round takes so long that the
# planned rounds would exceed the budget (default 40 minutes), fewer rounds are run and the
# results say so. Logs are kept in /tmp/bastion-storebench-logs-<timestamp>/.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
QUICK=0 NO_BASTION=0 REPS=3 BUDGET_MIN=40 OUTDIR='' ONLY=''
DATA=/work/benchdata
BIN=$ROOT/build/release/apps/bastion/bastion
while [[ $# -gt 0 ]]; do
  case $1 in
    --quick) QUICK=1 ;;
    --no-bastion) NO_BASTION=1 ;;
    --reps) REPS=$2; shift ;;
    --bastion) BIN=$2; shift ;;
    --data) DATA=$2; shift ;;
    --budget-minutes) BUDGET_MIN=$2; shift ;;
    --out-dir) OUTDIR=$2; shift ;;
    --servers) ONLY=$2; shift ;;
    *) echo "unknown option $1 (see the header of $0)" >&2; exit 2 ;;
  esac
  shift
done
[[ $(id -u) == 0 ]] || { echo "run as root (ip netns)" >&2; exit 1; }
if [[ $QUICK == 1 ]]; then N_CT=100 N_TINY=400 BIG_MIB=256; [[ $REPS == 3 ]] && REPS=1; else N_CT=2000 N_TINY=5000 BIG_MIB=1024; fi
STORE_TIMEOUT=900
STAMP=$(date +%Y%m%d-%H%M%S)
LOGDIR=/tmp/bastion-storebench-logs-$STAMP
if [[ -z ${OUTDIR:-} ]]; then
  if [[ $QUICK == 1 ]]; then OUTDIR=/tmp/bastion-storebench-quick-$STAMP; else OUTDIR=$HERE; fi
fi
OUT=$OUTDIR/results-$(date +%Y-%m-%d).md
CSV=${OUT%.md}.csv
mkdir -p "$LOGDIR" "$OUTDIR"
T_START=$(date +%s)

# The corpus, generated once with the shared starting kit's generator, the same files for every
# server (deterministic UIDs and pixel data).
GEN_DATASET=${GEN_DATASET:-$ROOT/bench/gen_dataset.py}
[[ -f $GEN_DATASET ]] || GEN_DATASET=/work/shared/bench/gen_dataset.py
corpus() {  # corpus DIR COUNT gen_dataset.py args...
  local dir=$1 want=$2
  shift 2
  if [[ $(find "$dir" -name '*.dcm' 2>/dev/null | wc -l) -lt $want ]]; then
    rm -rf "$dir"
    /usr/bin/python3 "$GEN_DATASET" --out "$dir" "$@" >&2
  fi
}
corpus "$DATA/ct" 2000 --patients 5 --studies 2 --series 2 --instances 100
corpus "$DATA/tiny" 5000 --patients 500 --studies 2 --series 1 --instances 5 --size 64
BIG=$DATA/big/big-${BIG_MIB}MiB.dcm
if [[ ! -s $BIG ]]; then
  mkdir -p "$DATA/big"
  /usr/bin/python3 "$HERE/make_big_instance.py" "$BIG.tmp" "$BIG_MIB" >&2
  mv "$BIG.tmp" "$BIG"
fi

WORK=$(mktemp -d /tmp/bastion-storebench.XXXXXX)
cleanup() {
  ns_down
  cp "$WORK"/*.log "$LOGDIR"/ 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
source "$HERE/lib.sh"
mkdir -p "$WORK/lists"
find "$DATA/ct" -name '*.dcm' | sort | sed -n "1,${N_CT}p" >"$WORK/lists/ct.all"
find "$DATA/tiny" -name '*.dcm' | sort | sed -n "1,${N_TINY}p" >"$WORK/lists/tiny.all"
for wl in ct tiny; do split -n l/4 -d "$WORK/lists/$wl.all" "$WORK/lists/$wl.part."; done
head -n 1 "$WORK/lists/ct.all" >"$WORK/lists/warmup"
echo "$BIG" >"$WORK/lists/big"
declare -A FILES BYTES
for wl in ct tiny big; do
  list=$WORK/lists/$wl; [[ $wl != big ]] && list=$list.all
  FILES[$wl]=$(wc -l <"$list")
  BYTES[$wl]=$(xargs -a "$list" stat -c %s | awk '{s += $1} END {print s}')
done

ns_up
orthanc_unpack
SERVERS=(orthanc storescp ceiling)  # ceiling: the fsync-per-file writers, in the same rotation
if [[ $NO_BASTION == 0 ]]; then
  # A private copy, so that a rebuild of the binary during the run cannot change what is measured.
  cp "$(readlink -f "$BIN")" "$WORK/bastion"
  BASTION=$WORK/bastion
  BASTION_INFO="$("$BASTION" --version 2>&1 | head -1), binary $(readlink -f "$BIN") built $(date -u -r "$BIN" '+%Y-%m-%d %H:%M UTC') (copied at the start of the run, sha256 $(sha256sum "$BASTION" | cut -c1-12)), tree at the start $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- src apps || echo ' + uncommitted changes in src/apps')"
  bastion_template
  SERVERS=(bastion-plain bastion-tls orthanc storescp ceiling)
fi
if [[ -n $ONLY ]]; then IFS=, read -r -a SERVERS <<<"$ONLY"; fi

echo "kind,rep,server,workload,conc,files,bytes,seconds,inst_per_s,mb_per_s,stored,clients_ok,vmhwm_kib,load1,rss_idle_kib,rss_before_kib,rss_peak_kib,rss_after_kib,hwm_before_reset_kib" >"$CSV"
row() {  # row KIND REP SERVER WORKLOAD CONC SECONDS STORED OK HWM LOAD [big-instance fields]
  local nfiles=${FILES[$4]} nbytes=${BYTES[$4]} ips=n/a mbs=n/a
  if [[ $6 != n/a ]]; then
    ips=$(python3 -c "print(round($nfiles / $6, 2))")
    mbs=$(python3 -c "print(round($nbytes / $6 / 1e6, 2))")
  fi
  printf '%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n' "$1" "$2" "$3" "$4" "$5" "$nfiles" "$nbytes" \
    "$6" "$ips" "$mbs" "$7" "$8" "$9" "${10}" "${11:-}" "${12:-}" "${13:-}" "${14:-}" "${15:-}" >>"$CSV"
  echo "rep $2  $3  $4 x$5: $6 s  $ips inst/s  $mbs MB/s  stored=$7 clients_ok=$8 hwm=${9}KiB load=${10}" >&2
}
started() {  # started SERVER: server_start, saying so when it fails
  server_start "$1" && return 0
  echo "$1 did not start (logs in $LOGDIR)" >&2
  return 1
}

measure_store() {  # measure_store SERVER WORKLOAD CONC REP
  local srv=$1 wl=$2 conc=$3 rep=$4 secs=n/a ok=1 stored=n/a hwm=n/a hwm0=n/a load lists
  load=$(cut -d' ' -f1 /proc/loadavg)
  if started "$srv"; then
    hwm0=$(hwm_reset "$SRV_PID")
    if [[ $conc == 1 ]]; then lists=("$WORK/lists/$wl.all"); else lists=("$WORK/lists/$wl.part."*); fi
    secs=$(store_timed "$LOGDIR/$srv-$wl-x$conc-r$rep" "${lists[@]}") || ok=0
    hwm=$(hwm_kib "$SRV_PID")
    [[ $srv == storescp ]] && hwm=n/a  # the work is done in forked children
    stored=$(stored_count "$srv")
  else
    ok=0
  fi
  server_stop "$srv"
  row store "$rep" "$srv" "$wl" "$conc" "$secs" "$stored" "$ok" "${hwm:-n/a}" "$load" "" "" "" "" "${hwm0:-n/a}"
}

measure_ceiling() {  # measure_ceiling WORKLOAD WRITERS REP
  local secs ok=1 load
  load=$(cut -d' ' -f1 /proc/loadavg)
  sync
  secs=$(/usr/bin/python3 "$HERE/fsync_ceiling.py" "$WORK/lists/$1.all" "$WORK/ceiling" "$2") || { ok=0; secs=n/a; }
  rm -rf "$WORK/ceiling"
  sync
  row ceiling "$3" fsync-ceiling "$1" "$2" "$secs" "${FILES[$1]}" "$ok" n/a "$load"
}

# One large instance after a one-CT warm-up store: VmRSS when idle, before the large store (after
# the warm-up), sampled every 100 ms during it, 2 s after; VmHWM reset before it, read after it.
measure_big() {  # measure_big SERVER
  local srv=$1 secs=n/a ok=1 stored=n/a load idle=n/a before=n/a peak=n/a after=n/a hwm0=n/a hwm1=n/a sp
  load=$(cut -d' ' -f1 /proc/loadavg)
  if started "$srv"; then
    sleep 1
    idle=$(rss_kib "$SRV_PID")
    store_timed "$LOGDIR/big-warmup-$srv" "$WORK/lists/warmup" >/dev/null || ok=0
    sleep 1
    before=$(rss_kib "$SRV_PID")
    hwm0=$(hwm_reset "$SRV_PID")
    /usr/bin/python3 "$HERE/rss_sampler.py" "$SRV_PID" "$LOGDIR/big-rss-$srv.trace" 0.1 >"$WORK/sampler.out" &
    sp=$!
    secs=$(store_timed "$LOGDIR/big-$srv" "$WORK/lists/big") || ok=0
    kill -TERM "$sp" 2>/dev/null || true
    wait "$sp" || true
    peak=$(sed -n 's/^peak_kib=\([0-9]*\).*/\1/p' "$WORK/sampler.out")
    sleep 2
    after=$(rss_kib "$SRV_PID")
    hwm1=$(hwm_kib "$SRV_PID")
    stored=$(stored_count "$srv")
  else
    ok=0
  fi
  server_stop "$srv"
  row big 1 "$srv" big 1 "$secs" "$stored" "$ok" "${hwm1:-n/a}" "$load" "${idle:-n/a}" "${before:-n/a}" "${peak:-n/a}" "${after:-n/a}" "${hwm0:-n/a}"
}

UPTIME_START=$(uptime)
xargs -a "$WORK/lists/ct.all" cat >/dev/null  # the client reads from the page cache
xargs -a "$WORK/lists/tiny.all" cat >/dev/null
REPS_DONE=0 REPS_NOTE=""
for rep in $(seq "$REPS"); do
  t_rep=$(date +%s)
  for w in "ct 1" "ct 4" "tiny 1" "tiny 4"; do
    read -r wl conc <<<"$w"
    n=${#SERVERS[@]}
    for i in $(seq 0 $((n - 1))); do
      s=${SERVERS[$(((i + rep - 1) % n))]}
      sleep 1
      if [[ $s == ceiling ]]; then measure_ceiling "$wl" "$conc" "$rep"; else measure_store "$s" "$wl" "$conc" "$rep"; fi
    done
  done
  REPS_DONE=$rep
  # Budget: stop early rather than shrink the corpus (~4 minutes kept for the large instance).
  per_rep=$(($(date +%s) - t_rep))
  if ((rep < REPS && $(date +%s) - T_START + per_rep + 240 > BUDGET_MIN * 60)); then
    REPS_NOTE="Planned $REPS rounds; stopped after $rep because one round took ${per_rep} s and the run is kept under $BUDGET_MIN minutes."
    echo "$REPS_NOTE" >&2
    break
  fi
done
xargs -a "$WORK/lists/big" cat >/dev/null
[[ $NO_BASTION == 0 ]] && measure_big bastion-plain
measure_big orthanc
UPTIME_END=$(uptime)

{
  echo "# C-STORE benchmark results, $(date -u '+%Y-%m-%d %H:%M UTC')$([[ $QUICK == 1 ]] && echo ' (--quick smoke test)')"
  echo
  echo "- Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo) RAM, $(uname -sr); stores on $(df -T "$WORK" | awk 'NR == 2 {print $2 " (" $1 ")"}'); shared machine (a compile may be running)."
  echo "- \`uptime\` at start: $UPTIME_START"
  echo "- \`uptime\` at end: $UPTIME_END"
  if [[ $NO_BASTION == 0 ]]; then
    echo "- Bastion: $BASTION_INFO; default [storage] settings."
  fi
  echo "- Orthanc $ORTHANC_VERSION (Debian package unpacked with dpkg -x, no service); DCMTK $(dpkg-query -W -f '${Version}' dcmtk) (storescu client, storescp server); $(/usr/bin/python3 --version), pydicom $(/usr/bin/python3 -c 'import pydicom; print(pydicom.__version__)'); $(openssl version | cut -d' ' -f1-2)."
  echo "- One loopback-only network namespace for every server and client; TCP_NODELAY=1 exported for storescu, storescp and Orthanc."
  echo "- Corpus: ${FILES[ct]} CT 512x512 instances (${BYTES[ct]} bytes) and ${FILES[tiny]} tiny 64x64 instances (${BYTES[tiny]} bytes) from gen_dataset.py, Explicit VR Little Endian; large instance: $(basename "$BIG") (${BYTES[big]} bytes, from make_big_instance.py)."
  echo "- Total run time: $((($(date +%s) - T_START) / 60)) min $((($(date +%s) - T_START) % 60)) s; raw numbers: [$(basename "$CSV")]($(basename "$CSV")). ${REPS_NOTE}"
  echo
  /usr/bin/python3 "$HERE/report.py" "$CSV" "$REPS_DONE"
} >"$OUT"
cat "$OUT"
echo "wrote $OUT and $CSV (logs in $LOGDIR)" >&2
