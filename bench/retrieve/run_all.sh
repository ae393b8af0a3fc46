#!/usr/bin/env bash
# Whole-server query/retrieve benchmark: Bastion vs Orthanc 1.10, one run, every server and client
# inside one loopback-only network namespace (bench/network/lib.sh). Run as root:
#   bash bench/retrieve/run_all.sh [--bastion BINARY] [--find-latency BINARY] [--data DIR]
#                                  [--sizes 10000,100000] [--iterations N] [--no-tls]
#                                  [--no-retrieve] [--retrieve-reps R] [--out-dir DIR]
# C-FIND: bench/find_latency (built from bench/find_latency.cc, target find_latency) opens ONE
#   association per server and transport and times N (default 50) STUDY-level C-FINDs per query
#   after 3 warm-ups: exact PatientID, a PatientName prefix wildcard, a StudyDate range holding
#   ~1% of the studies. Corpora of 10,000 and 100,000 studies (1 series, 1 16x16 instance each,
#   2 studies per patient) from gen_dataset.py; the 10,000 corpus is the first 5,000 patients of
#   the 100,000 one (same seed, so the same files). Bastion is loaded with `bastion import`,
#   Orthanc (default SQLite index, default settings) by C-STORE with storescu, 2 associations.
#   Expected match counts come from expected.py (a replay of the generator) and are checked.
#   Bastion on its plaintext port (loopback; calling AE BENCHP, a peer without a certificate, as
#   Bastion refuses a peer registered with a certificate over plaintext) and on its TLS port
#   (calling AE BENCH with its client certificate); Orthanc plaintext (calling AE BENCH).
#   --sizes '' leaves the C-FIND part out; --no-retrieve the retrieve part.
# Retrieve: one 2,000-instance CT 512x512 study (gen_dataset.py, seed R) from each server into
#   DCMTK storescp (--fork, no fsync, no index) with movescu (study level) and with getscu -od
#   into a folder, each timed end to end; and the receiving-peer ceiling: storescu of the same
#   2,000 files into the same storescp on one association; R rounds (default 3), the order of the
#   three rotating, both servers loaded once and left running (idle) side by side.
# C-FIND figures: median and p95 of N requests; retrieve: median of R transfers [min-max].
# About 14 minutes on 2 cores once the corpora exist (generating them: ~4 minutes).
# Writes bench/retrieve/results-<date>.md and .csv (or into --out-dir); logs in
# /tmp/bastion-qrbench-logs-<timestamp>/.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BIN=$ROOT/build/release/apps/bastion/bastion
FL=$ROOT/build/release/bench/find_latency
DATA=/work/benchdata
SIZES=10000,100000 ITER=50 TLS=1 RETRIEVE=1 RT_REPS=3 REP=1 OUTDIR=$HERE
while [[ $# -gt 0 ]]; do
  case $1 in
    --bastion) BIN=$2; shift ;;
    --find-latency) FL=$2; shift ;;
    --data) DATA=$2; shift ;;
    --sizes) SIZES=$2; shift ;;
    --iterations) ITER=$2; shift ;;
    --no-tls) TLS=0 ;;
    --no-retrieve) RETRIEVE=0 ;;
    --retrieve-reps) RT_REPS=$2; shift ;;
    --out-dir) OUTDIR=$2; shift ;;
    *) echo "unknown option $1 (see the header of $0)" >&2; exit 2 ;;
  esac
  shift
done
[[ $(id -u) == 0 ]] || { echo "run as root (ip netns)" >&2; exit 1; }
[[ -x $FL ]] || { echo "no find_latency at $FL (cmake --build BUILD --target find_latency; --find-latency)" >&2; exit 1; }
T_START=$(date +%s)
STAMP=$(date +%Y%m%d-%H%M%S)
LOGDIR=/tmp/bastion-qrbench-logs-$STAMP
mkdir -p "$LOGDIR" "$OUTDIR"
OUT=$OUTDIR/results-$(date +%Y-%m-%d).md
CSV=${OUT%.md}.csv
NS=bastionqrbench
STORE_TIMEOUT=1800
GEN=$ROOT/bench/gen_dataset.py

