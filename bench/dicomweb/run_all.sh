#!/usr/bin/env bash
# Whole-server DICOMweb (PS3.18) benchmark: Bastion vs Orthanc 1.10 with its DICOMweb plugin
# (Debian's orthanc and orthanc-dicomweb packages, unpacked with dpkg -x, never installed), in ONE
# run, both servers loaded with the same files and running side by side, every server and client
# inside one loopback-only network namespace (bench/network/lib.sh). Run as root:
#   bash bench/dicomweb/run_all.sh [--bastion BINARY] [--no-bastion] [--quick] [--fresh-orthanc]
#        [--data DIR] [--studies 100000|10000] [--iterations N] [--qido-max-seconds S] [--meta-iterations N]
#        [--frames-seconds S] [--frames-clients N] [--rounds R] [--stow-batch K] [--out-dir DIR]
#        [--only stow]
# What it measures (the client is bench/dicomweb/dwclient.py: Python's http.client/ssl, no
# third-party HTTP stack, HTTP/1.1 keep-alive, no compression, the same requests for both servers):
#   QIDO-RS  GET /dicom-web/studies?PatientID=X, ?PatientName=PREFIX*, ?StudyDate=FROM-TO on a
#            corpus of 100,000 studies (gen_dataset.py seed Q, the C-FIND benchmark's corpus:
#            2 studies per patient, 1 series, 1 instance 16x16), ONE keep-alive connection, 5
#            warm-ups then N (default 200) timed requests per query, or as many as fit in S seconds
#            (default 180; the table gives the count); median and p95; the match counts are
#            checked against bench/retrieve/expected.py.
#   Metadata GET /dicom-web/studies/S/series/SE/metadata of a 600-instance CT 512x512 series
#            (seed W): "cold" is the first request after the server process started, its whole
#            store evicted from the page cache (sync, posix_fadvise DONTNEED) just before; "warm"
#            the median of N (default 20) further requests on the same connection.
#   Frames   16 client processes, one keep-alive connection each, GET .../instances/I/frames/1 of
#            random instances of that series (the same seeded sequence for both servers) for S
#            seconds (default 20): frames/s and MB/s; each frame checked to be one part of
#            512*512*2 bytes. R rounds (default 3), the order of the servers alternating.
#   STOW-RS  POST /dicom-web/studies, multipart/related; type="application/dicom", bodies of K
#            (default 50) CT 512x512 instances (~526 KB each, seed T), 4 client processes, 1,000
#            new instances per round (20 bodies), R rounds, the order alternating; instances/s and
#            MB/s; then every stowed instance is counted on each server through QIDO-RS
#            (NumberOfStudyRelatedInstances) and compared with what was sent. Each round also
#            measures the machine's durable-write ceiling: the same files written by as many
#            processes, one write and one fsync per file (bench/store/fsync_ceiling.py).
# Authentication: Bastion with bearer tokens from `bastion token create` (user benchview, role
# viewer, for reads; benchstow, role modality, for STOW), always HTTPS (TLS 1.2/1.3, its own CA);
# Orthanc with HTTP basic auth (AuthenticationEnabled, RegisteredUsers) over plain HTTP: its own
# HTTPS (SslEnabled) crashes in Debian's build (a civetweb worker jumps to address 0 on the first
# TLS handshake, with an RSA or an EC certificate), so Orthanc's figures carry no TLS cost and
# Bastion's do.
# Loading (not measured as a target): Bastion with `bastion import` before `serve`, Orthanc by
# C-STORE (storescu, 2 associations); Orthanc keeps Debian's defaults (SQLite index,
# SeriesMetadata "Full" = read every instance, which is also what Bastion answers with).
# --quick: 10,000 studies, 20 QIDO and 5 metadata iterations, 5 s of frames, 1 round, results in /tmp.
# --no-bastion: Orthanc alone (to validate the peer side).
# --only stow: the STOW-RS rounds (and their ceiling and QIDO-RS count) alone, both servers
#   starting empty: no 100,000-study corpus, no loading, no metadata, QIDO or frames (~3 min).
# --fresh-orthanc: load Orthanc by C-STORE even if an earlier run left its loaded store in
#   DIR/dicomweb/orthanc-db-STUDIES (reused otherwise: same files, same Orthanc version).
# 20 minutes on 2 cores once the corpora exist and Orthanc's loaded store is cached (more on a
# loaded machine: `bastion import` of 100,000 studies and Orthanc's QIDO dominate); the corpora
# are generated into DIR, default /work/benchdata, in about a minute, plus 4 minutes for the
# 100,000-study one if it is missing; a first C-STORE load of Orthanc takes 4 to 15 minutes.
# Writes bench/dicomweb/results-<date>.md and .csv (or into --out-dir); logs in
# /tmp/bastion-dwbench-logs-<timestamp>/. Every client call is bounded by `timeout`; on exit
# every process in the namespace is stopped and the namespace and the work folder are removed.
set -euo pipefail
ORIG_ARGS=("$@")
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BIN=$ROOT/build/release/apps/bastion/bastion
DATA=/work/benchdata
NO_BASTION=0 FRESH_ORTHANC=0 QUICK=0 STUDIES=100000 ITER=200 QIDO_MAX_S=180 META_ITER=20 FR_SECS=20 FR_CLIENTS=16
ROUNDS=3 STOW_BATCH=50 STOW_CLIENTS=4 OUTDIR='' ONLY=''
SET_STUDIES='' SET_ITER='' SET_META='' SET_FR='' SET_ROUNDS=''
while [[ $# -gt 0 ]]; do
  case $1 in
    --bastion) BIN=$2; shift ;;
    --no-bastion) NO_BASTION=1 ;;
    --fresh-orthanc) FRESH_ORTHANC=1 ;;
    --quick) QUICK=1 ;;
    --data) DATA=$2; shift ;;
    --studies) SET_STUDIES=$2; shift ;;
    --iterations) SET_ITER=$2; shift ;;
    --qido-max-seconds) QIDO_MAX_S=$2; shift ;;
    --meta-iterations) SET_META=$2; shift ;;
    --frames-seconds) SET_FR=$2; shift ;;
    --frames-clients) FR_CLIENTS=$2; shift ;;
    --rounds) SET_ROUNDS=$2; shift ;;
    --stow-batch) STOW_BATCH=$2; shift ;;
    --out-dir) OUTDIR=$2; shift ;;
    --only) ONLY=$2; shift ;;
    *) echo "unknown option $1 (see the header of $0)" >&2; exit 2 ;;
  esac
  shift
