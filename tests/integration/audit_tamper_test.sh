#!/usr/bin/env bash
# The audit trail's tamper evidence through the CLI (issue 7): a scripted session fills the trail
# (peers and users added, the server started and stopped, a refused association), then each
# tampering is applied to a copy of the trail and `bastion audit verify` must exit 1 and name the
# first bad record: a changed byte, a deleted record, two records swapped, the file cut at a
# record boundary before the last checkpoint, and cut in the middle of a line. Every record, as a
# DICOM audit message, validates against the schema of PS3.15 A.5.1 (xmllint, libxml2-utils).
#   tests/integration/audit_tamper_test.sh BASTION_BINARY
set -uo pipefail
bastion=$(readlink -f "$1")
here=$(dirname "$(readlink -f "$0")")
# shellcheck source=tests/integration/lib.sh
source "$here/lib.sh"
in_work_dir audit

port=$(free_port)
dir=$work/pacs
"$bastion" init --dir "$dir" --ae-title BASTION --dicom-port "$port" --http-port "$(free_port)" >/dev/null
sed -i 's/^bind = .*/bind = "127.0.0.1"/' "$dir/bastion.toml"
for n in 1 2 3 4 5 6; do
  "$bastion" peer add --dir "$dir" "WS$n" --host 127.0.0.1 --role viewer >/dev/null
done
"$bastion" serve --dir "$dir" >server.log 2>&1 &
server_pid=$!
for _ in $(seq 100); do
  grep -q "listening" server.log && break
  sleep 0.1
done
# An unknown caller: an association-rejected record.
timeout 10 "$bastion" echo 127.0.0.1 "$port" --aec BASTION --aet NOBODY --ca "$dir/tls/ca.pem" >/dev/null 2>&1
kill "$server_pid"
wait "$server_pid" 2>/dev/null

log=$dir/audit/audit.log
check_rc "the untouched trail verifies" "$bastion" audit verify --dir "$dir"
check "the trail holds the session" '"event":"association-rejected"' "$(cat "$log")"
check "the trail holds a signed checkpoint" '"event":"checkpoint"' "$(cat "$log")"
lines=$(wc -l <"$log")
cp "$log" pristine.log
cp "$dir/audit/audit.head" pristine.head

# tampered NAME EXPECTED-REGEX: verify must fail and say EXPECTED-REGEX; then restore.
tampered() {
  local out rc
  out=$("$bastion" audit verify --dir "$dir" 2>&1)
  rc=$?
  if [[ $rc -eq 1 ]]; then
    check "$1: caught" "$2" "$out"
    check "$1: recorded as a security alert" \
      '"description":"audit log integrity check failed: ' "$(tail -3 "$log")"
  else
    echo "FAIL $1: verify exited $rc: $out"
    failed=$((failed + 1))
  fi
  cp pristine.log "$log"
  cp pristine.head "$dir/audit/audit.head"
}

sed -i '3s/WS/XS/' "$log"
tampered "a changed byte in record 3" "TAMPERED: record 3 \(line 3\) was changed"
sed -i '4d' "$log"
tampered "record 4 deleted" "TAMPERED: record 4 \(line 4\) carries sequence number 5"
awk 'NR == 5 { held = $0; next } NR == 6 { print; print held; next } { print }' pristine.log >"$log"
tampered "records 5 and 6 swapped" "TAMPERED: record 5 \(line 5\) carries sequence number 6"
head -n $((lines - 3)) pristine.log >"$log"
tampered "the last records cut off" "TAMPERED: the log ends at record $((lines - 3)) .*cut from the end"
head -c $(($(stat -c %s pristine.log) - 30)) pristine.log >"$log"
tampered "cut in the middle of a line" "TAMPERED: record $lines \(line $lines\) is incomplete"
rm "$dir/audit/audit.head"
tampered "the signed head removed" "TAMPERED: .*audit.head is missing"

check_rc "restored, the trail verifies again" "$bastion" audit verify --dir "$dir"
out=$("$bastion" audit query --dir "$dir" --event association-rejected --json 2>/dev/null)
check "audit query filters by event type" '"event":"association-rejected".*"peer_ae":"NOBODY"' "$out"
check_absent "audit query --event shows only that type" '"event":"configuration-change"' "$out"
out=$("$bastion" audit query --dir "$dir" --event audit-log-used 2>/dev/null)
check "reading the trail is recorded" "audit-log-used .*audit log searched" "$out"
check_audit_messages "every record is a DICOM audit message valid against PS3.15 A.5.1" \
  "$bastion" "$dir"
summary