# Corpora, generated once and reused.
Q=$DATA/q/studies
if [[ ! -f $Q/manifest.csv || $(wc -l <"$Q/manifest.csv") -lt 100001 ]]; then
  rm -rf "$Q"
  /usr/bin/python3 "$GEN" --out "$Q" --patients 50000 --studies 2 --series 1 --instances 1 --size 16 --seed Q >&2
fi
CT=$DATA/retrieve-ct
if [[ ! -f $CT/manifest.csv || $(wc -l <"$CT/manifest.csv") -lt 2001 ]]; then
  rm -rf "$CT"
  /usr/bin/python3 "$GEN" --out "$CT" --patients 1 --studies 1 --series 1 --instances 2000 --seed R >&2
fi
CT_STUDY=$(awk -F, 'NR == 2 {print $3}' "$CT/manifest.csv")
CT_BYTES=$(awk -F, 'NR > 1 {s += $8} END {print s}' "$CT/manifest.csv")
# The corpus of a size: the first SIZE/2 patient folders, hard-linked (the same files).
corpus_dir() {  # corpus_dir SIZE -> prints the folder
  local n=$1 d=$DATA/q/studies-$1
  if [[ $n == 100000 ]]; then echo "$Q"; return; fi
  if [[ $(find "$d" -name '*.dcm' 2>/dev/null | wc -l) -ne $n ]]; then
    rm -rf "$d"
    mkdir -p "$d"
    (cd "$Q" && ls -d P* | sort | head -n $((n / 2)) | xargs -I{} cp -al {} "$d/")
  fi
  echo "$d"
}

WORK=$(mktemp -d /tmp/bastion-qrbench.XXXXXX)
cleanup() {
  ns_down
  cp "$WORK"/*.log "$LOGDIR"/ 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
source "$HERE/../network/lib.sh"
ns_up
orthanc_unpack
cp "$(readlink -f "$BIN")" "$WORK/bastion"
BASTION=$WORK/bastion
BASTION_INFO="$("$BASTION" --version 2>&1 | head -1), binary $(readlink -f "$BIN") built $(date -u -r "$BIN" '+%Y-%m-%d %H:%M UTC') (copied at the start of the run, sha256 $(sha256sum "$BASTION" | cut -c1-12)), tree at the start $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- src apps || echo ' + uncommitted changes in src/apps')"
FL_INFO="$(readlink -f "$FL") built $(date -u -r "$FL" '+%Y-%m-%d %H:%M UTC')"

echo "kind,server,size,transport,name,detail,iterations,expected,matches,median_ms,p95_ms,min_ms,max_ms,files,bytes,seconds,inst_per_s,received,status,load1" >"$CSV"
load1() { cut -d' ' -f1 /proc/loadavg; }
now() { date +%s.%N; }
elapsed() { python3 -c "print(f'{$2 - $1:.3f}')"; }

# --- Bastion -------------------------------------------------------------------------------
bastion_instance() {  # bastion_instance DIR: init, plaintext port, peers, client certificate
  local d=$1
  "$BASTION" init --dir "$d" --ae-title BASTION --dicom-port 11120 >/dev/null
  sed -i 's/^enabled = true/enabled = false/' "$d/bastion.toml"  # DIMSE only: no HTTPS listener
  sed -i -e 's/^bind = .*/bind = "127.0.0.1"/' \
    -e 's/^# plaintext_port = 11112.*/plaintext_port = 11121/' "$d/bastion.toml"
  grep -q '^plaintext_port = 11121' "$d/bastion.toml" || { echo "bastion.toml: plaintext_port not set" >&2; return 1; }
  "$BASTION" cert issue --dir "$d" BENCH --out "$WORK/bench" >/dev/null
  "$BASTION" peer add --dir "$d" BENCH --host 127.0.0.1 --role viewer --cert "$WORK/bench.pem" >/dev/null
  "$BASTION" peer add --dir "$d" BENCHP --host 127.0.0.1 --role viewer >/dev/null  # plaintext: a peer with a certificate must use TLS
  "$BASTION" peer add --dir "$d" ECHOSCU --host 127.0.0.1 --role viewer >/dev/null
  "$BASTION" peer add --dir "$d" MOVESCU --host 127.0.0.1 --role viewer >/dev/null
  "$BASTION" peer add --dir "$d" GETSCU --host 127.0.0.1 --role viewer >/dev/null
  "$BASTION" peer add --dir "$d" STORESCP --host 127.0.0.1 --port 11130 --role viewer --plaintext >/dev/null
}
bastion_serve() {  # bastion_serve DIR: sets SRV_PID
  ip netns exec "$NS" "$BASTION" serve --dir "$1" >>"$WORK/bastion.log" 2>&1 &
  SRV_PID=$!
  wait_echo 11121 BASTION
}

