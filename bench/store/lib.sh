# shellcheck shell=bash
# Set-up for the whole-server C-STORE benchmark (sourced by run_all.sh). Builds on
# bench/network/lib.sh (namespace, Orthanc unpacking, Bastion instance and TLS client set-up,
# readiness polling, process stop): read that file first. Expects HERE (this folder), WORK,
# BASTION, and STORE_TIMEOUT (seconds allowed to one storescu process).
#
# Servers, one at a time, each started on a fresh empty store for every measurement:
#   bastion-plain  Bastion's explicitly enabled loopback plaintext port 11121
#   bastion-tls    Bastion's TLS port 11120 (storescu +tls with a client certificate from its CA)
#   orthanc        Orthanc 1.10 on 4242 (HTTP 8042 for counting), SQLite index, defaults
#   storescp       DCMTK storescp on 11130, --fork (one child per association, so 4 associations
#                  run in parallel as with the other servers), files written, no index, no fsync
# The calling AE title is ECHOSCU everywhere (the peer bastion_setup registers, role modality).

NS=${NS:-bastionstorebench}
# shellcheck source=../network/lib.sh
source "$HERE/../network/lib.sh"

# A never-served Bastion directory, copied afresh for every measurement: same configuration,
# same CA and client certificate ($TLS_ARGS) each time, empty objects/ and index/.
bastion_template() {
  bastion_setup
  cp -a "$WORK/pacs" "$WORK/pacs-template"
}

# server_start NAME: sets SRV_PID, SRV_PORT, SRV_AEC, CLIENT_ARGS (storescu transport options).
server_start() {
  CLIENT_ARGS=()
  case $1 in
    bastion-plain | bastion-tls)
      rm -rf "$WORK/pacs"
      cp -a "$WORK/pacs-template" "$WORK/pacs"
      SRV_AEC=BASTION
      if [[ $1 == bastion-tls ]]; then SRV_PORT=11120; CLIENT_ARGS=("${TLS_ARGS[@]}"); else SRV_PORT=11121; fi
      bastion_start || { SRV_PID=$BASTION_PID; return 1; }
      SRV_PID=$BASTION_PID
      ;;
    orthanc)
      rm -rf "$WORK/orthanc"
      orthanc_config orthanc 4242 8042 no
      SRV_PORT=4242 SRV_AEC=ORTHANC
      orthanc_start orthanc 4242 || { SRV_PID=$ORTHANC_PID; return 1; }
      SRV_PID=$ORTHANC_PID
      ;;
    storescp)
      rm -rf "$WORK/scp-in"
      mkdir -p "$WORK/scp-in"
      SRV_PORT=11130 SRV_AEC=STORESCP
      ip netns exec "$NS" storescp --fork -aet STORESCP -od "$WORK/scp-in" 11130 >>"$WORK/storescp.log" 2>&1 &
      SRV_PID=$!
      wait_echo 11130 STORESCP
      ;;
    *) echo "unknown server $1" >&2; return 1 ;;
  esac
}

# server_stop NAME: stop it, keep its log, delete its store, flush what it left dirty (storescp
# never fsyncs).
server_stop() {
  stop_pid "$SRV_PID"
  case $1 in
    bastion-*) rm -rf "$WORK/pacs" ;;
    orthanc)  # its log lives in its store
      cat "$WORK/orthanc/log" >>"$WORK/orthanc.log" 2>/dev/null || true
      rm -rf "$WORK/orthanc"
      ;;
    storescp) rm -rf "$WORK/scp-in" ;;
  esac
  sync
}

# stored_count NAME: instances the running server holds (n/a if it cannot be read).
stored_count() {
  local n
  case $1 in
    bastion-*) n=$("$BASTION" index stats --dir "$WORK/pacs" --json 2>>"$WORK/count.err" |
      /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["instances"])' 2>>"$WORK/count.err") ;;
    orthanc) n=$(in_ns curl -s --max-time 30 http://127.0.0.1:8042/statistics |
      /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["CountInstances"])' 2>>"$WORK/count.err") ;;
    storescp) n=$(find "$WORK/scp-in" -type f | wc -l) ;;
  esac
  echo "${n:-n/a}"
}

hwm_kib() { awk '/^VmHWM/ {print $2}' "/proc/$1/status" 2>/dev/null || true; }
# hwm_reset PID: print VmHWM, then reset it to the current VmRSS (clear_refs 5, Linux >= 4.0), so
# that the next read is the peak since now, not the start-up peak.
hwm_reset() {
  hwm_kib "$1"
  echo 5 >"/proc/$1/clear_refs" 2>/dev/null || true
}
now() { date +%s.%N; }

# store_timed LOGPREFIX LIST...: one storescu per file list, all started at once, against the
# running server; prints the wall time from the first start to the last end. Returns 1 if any
# storescu exited non-zero (its log is LOGPREFIX.N.log).
store_timed() {
  local prefix=$1 t0 t1 pids=() ok=0 i=0 list
  shift
  t0=$(now)
  for list in "$@"; do
    i=$((i + 1))
    (
      mapfile -t files <"$list"
      exec ip netns exec "$NS" timeout "$STORE_TIMEOUT" storescu "${CLIENT_ARGS[@]}" \
        -aet ECHOSCU -aec "$SRV_AEC" 127.0.0.1 "$SRV_PORT" "${files[@]}"
    ) >"$prefix.$i.log" 2>&1 &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || ok=1; done
  t1=$(now)
  python3 -c "print(f'{$t1 - $t0:.4f}')"
  return "$ok"
}