done
[[ $QUICK == 1 ]] && STUDIES=10000 ITER=20 META_ITER=5 FR_SECS=5 ROUNDS=1
STUDIES=${SET_STUDIES:-$STUDIES} ITER=${SET_ITER:-$ITER} META_ITER=${SET_META:-$META_ITER}
FR_SECS=${SET_FR:-$FR_SECS} ROUNDS=${SET_ROUNDS:-$ROUNDS}
[[ $STUDIES == 100000 || $STUDIES == 10000 ]] || { echo "--studies is 100000 or 10000" >&2; exit 2; }
((ROUNDS >= 1 && ROUNDS <= 3)) || { echo "--rounds is 1 to 3 (the STOW corpus has 3 rounds of new instances)" >&2; exit 2; }
((1000 % STOW_BATCH == 0)) || { echo "--stow-batch must divide 1000" >&2; exit 2; }
[[ -z $ONLY || $ONLY == stow ]] || { echo "--only takes stow" >&2; exit 2; }
[[ $(id -u) == 0 ]] || { echo "run as root (ip netns)" >&2; exit 1; }
T_START=$(date +%s)
STAMP=$(date +%Y%m%d-%H%M%S)
LOGDIR=/tmp/bastion-dwbench-logs-$STAMP
if [[ -z $OUTDIR ]]; then
  if [[ $QUICK == 1 ]]; then OUTDIR=/tmp/bastion-dwbench-quick-$STAMP; else OUTDIR=$HERE; fi
fi
mkdir -p "$LOGDIR" "$OUTDIR"
OUT=$OUTDIR/results-$(date +%Y-%m-%d)${ONLY:+-$ONLY}.md
CSV=${OUT%.md}.csv
NS=${DWBENCH_NS:-bastiondwbench}  # the network namespace (another name lets two runs coexist)
STEP_TIMEOUT=1800  # seconds allowed to one loading or client command
GEN=$ROOT/bench/gen_dataset.py
CLIENT=$HERE/dwclient.py
PY=/usr/bin/python3  # Debian's: pydicom and numpy for the generator

# --- Corpora, generated once and reused ------------------------------------------------------
corpus() {  # corpus DIR COUNT gen_dataset.py args...
  local dir=$1 want=$2
  shift 2
  if [[ ! -f $dir/manifest.csv || $(($(wc -l <"$dir/manifest.csv") - 1)) -ne $want ||
    $(find "$dir" -name '*.dcm' | wc -l) -ne $want ]]; then
    rm -rf "$dir"
    "$PY" "$GEN" --out "$dir" "$@" >&2
  fi
}
Q=$DATA/q/studies  # the C-FIND benchmark's (bench/retrieve/run_all.sh) corpus, same command
[[ -z $ONLY ]] && corpus "$Q" 100000 --patients 50000 --studies 2 --series 1 --instances 1 --size 16 --seed Q
if [[ -n $ONLY ]]; then
  QS=''