# --- Orthanc -------------------------------------------------------------------------------
orthanc_instance() {  # orthanc_instance DIR
  local d=$1
  mkdir -p "$d/db"
  cat >"$d/orthanc.json" <<EOF
{ "Name": "bench", "StorageDirectory": "$d/db", "IndexDirectory": "$d/db",
  "DicomAet": "ORTHANC", "DicomPort": 4242, "HttpPort": 8042, "RemoteAccessAllowed": false,
  "DicomAlwaysAllowEcho": true, "DicomCheckCalledAet": false, "Plugins": [],
  "DicomScpTimeout": 600, "DicomTlsEnabled": false,
  "DicomModalities": {
    "STORESCP": ["STORESCP", "127.0.0.1", 11130], "BENCH": ["BENCH", "127.0.0.1", 11142],
    "MOVESCU": ["MOVESCU", "127.0.0.1", 11140], "GETSCU": ["GETSCU", "127.0.0.1", 11141],
    "ECHOSCU": ["ECHOSCU", "127.0.0.1", 11143] } }
EOF
}
orthanc_serve() {  # orthanc_serve DIR: sets SRV_PID
  ip netns exec "$NS" "$ORTHANC" "$1/orthanc.json" >>"$WORK/orthanc.log" 2>&1 &
  SRV_PID=$!
  wait_echo 4242 ORTHANC
}
orthanc_count() {
  in_ns curl -s --max-time 60 http://127.0.0.1:8042/statistics |
    /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["CountInstances"])' 2>>"$WORK/count.err" || echo n/a
}
# orthanc_load SRCDIR: C-STORE every file under SRCDIR (its top-level folders split over two
# storescu processes, one association each); prints the seconds.
orthanc_load() {
  local src=$1 t0 t1 ok=0 pids=()
  (cd "$src" && ls -d P* | sort) >"$WORK/dirs"
  split -n l/2 -d "$WORK/dirs" "$WORK/dirs."
  t0=$(now)
  for part in "$WORK"/dirs.0*; do
    [[ -s $part ]] || continue
    (
      cd "$src"
      mapfile -t dirs <"$part"
      exec ip netns exec "$NS" timeout "$STORE_TIMEOUT" storescu +sd +r -aet BENCH -aec ORTHANC 127.0.0.1 4242 "${dirs[@]}"
    ) >"$LOGDIR/orthanc-load-$(basename "$src")-${part##*.}.log" 2>&1 &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || ok=1; done
  t1=$(now)
  elapsed "$t0" "$t1"
  return $ok
}

