#!/usr/bin/env bash
# bench/audit/run.sh BINARY LABEL: the cost of the audit trail on ingest (issue 7). Tiny instances
# (bench/gen_dataset.py --size 64, in /work/benchdata/tiny) into a fresh Bastion by storescu on the
# loopback plaintext port: 2000 on one
# association, and 200 associations of 10 (one storescu each); prints instances/s, 3 rounds.
# Run it with the normal binary ("on") and with one whose OpenDataDir installs an AuditSink that
# does nothing ("off": a one-line local change to src/server/data_dir.cc, never committed).
set -u
b=$1; label=$2
export TCP_NODELAY=1
mapfile -t files < <(find /work/benchdata/tiny -name '*.dcm' | sort | head -2000)
run() {
  local d=/tmp/ab-$$ port=$((20000 + RANDOM % 10000)) pport=$((30000 + RANDOM % 10000))
  rm -rf $d
  $b init --dir $d --ae-title AB --dicom-port $port >/dev/null
  sed -i 's/^enabled = true/enabled = false/' $d/bastion.toml  # DIMSE only: no HTTPS listener
  sed -i 's/^bind = .*/bind = "127.0.0.1"/; s/^# plaintext_port = .*/plaintext_port = '$pport'/' $d/bastion.toml
  $b peer add --dir $d MOD --host 127.0.0.1 --role modality >/dev/null
  $b serve --dir $d >/tmp/ab-serve.log 2>&1 &
  local pid=$!
  for _ in $(seq 100); do grep -q listening /tmp/ab-serve.log && break; sleep 0.1; done
  local t0=$(date +%s.%N)
  if [[ $1 == one ]]; then
    storescu -aet MOD -aec AB 127.0.0.1 $pport "${files[@]}" >/dev/null 2>&1
  else
    for ((i = 0; i < 2000; i += 10)); do storescu -aet MOD -aec AB 127.0.0.1 $pport "${files[@]:i:10}" >/dev/null 2>&1; done
  fi
  local t1=$(date +%s.%N)
  kill $pid; wait $pid 2>/dev/null
  local n=$($b index stats --dir $d --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["instances"])')
  echo "$label $1 $(python3 -c "print(f'{$n/($t1-$t0):.0f}')") inst/s ($n stored, $(grep -c . $d/audit/audit.log 2>/dev/null || echo 0) audit records)"
  rm -rf $d
}
for r in 1 2 3; do run one; run many; done