elif [[ $STUDIES == 10000 ]]; then  # its first 5,000 patients, hard-linked, as bench/retrieve does
  QS=$DATA/q/studies-10000
  if [[ $(find "$QS" -name '*.dcm' 2>/dev/null | wc -l) -ne 10000 ]]; then
    rm -rf "$QS"; mkdir -p "$QS"
    (cd "$Q" && find . -mindepth 1 -maxdepth 1 -name 'P*' -printf '%f\n' | sort | head -n 5000 | xargs -I{} cp -al {} "$QS/")
  fi
else
  QS=$Q
fi
SER=$DATA/dicomweb/series600
corpus "$SER" 600 --patients 1 --studies 1 --series 1 --instances 600 --seed W
STOW=$DATA/dicomweb/stow
corpus "$STOW" 3000 --patients 6 --studies 1 --series 1 --instances 500 --seed T
SER_STUDY=$(awk -F, 'NR == 2 {print $3}' "$SER/manifest.csv")
SER_SERIES=$(awk -F, 'NR == 2 {print $4}' "$SER/manifest.csv")
FRAME_BYTES=$((512 * 512 * 2))

WORK=$(mktemp -d /tmp/bastion-dwbench.XXXXXX)
cleanup() {
  echo "cleanup: stopping the namespace's processes $(date +%T)" >&2
  ns_down
  cp "$WORK"/*.log "$LOGDIR"/ 2>/dev/null || true
  echo "cleanup: removing $WORK $(date +%T)" >&2
  rm -rf "$WORK"
  echo "cleanup: done $(date +%T)" >&2
}
trap cleanup EXIT
# shellcheck source=../network/lib.sh
source "$HERE/../network/lib.sh"  # ns_up, ns_down, in_ns, stop_pid; exports TCP_NODELAY=1

# Every measurement's inputs, made once: instance list for frames, file lists for STOW rounds.
awk -F, 'NR > 1 {print $3 "," $4 "," $5}' "$SER/manifest.csv" >"$WORK/frames.csv"
for r in 1 2 3; do  # round r: patients 2r-2 and 2r-1, 1,000 instances in 2 studies
  find "$STOW/P$(printf %05d $((2 * r - 2)))" "$STOW/P$(printf %05d $((2 * r - 1)))" -name '*.dcm' | sort >"$WORK/stow-$r.list"
  awk -F, -v a="S$(printf 'TP%06d' $((2 * r - 2)))" -v b="S$(printf 'TP%06d' $((2 * r - 1)))" \
    'NR > 1 && ($1 == a || $1 == b) {print $3}' "$STOW/manifest.csv" | sort -u >"$WORK/stow-$r.studies"
  [[ $(wc -l <"$WORK/stow-$r.list") == 1000 && $(wc -l <"$WORK/stow-$r.studies") == 2 ]] ||
    { echo "STOW corpus round $r: expected 1000 files in 2 studies" >&2; exit 1; }
done

ns_up

# --- Orthanc and its DICOMweb plugin, unpacked privately -------------------------------------
mkdir -p "$WORK/orthanc-deb"
for pkg in orthanc orthanc-dicomweb; do
  deb=$("$ROOT/scripts/fetch-orthanc.sh" "$pkg")
  dpkg -x "$deb" "$WORK/orthanc-deb/x"
done
ORTHANC=$WORK/orthanc-deb/x/usr/sbin/Orthanc
DW_PLUGIN=$(find "$WORK/orthanc-deb/x/usr/lib/orthanc" -name 'libOrthancDicomWeb.so*' -type f | head -1)
ORTHANC_VERSION=$(dpkg -f "$("$ROOT/scripts/fetch-orthanc.sh" orthanc)" Version)
DW_VERSION=$(dpkg -f "$("$ROOT/scripts/fetch-orthanc.sh" orthanc-dicomweb)" Version)
for so in "$ORTHANC" "$DW_PLUGIN"; do
  if ldd "$so" | grep -q 'not found'; then
    echo "shared libraries missing for $so:" >&2
    ldd "$so" | grep 'not found' >&2
    exit 1
  fi
done
O_USER=bench O_PASS=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
O_DIR=$WORK/orthanc
mkdir -p "$O_DIR/db"
O_SCHEME=http O_TLS_NOTE="plain HTTP (Orthanc's own SslEnabled crashes in this build: see the header of run_all.sh)"
cat >"$O_DIR/orthanc.json" <<EOF
{ "Name": "dwbench", "StorageDirectory": "$O_DIR/db", "IndexDirectory": "$O_DIR/db",
  "DicomAet": "ORTHANC", "DicomPort": 4242, "HttpPort": 8042, "RemoteAccessAllowed": false,
  "AuthenticationEnabled": true, "RegisteredUsers": { "$O_USER": "$O_PASS" }, "SslEnabled": false,
  "DicomAlwaysAllowEcho": true, "DicomAlwaysAllowStore": true, "DicomCheckCalledAet": false,
  "DicomScpTimeout": 600, "DicomTlsEnabled": false,
  "Plugins": [ "$DW_PLUGIN" ],
  "DicomWeb": { "Enable": true, "Root": "/dicom-web/", "EnableWado": false } }
EOF
O_BASE=$O_SCHEME://127.0.0.1:8042/dicom-web
O_CLIENT=(--base "$O_BASE" --basic "$O_USER:$O_PASS")
O_PID=''
orthanc_start() {
  ip netns exec "$NS" "$ORTHANC" "$O_DIR/orthanc.json" >>"$WORK/orthanc.log" 2>&1 &
  O_PID=$!
  for _ in $(seq 300); do
    [[ $(in_ns curl -s -o /dev/null -w '%{http_code}' -u "$O_USER:$O_PASS" --max-time 5 \
      "$O_SCHEME://127.0.0.1:8042/dicom-web/studies?limit=1") == 200 ]] && return 0
    kill -0 "$O_PID" 2>/dev/null || break
    sleep 0.2
  done
  echo "Orthanc did not answer on /dicom-web/ (see $WORK/orthanc.log)" >&2
  return 1
}
orthanc_stop() { [[ -n $O_PID ]] && stop_pid "$O_PID"; O_PID=''; }
orthanc_count() {
  in_ns curl -s --max-time 60 -u "$O_USER:$O_PASS" "$O_SCHEME://127.0.0.1:8042/statistics" |
    "$PY" -c 'import json, sys; print(json.load(sys.stdin)["CountInstances"])' 2>>"$WORK/count.err" || echo n/a
}
orthanc_load() {  # orthanc_load LOGNAME DIR...: C-STORE every file, the top-level folders over 2 associations
  local name=$1 ok=0 pids=() part
  shift
  (for d in "$@"; do find "$d" -mindepth 1 -maxdepth 1 -type d; done) | sort >"$WORK/dirs"
  rm -f "$WORK"/dirs.0*
  split -n l/2 -d "$WORK/dirs" "$WORK/dirs."
  for part in "$WORK"/dirs.0*; do
    [[ -s $part ]] || continue
    (
      mapfile -t dirs <"$part"
      exec ip netns exec "$NS" timeout "$STEP_TIMEOUT" storescu +sd +r -aet BENCH -aec ORTHANC 127.0.0.1 4242 "${dirs[@]}"
    ) >"$LOGDIR/orthanc-load-$name-${part##*.}.log" 2>&1 &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || ok=1; done
  return $ok
}

# --- Bastion ---------------------------------------------------------------------------------
B_DIR=$WORK/bastion-data B_PID='' B_PORT=8443
bastion_start() {
  ip netns exec "$NS" "$BASTION" serve --dir "$B_DIR" >>"$WORK/bastion.log" 2>&1 &
  B_PID=$!
  for _ in $(seq 300); do
    [[ $(in_ns curl -s -o /dev/null -w '%{http_code}' --cacert "$B_DIR/tls/ca.pem" --max-time 5 \
      -H "Authorization: Bearer $B_TOKEN_VIEW" "https://127.0.0.1:$B_PORT/dicom-web/studies?limit=1") == 200 ]] && return 0
    kill -0 "$B_PID" 2>/dev/null || break
    sleep 0.2
  done
  echo "Bastion did not answer on /dicom-web/ (see $WORK/bastion.log)" >&2
  return 1
}
bastion_stop() { [[ -n $B_PID ]] && stop_pid "$B_PID"; B_PID=''; }
if [[ $NO_BASTION == 0 ]]; then
  # A private copy, so that a rebuild of the binary during the run cannot change what is measured.
  cp "$(readlink -f "$BIN")" "$WORK/bastion"
  BASTION=$WORK/bastion
  BASTION_INFO="$("$BASTION" --version 2>&1 | head -1), binary $(readlink -f "$BIN") built $(date -u -r "$BIN" '+%Y-%m-%d %H:%M UTC') (copied at the start of the run, sha256 $(sha256sum "$BASTION" | cut -c1-12)), tree at the start $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- src apps || echo ' + uncommitted changes in src/apps')"
  init_args=(--dir "$B_DIR" --ae-title BASTION --dicom-port 11120)
  "$BASTION" init --help 2>&1 | grep -q -- '--http-port' && init_args+=(--http-port "$B_PORT")
  "$BASTION" init "${init_args[@]}" >"$WORK/bastion-init.log" 2>&1
  sed -i 's/^bind = .*/bind = "127.0.0.1"/' "$B_DIR/bastion.toml"
  grep -q '^\[http\]' "$B_DIR/bastion.toml" || { echo "bastion.toml has no [http] table" >&2; exit 1; }
  B_PORT=$(awk '/^\[/ {t = $0} t == "[http]" && /^port *=/ {gsub(/[^0-9]/, "", $0); print; exit}' "$B_DIR/bastion.toml")
  "$BASTION" user add --dir "$B_DIR" benchview --role viewer >"$WORK/bastion-users.log" 2>&1
  "$BASTION" user add --dir "$B_DIR" benchstow --role modality >>"$WORK/bastion-users.log" 2>&1
  B_TOKEN_VIEW=$("$BASTION" token create --dir "$B_DIR" benchview --ttl 4h 2>>"$WORK/bastion-users.log" | head -1)
  B_TOKEN_STOW=$("$BASTION" token create --dir "$B_DIR" benchstow --ttl 4h 2>>"$WORK/bastion-users.log" | head -1)
  B_BASE=https://127.0.0.1:$B_PORT/dicom-web
  B_VIEW=(--base "$B_BASE" --ca "$B_DIR/tls/ca.pem" --bearer "$B_TOKEN_VIEW")
  B_STOW=(--base "$B_BASE" --ca "$B_DIR/tls/ca.pem" --bearer "$B_TOKEN_STOW")
fi

# --- Results ---------------------------------------------------------------------------------
"$PY" -B -c "import sys; sys.path.insert(0, '$HERE'); import dwclient; print(','.join(dwclient.COLUMNS))" >"$CSV"
load1() { cut -d' ' -f1 /proc/loadavg; }
now() { date +%s.%N; }
elapsed() { "$PY" -c "print(f'{$2 - $1:.3f}')"; }
note_row() {  # note_row KIND SERVER NAME DETAIL EXPECTED MATCHES SECONDS RATE STATUS
  "$PY" - "$@" "$(load1)" >>"$CSV" <<'EOF'
import sys
kind, server, name, detail, expected, matches, seconds, rate, status, load1 = sys.argv[1:11]
cols = ["kind", "server", "round", "name", "detail", "clients", "iterations", "expected", "matches",
        "median_ms", "p95_ms", "min_ms", "max_ms", "count", "bad", "bytes", "seconds", "rate", "mb_per_s",
        "reconnects", "tls", "status", "load1", "server_cpu_s"]
v = dict(kind=kind, server=server, round="1", name=name, detail=detail.replace(",", ";"), expected=expected,
         matches=matches, count=matches, seconds=seconds, rate=rate, status=status, load1=load1)
print(",".join(v.get(c, "") for c in cols))
EOF
}
client() {  # client LOGNAME ARGS...: run dwclient.py in the namespace, append its rows to the CSV
  local name=$1 rc=0
  shift
  ip netns exec "$NS" timeout "$STEP_TIMEOUT" "$PY" "$CLIENT" "$@" >"$LOGDIR/$name.csv" 2>"$LOGDIR/$name.err" || rc=$?
  tail -n +2 "$LOGDIR/$name.csv" >>"$CSV"
  tail -n +2 "$LOGDIR/$name.csv" | cut -d, -f1-4,9-11,14,18,19,22 | sed "s/^/  $name: /" >&2
  [[ -s $LOGDIR/$name.err ]] && sed "s/^/  $name stderr: /" "$LOGDIR/$name.err" | head -5 >&2
  [[ $rc == 0 ]] || echo "  $name: client exited $rc" >&2
  return 0
}
# evict DIR: write back and drop DIR's files from the page cache (posix_fadvise DONTNEED), so
# that the next request reads them from the disk (/proc/sys/vm/drop_caches is not writable here).
evict() {
  sync
  "$PY" - "$1" <<'EOF'
import os, sys
n = 0
for root, _, files in os.walk(sys.argv[1]):
    for f in files:
        try:
            fd = os.open(os.path.join(root, f), os.O_RDONLY)
        except OSError:
            continue
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            n += 1
        finally:
            os.close(fd)
print(f"evicted {n} files under {sys.argv[1]}", file=sys.stderr)
EOF
}
hwm_kib() { awk '/^VmHWM/ {print $2}' "/proc/$1/status" 2>/dev/null || echo n/a; }

SERVERS=(orthanc)
[[ $NO_BASTION == 0 ]] && SERVERS=(bastion orthanc)
UPTIME_START=$(uptime)
order_for() {  # order_for ROUND: the servers, reversed on even rounds
  if ((${#SERVERS[@]} == 2 && $1 % 2 == 0)); then echo "${SERVERS[1]} ${SERVERS[0]}"; else echo "${SERVERS[*]}"; fi
}
if [[ -z $ONLY ]]; then  # the loading, metadata, QIDO-RS and frames measurements
find "$QS" "$SER" -name '*.dcm' -print0 | xargs -0 cat >/dev/null  # same page-cache state for both loads

# --- Load both servers with the same files ---------------------------------------------------
if [[ $NO_BASTION == 0 ]]; then
  t0=$(now) ok=ok
  timeout "$STEP_TIMEOUT" "$BASTION" import --dir "$B_DIR" "$QS" "$SER" >"$LOGDIR/bastion-import.log" 2>&1 || ok=failed
  secs=$(elapsed "$t0" "$(now)")
  held=$("$BASTION" index stats --dir "$B_DIR" --json 2>>"$WORK/count.err" | "$PY" -c 'import json, sys; print(json.load(sys.stdin)["instances"])' 2>>"$WORK/count.err" || echo n/a)
  note_row load bastion "bastion import" "$STUDIES studies + series600" $((STUDIES + 600)) "$held" "$secs" \
    "$("$PY" -c "print(round($((STUDIES + 600)) / $secs, 1))")" "$ok"
  echo "load bastion: $secs s, holds $held" >&2
fi
# Orthanc's loaded store is kept in DIR/dicomweb/orthanc-db-STUDIES and reused by later runs with
# the same Orthanc version (C-STORE of 100,000 instances takes 4 to 8 minutes here): the
# attachment files hard-linked (Orthanc never rewrites one), the SQLite index copied.
# --fresh-orthanc loads it again.
O_CACHE=$DATA/dicomweb/orthanc-db-$STUDIES
O_CACHE_KEY="orthanc $ORTHANC_VERSION, $STUDIES studies (seed Q) + series600 (seed W)"
link_store() {  # link_store FROM TO
  rm -rf "$2"
  cp -al "$1" "$2"
  rm -f "$2"/index* "$2/.complete"
  cp -p "$1"/index* "$2"/
}
if [[ $FRESH_ORTHANC == 0 && -f $O_CACHE/.complete && $(cat "$O_CACHE/.complete") == "$O_CACHE_KEY" ]]; then
  t0=$(now)
  link_store "$O_CACHE" "$O_DIR/db"
  orthanc_start
  secs=$(elapsed "$t0" "$(now)")
  held=$(orthanc_count)
  note_row load orthanc "reused store of an earlier run's storescu load" "$STUDIES studies + series600" $((STUDIES + 600)) \
    "$held" "$secs" "" "$([[ $held == $((STUDIES + 600)) ]] && echo ok || echo wrong_count)"
  echo "load orthanc: reused $O_CACHE, holds $held" >&2
  orthanc_stop
else
  orthanc_start
  t0=$(now) ok=ok
  orthanc_load corpus "$QS" "$SER" || ok=failed
  secs=$(elapsed "$t0" "$(now)")
  held=$(orthanc_count)
  [[ $held == $((STUDIES + 600)) ]] || ok=wrong_count
  note_row load orthanc "storescu x2" "$STUDIES studies + series600" $((STUDIES + 600)) "$held" "$secs" \
    "$("$PY" -c "print(round($((STUDIES + 600)) / $secs, 1))")" "$ok"
  echo "load orthanc: $secs s, holds $held" >&2
  orthanc_stop
  if [[ $ok == ok ]]; then
    link_store "$O_DIR/db" "$O_CACHE.tmp"
    echo "$O_CACHE_KEY" >"$O_CACHE.tmp/.complete"
    rm -rf "$O_CACHE"
    mv "$O_CACHE.tmp" "$O_CACHE"
  fi
fi

# --- Metadata: cold (fresh process, store evicted from the page cache), then warm ------------
for srv in "${SERVERS[@]}"; do
  if [[ $srv == bastion ]]; then
    evict "$B_DIR" 2>>"$WORK/evict.log"
    bastion_start
    client metadata-bastion "${B_VIEW[@]}" --label bastion metadata --study "$SER_STUDY" --series "$SER_SERIES" \
      --iterations "$META_ITER" --expect 600
  else
    evict "$O_DIR" 2>>"$WORK/evict.log"
    orthanc_start
    client metadata-orthanc "${O_CLIENT[@]}" --label orthanc metadata --study "$SER_STUDY" --series "$SER_SERIES" \
      --iterations "$META_ITER" --expect 600
  fi
done
# From here on both servers run side by side; the one not being measured is idle.

# --- QIDO-RS ---------------------------------------------------------------------------------
pid_q=SQP002500
# The values as PS3.18 means them; dwclient.py percent-encodes them (RFC 3986), except for
# Orthanc, which does not percent-decode query values (PatientName=NGUYEN%5EMI* finds nothing
# there) and so gets the '^' as it is (--literal).
QUERIES=(--query "exact_id=PatientID=$pid_q" --query 'name_prefix=PatientName=NGUYEN^MI*'
  --query 'date_range=StudyDate=20180101-20180203')
EXP=()
while IFS=, read -r q n; do
  case $q in
    PatientID=*) EXP+=(--expect "exact_id=$n") ;;
    PatientName=*) EXP+=(--expect "name_prefix=$n") ;;
    StudyDate=*) EXP+=(--expect "date_range=$n") ;;
  esac
done < <("$PY" "$ROOT/bench/retrieve/expected.py" "$Q/manifest.csv" Q $((STUDIES / 2)) \
  "PatientID=$pid_q" 'PatientName=NGUYEN^MI*' 'StudyDate=20180101-20180203')
for srv in "${SERVERS[@]}"; do
  if [[ $srv == bastion ]]; then
    client qido-bastion "${B_VIEW[@]}" --label bastion qido --iterations "$ITER" --max-seconds "$QIDO_MAX_S" --warmup 5 "${QUERIES[@]}" "${EXP[@]}"
  else
    client qido-orthanc "${O_CLIENT[@]}" --label orthanc qido --literal --iterations "$ITER" --max-seconds "$QIDO_MAX_S" --warmup 5 "${QUERIES[@]}" "${EXP[@]}"
  fi
done

# --- Frames and STOW-RS, R rounds, the order of the servers alternating -----------------------
for r in $(seq "$ROUNDS"); do
  for srv in $(order_for "$r"); do
    if [[ $srv == bastion ]]; then args=("${B_VIEW[@]}"); else args=("${O_CLIENT[@]}"); fi
    client "frames-$srv-r$r" "${args[@]}" --label "$srv" --round "$r" frames --instances "$WORK/frames.csv" \
      --clients "$FR_CLIENTS" --seconds "$FR_SECS" --frame-bytes "$FRAME_BYTES" --seed "frames-r$r"
  done
done
else  # --only stow: both servers start empty
  for srv in "${SERVERS[@]}"; do
    if [[ $srv == bastion ]]; then bastion_start; else orthanc_start; fi
  done
fi
for r in $(seq "$ROUNDS"); do
  find "$STOW/P$(printf %05d $((2 * r - 2)))" "$STOW/P$(printf %05d $((2 * r - 1)))" -name '*.dcm' -print0 | xargs -0 cat >/dev/null
  for srv in $(order_for "$r"); do
    sync
    if [[ $srv == bastion ]]; then args=("${B_STOW[@]}") pid=$B_PID; else args=("${O_CLIENT[@]}") pid=$O_PID; fi
    client "stow-$srv-r$r" "${args[@]}" --label "$srv" --round "$r" stow --files "$WORK/stow-$r.list" \
      --clients "$STOW_CLIENTS" --batch "$STOW_BATCH" --server-pid "$pid"
  done
  # The machine's ceiling for a durable archive, same files, same number of writers, same disk:
  # one write and one fsync per file (bench/store/fsync_ceiling.py).
  sync
  load=$(load1)
  if secs=$("$PY" "$ROOT/bench/store/fsync_ceiling.py" "$WORK/stow-$r.list" "$WORK/ceiling-$r" "$STOW_CLIENTS" 2>>"$WORK/ceiling.log"); then
    "$PY" - "$secs" "$r" "$STOW_CLIENTS" "$STOW_BATCH" "$load" "$WORK/stow-$r.list" >>"$CSV" <<'PYEOF'
import os, sys
secs, rnd, clients, batch, load1, lst = float(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
files = [l.strip() for l in open(lst) if l.strip()]
nbytes = sum(os.path.getsize(f) for f in files)
v = dict(kind="stow", server="ceiling", round=rnd, name=f"batch{batch}", detail="write+fsync per file",
         clients=clients, expected=str(len(files)), matches=str(len(files)), count=str(len(files)), bad="0",
         bytes=str(nbytes), seconds=f"{secs:.3f}", rate=f"{len(files) / secs:.1f}",
         mb_per_s=f"{nbytes / secs / 1e6:.1f}", status="ok", load1=load1)
cols = ["kind", "server", "round", "name", "detail", "clients", "iterations", "expected", "matches",
        "median_ms", "p95_ms", "min_ms", "max_ms", "count", "bad", "bytes", "seconds", "rate", "mb_per_s",
        "reconnects", "tls", "status", "load1", "server_cpu_s"]
print(",".join(v.get(c, "") for c in cols))
PYEOF
    echo "  stow-ceiling-r$r: $secs s for 1000 files (write+fsync, $STOW_CLIENTS writers)" >&2
  fi
  # Kept until every round is done: on ext4 without a journal, creating files within seconds of
  # deleting many makes the kernel scan the recently freed inodes at every create, a cost
  # that would fall on whichever server runs next.
done
rm -rf "$WORK"/ceiling-*
# Every stowed instance must be there: count them through QIDO-RS on each server.
mapfile -t stowed_studies < <(cat $(seq -f "$WORK/stow-%g.studies" "$ROUNDS"))
study_args=()
for s in "${stowed_studies[@]}"; do study_args+=(--study "$s"); done
for srv in "${SERVERS[@]}"; do
  if [[ $srv == bastion ]]; then args=("${B_VIEW[@]}"); else args=("${O_CLIENT[@]}"); fi
  n=$(ip netns exec "$NS" timeout 600 "$PY" "$CLIENT" "${args[@]}" count "${study_args[@]}" 2>>"$LOGDIR/count-$srv.err" || echo n/a)
  st=ok
  [[ $n == $((1000 * ROUNDS)) ]] || st=missing_instances
  note_row verify "$srv" "stowed instances found by QIDO-RS" "NumberOfStudyRelatedInstances of ${#stowed_studies[@]} studies" \
    $((1000 * ROUNDS)) "$n" "" "" "$st"
  echo "verify $srv: $n of $((1000 * ROUNDS)) stowed instances found ($st)" >&2
done
for srv in "${SERVERS[@]}"; do
  if [[ $srv == bastion ]]; then pid=$B_PID; else pid=$O_PID; fi
  note_row memory "$srv" "VmHWM KiB" "peak resident memory since the metadata restart" "" "$(hwm_kib "$pid")" "" "" ok
done
bastion_stop
orthanc_stop
UPTIME_END=$(uptime)

{
  echo "# DICOMweb benchmark results, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "- Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo) RAM, $(uname -sr); stores on $(df -T "$WORK" | awk 'NR == 2 {print $2 " (" $1 ")"}'); shared machine (a compile may be running)."
  echo "- \`uptime\` at start: $UPTIME_START"
  echo "- \`uptime\` at end: $UPTIME_END"
  if [[ $NO_BASTION == 0 ]]; then
    echo "- Bastion: $BASTION_INFO; HTTPS on 127.0.0.1:$B_PORT (TLS $(awk -F, 'NR > 1 && $2 == "bastion" && $21 != "" {print $21; exit}' "$CSV")), bearer tokens (viewer for reads, modality for STOW), default settings but bind = \"127.0.0.1\"."
  else
    echo "- Bastion: not run (--no-bastion)."
  fi
  echo "- Orthanc $ORTHANC_VERSION with orthanc-dicomweb $DW_VERSION (Debian packages unpacked with dpkg -x, no service): $O_TLS_NOTE, HTTP basic auth (AuthenticationEnabled, one RegisteredUsers entry), otherwise default settings (SQLite index, DICOMweb SeriesMetadata \"Full\", HttpThreadsCount 50, KeepAlive)."
  echo "- Client: bench/dicomweb/dwclient.py (Python $("$PY" -c 'import platform; print(platform.python_version())') http.client + ssl, HTTP/1.1 keep-alive, no compression), run inside the same loopback-only network namespace as both servers."
  if [[ -n $ONLY ]]; then
    echo "- --only $ONLY: STOW-RS alone, both servers starting empty (no corpus loaded, no metadata, QIDO-RS or frames measurement); STOW: 1,000 new CT 512x512 instances per round (seed T), $STOW_CLIENTS clients, $STOW_BATCH instances per request; $ROUNDS round(s), the server order alternating."
  else
    echo "- Corpora: QIDO $STUDIES studies (gen_dataset.py seed Q, 2 per patient, 1 instance 16x16 each); metadata and frames: one series of 600 CT 512x512 instances (seed W, StudyInstanceUID $SER_STUDY); STOW: 1,000 new CT 512x512 instances per round (seed T). Bastion loaded with \`bastion import\`, Orthanc by C-STORE (storescu, 2 associations), before the measurements."
    echo "- QIDO: 5 warm-ups then $ITER requests per query (at most ${QIDO_MAX_S} s per query); metadata: 1 cold (server just started, its store evicted from the page cache) then $META_ITER warm; frames: $FR_CLIENTS clients x ${FR_SECS} s per round; STOW: $STOW_CLIENTS clients, $STOW_BATCH instances per request; $ROUNDS round(s), the server order alternating."
  fi
  echo "- Total run time: $((($(date +%s) - T_START) / 60)) min $((($(date +%s) - T_START) % 60)) s; raw numbers: [$(basename "$CSV")]($(basename "$CSV")); logs in $LOGDIR."
  echo "- Command: \`bash bench/dicomweb/run_all.sh$(printf ' %q' "${ORIG_ARGS[@]}")\`"
  echo
  "$PY" "$HERE/report.py" "$CSV"
} >"$OUT"
cat "$OUT"
echo "wrote $OUT and $CSV (logs in $LOGDIR)" >&2