# --- C-FIND ----------------------------------------------------------------------------------
QUERIES=()
find_run() {  # find_run SERVER SIZE TRANSPORT PORT AET AEC [find_latency TLS args]
  local srv=$1 size=$2 tr=$3 port=$4 aet=$5 aec=$6 load out
  shift 6
  load=$(load1)
  out=$LOGDIR/find-$srv-$size-$tr.csv
  if ! ip netns exec "$NS" "$FL" --host 127.0.0.1 --port "$port" --aet "$aet" --aec "$aec" \
    --iterations "$ITER" --warmup 3 --timeout-ms 120000 --label "$srv" "$@" "${QUERIES[@]}" >"$out" 2>"$out.err"; then
    echo "find_latency $srv $size $tr exited non-zero: $(cat "$out.err")" >&2
  fi
  # label,query,key,value,iterations,matches,median_ms,p95_ms,min_ms,max_ms,status
  tail -n +2 "$out" | while IFS=, read -r _ name key value it matches med p95 mn mx st; do
    local exp=${EXPECTED[$key=$value]:-n/a}
    [[ $st == ok && $matches != "$exp" ]] && st="wrong_match_count"
    echo "find,$srv,$size,$tr,$name,$key=$value,$it,$exp,$matches,$med,$p95,$mn,$mx,,,,,,$st,$load" >>"$CSV"
    echo "find $srv $size $tr $name: median $med ms p95 $p95 ms matches $matches (expected $exp) $st" >&2
  done
  if [[ -s $out.err ]]; then
    echo "find,$srv,$size,$tr,error,,,,,,,,,,,,,,\"$(tr '\n,' '  ' <"$out.err")\",$load" >>"$CSV"
  fi
}
load_row() {  # load_row SERVER SIZE HOW SECONDS FILES RECEIVED OK
  local ips=n/a
  [[ $4 != n/a ]] && ips=$(python3 -c "print(round($5 / $4, 1))")
  echo "load,$1,$2,$3,load,,,,,,,,,$5,,$4,$ips,$6,$7,$(load1)" >>"$CSV"
  echo "load $1 $2 ($3): $4 s, $ips inst/s, holds $6 ($7)" >&2
}

# --- Retrieve --------------------------------------------------------------------------------
storescp_up() {  # fresh empty receiving folder, storescp on 11130
  rm -rf "$WORK/scp-in"
  mkdir -p "$WORK/scp-in"
  ip netns exec "$NS" storescp --fork -aet STORESCP -od "$WORK/scp-in" 11130 >>"$WORK/storescp.log" 2>&1 &
  SCP_PID=$!
  wait_echo 11130 STORESCP
}
storescp_down() { stop_pid "$SCP_PID"; rm -rf "$WORK/scp-in"; sync; }
rt_row() {  # rt_row SERVER OP SECONDS RECEIVED STATUS LOAD
  local ips=n/a st=$5
  [[ $3 != n/a ]] && ips=$(python3 -c "print(round(2000 / $3, 1))")
  [[ $st == ok && $4 != 2000 ]] && st=incomplete
  echo "retrieve,$1,2000,plaintext,$2,StudyInstanceUID=$CT_STUDY,$REP,2000,,,,,,2000,$CT_BYTES,$3,$ips,$4,$st,$6" >>"$CSV"
  echo "retrieve r$REP $1 $2: $3 s, $ips inst/s, received $4 ($st)" >&2
}
retrieve_ops() {  # retrieve_ops SERVER PORT AEC: C-MOVE then C-GET of the CT study
  local srv=$1 port=$2 aec=$3 t0 secs st load n
  load=$(load1); sync
  storescp_up
  st=ok; t0=$(now)
  ip netns exec "$NS" timeout "$STORE_TIMEOUT" movescu -S -aet MOVESCU -aec "$aec" -aem STORESCP \
    -k QueryRetrieveLevel=STUDY -k "StudyInstanceUID=$CT_STUDY" 127.0.0.1 "$port" >"$LOGDIR/move-$srv-r$REP.log" 2>&1 || st=failed
  secs=$(elapsed "$t0" "$(now)")
  grep -qiE 'E: |error|fail' "$LOGDIR/move-$srv-r$REP.log" && [[ $st == ok ]] && st=ok_with_errors_logged
  n=$(find "$WORK/scp-in" -type f | wc -l)
  storescp_down
  rt_row "$srv" c-move "$secs" "$n" "$st" "$load"
  load=$(load1)
  rm -rf "$WORK/get-in"; mkdir -p "$WORK/get-in"
  st=ok; t0=$(now)
  ip netns exec "$NS" timeout "$STORE_TIMEOUT" getscu -S -aet GETSCU -aec "$aec" -od "$WORK/get-in" \
    -k QueryRetrieveLevel=STUDY -k "StudyInstanceUID=$CT_STUDY" 127.0.0.1 "$port" >"$LOGDIR/get-$srv-r$REP.log" 2>&1 || st=failed
  secs=$(elapsed "$t0" "$(now)")
  grep -qiE 'E: |error|fail' "$LOGDIR/get-$srv-r$REP.log" && [[ $st == ok ]] && st=ok_with_errors_logged
  n=$(find "$WORK/get-in" -type f | wc -l)
  rm -rf "$WORK/get-in"; sync
  rt_row "$srv" c-get "$secs" "$n" "$st" "$load"
}
run_retrieve() {
  find "$CT" -name '*.dcm' -print0 | xargs -0 cat >/dev/null
  find "$CT" -name '*.dcm' | sort >"$WORK/ct.list"
  # Both servers loaded and running side by side (different ports), idle but for the one measured.
  local bd=$WORK/bastion-rt od=$WORK/orthanc-rt bpid='' opid='' t0 ok secs st n load order
  bastion_instance "$bd"
  t0=$(now); ok=ok
  "$BASTION" import --dir "$bd" "$CT" >"$LOGDIR/bastion-import-ct.log" 2>&1 || ok=failed
  load_row bastion ct2000 "bastion import" "$(elapsed "$t0" "$(now)")" 2000 \
    "$("$BASTION" index stats --dir "$bd" --json 2>>"$WORK/count.err" | /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["instances"])' 2>>"$WORK/count.err" || echo n/a)" "$ok"
  bastion_serve "$bd" && bpid=$SRV_PID || { stop_pid "$SRV_PID"; echo "bastion did not start" >&2; }
  orthanc_instance "$od"
  if orthanc_serve "$od"; then
    opid=$SRV_PID
    ok=ok
    secs=$(orthanc_load "$CT") || ok=failed
    load_row orthanc ct2000 "storescu x2" "$secs" 2000 "$(orthanc_count)" "$ok"
  else
    stop_pid "$SRV_PID"; echo "orthanc did not start" >&2
  fi
  for REP in $(seq "$RT_REPS"); do
    # The order rotates from round to round: ceiling, Bastion, Orthanc; then Bastion, Orthanc, ceiling; ...
    order=(ceiling bastion orthanc)
    order=("${order[@]:$(((REP - 1) % 3))}" "${order[@]:0:$(((REP - 1) % 3))}")
    for what in "${order[@]}"; do
      case $what in
        ceiling)  # the receiving peer's ceiling: storescu of the same files into the same storescp
          load=$(load1); sync
          storescp_up
          st=ok; t0=$(now)
          (mapfile -t files <"$WORK/ct.list"; exec ip netns exec "$NS" timeout "$STORE_TIMEOUT" storescu -aet ECHOSCU -aec STORESCP 127.0.0.1 11130 "${files[@]}") \
            >"$LOGDIR/ceiling-storescu-r$REP.log" 2>&1 || st=failed
          secs=$(elapsed "$t0" "$(now)")
          n=$(find "$WORK/scp-in" -type f | wc -l)
          storescp_down
          rt_row storescp storescu-ceiling "$secs" "$n" "$st" "$load"
          ;;
        bastion) if [[ -n $bpid ]]; then retrieve_ops bastion 11121 BASTION; else rt_row bastion c-move n/a 0 did_not_start "$(load1)"; fi ;;
        orthanc) if [[ -n $opid ]]; then retrieve_ops orthanc 4242 ORTHANC; else rt_row orthanc c-move n/a 0 did_not_start "$(load1)"; fi ;;
      esac
    done
  done
  [[ -n $bpid ]] && stop_pid "$bpid"
  [[ -n $opid ]] && stop_pid "$opid"
  rm -rf "$bd" "$od"; sync
}

declare -A EXPECTED
IFS=, read -r -a SIZE_LIST <<<"$SIZES"
UPTIME_START=$(uptime)
[[ $RETRIEVE == 1 ]] && run_retrieve
for size in "${SIZE_LIST[@]}"; do
  src=$(corpus_dir "$size")
  pid_q=SQP002500
  QUERIES=(-q "exact_id:PatientID=$pid_q" -q 'name_prefix:PatientName=NGUYEN^MI*' -q 'date_range:StudyDate=20180101-20180203')
  EXPECTED=()
  while IFS=, read -r q n; do EXPECTED[$q]=$n; done < <(/usr/bin/python3 "$HERE/expected.py" "$Q/manifest.csv" Q $((size / 2)) \
    "PatientID=$pid_q" 'PatientName=NGUYEN^MI*' 'StudyDate=20180101-20180203')
  find "$src" -name '*.dcm' -print0 | xargs -0 cat >/dev/null

  # Bastion: import, then plaintext and TLS on the same running server.
  d=$WORK/bastion-$size
  bastion_instance "$d"
  t0=$(now)
  ok=ok
  "$BASTION" import --dir "$d" "$src" >"$LOGDIR/bastion-import-$size.log" 2>&1 || ok=failed
  secs=$(elapsed "$t0" "$(now)")
  held=$("$BASTION" index stats --dir "$d" --json 2>>"$WORK/count.err" | /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["instances"])' 2>>"$WORK/count.err" || echo n/a)
  load_row bastion "$size" "bastion import" "$secs" "$size" "$held" "$ok"
  if bastion_serve "$d"; then
    find_run bastion "$size" plaintext 11121 BENCHP BASTION
    if [[ $TLS == 1 ]]; then
      find_run bastion "$size" tls 11120 BENCH BASTION --ca "$d/tls/ca.pem" --cert "$WORK/bench.pem" --key "$WORK/bench.key"
    fi
  else
    echo "find,bastion,$size,plaintext,error,,,,,,,,,,,,,,did not start,$(load1)" >>"$CSV"
  fi
  stop_pid "$SRV_PID"
  rm -rf "$d"
  sync

  # Orthanc: C-STORE the same files, then plaintext.
  d=$WORK/orthanc-$size
  orthanc_instance "$d"
  if orthanc_serve "$d"; then
    ok=ok
    secs=$(orthanc_load "$src") || ok=failed
    load_row orthanc "$size" "storescu x2" "$secs" "$size" "$(orthanc_count)" "$ok"
    find_run orthanc "$size" plaintext 4242 BENCH ORTHANC
  else
    echo "find,orthanc,$size,plaintext,error,,,,,,,,,,,,,,did not start,$(load1)" >>"$CSV"
  fi
  stop_pid "$SRV_PID"
  rm -rf "$d"
  sync
done

UPTIME_END=$(uptime)

{
  echo "# Query/retrieve benchmark results, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "- Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo) RAM, $(uname -sr); stores on $(df -T "$WORK" | awk 'NR == 2 {print $2 " (" $1 ")"}'); shared machine (a compile may be running)."
  echo "- \`uptime\` at start: $UPTIME_START"
  echo "- \`uptime\` at end: $UPTIME_END"
  echo "- Bastion: $BASTION_INFO; default settings but bind = \"127.0.0.1\" and plaintext_port = 11121 (loopback)."
  echo "- Orthanc $ORTHANC_VERSION (Debian package unpacked with dpkg -x, no service), default settings (SQLite index), DicomModalities for the clients and STORESCP; DCMTK $(dpkg-query -W -f '${Version}' dcmtk) (storescu, storescp, movescu, getscu)."
  echo "- C-FIND client: find_latency ($FL_INFO), one association per server and transport, 3 warm-ups then $ITER timed C-FIND-RQs per query, each from send to the final response; STUDY level, return keys StudyInstanceUID, PatientName, PatientID, StudyDate. Match counts checked against expected.py."
  echo "- Corpora: $SIZES studies (2 per patient, 1 series, 1 CT 16x16 instance each, gen_dataset.py seed Q); retrieve: one study of 2,000 CT 512x512 instances ($CT_BYTES bytes, seed R), StudyInstanceUID $CT_STUDY."
  echo "- One loopback-only network namespace for every server and client; TCP_NODELAY=1 exported."
  echo "- Total run time: $((($(date +%s) - T_START) / 60)) min $((($(date +%s) - T_START) % 60)) s; raw numbers: [$(basename "$CSV")]($(basename "$CSV")); logs in $LOGDIR."
  echo
  /usr/bin/python3 "$HERE/report.py" "$CSV"
} >"$OUT"
cat "$OUT"
echo "wrote $OUT and $CSV (logs in $LOGDIR)" >&2
