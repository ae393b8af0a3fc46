#!/usr/bin/env bash
# Crash safety of ingest (issue 4): the server is killed with SIGKILL in the middle of a large
# transfer and in the middle of a stream of small ones; after a restart the archive holds each
# instance either whole and indexed or not at all: no temporary file is left, every indexed file
# verifies against its digest, every file on disk is indexed, and the server stores again.
#   tests/integration/store_crash_test.sh BASTION_BINARY
# All traffic stays on 127.0.0.1; every wait is bounded.
set -uo pipefail
bastion=$(readlink -f "$1")
here=$(dirname "$(readlink -f "$0")")
command -v storescu >/dev/null || { echo "storescu (dcmtk) is not installed"; exit 1; }
# shellcheck source=tests/integration/lib.sh
source "$here/lib.sh"
in_work_dir crash

tls_port=$(free_port)
port=$(free_port)
dir=$work/pacs
"$bastion" init --dir "$dir" --ae-title BASTION --dicom-port "$tls_port" --http-port "$(free_port)" >/dev/null
sed -i 's/^bind = .*/bind = "127.0.0.1"/' "$dir/bastion.toml"  # DICOM and HTTPS on loopback
sed -i "s/^# plaintext_port = 11112.*/plaintext_port = $port/" "$dir/bastion.toml"
"$bastion" peer add --dir "$dir" STORESCU --host 127.0.0.1 --role modality >/dev/null

start_server() {
  "$bastion" serve --dir "$dir" >>server.log 2>&1 &
  server_pid=$!
  for _ in $(seq 100); do
    echoscu -to 2 -aet STORESCU -aec BASTION 127.0.0.1 "$port" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "server did not start"; cat server.log; return 1
}
kill_server() {
  kill -9 "$server_pid" 2>/dev/null
  wait "$server_pid" 2>/dev/null
  server_pid=""
}
instances() { "$bastion" index stats --dir "$dir" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["instances"])'; }
files_on_disk() { find "$dir/objects" -name '*.dcm' | wc -l; }
no_temporary_files() { [[ -z $(find "$dir/objects" -type f -name '*.part') ]]; }
archive_consistent() {
  local n f
  n=$(instances)
  f=$(files_on_disk)
  [[ $n == "$f" ]] || { echo "  index has $n instances, disk has $f files"; return 1; }
  "$bastion" verify --dir "$dir" >verify.out 2>&1 || { cat verify.out; return 1; }
}

# Instances: 40 small ones from the sample (fresh UIDs), and one of about 400 MB.
/usr/bin/python3 - "$here/../data/samples/synthetic_ct.dcm" <<'PY'
import sys, pydicom
from pydicom.uid import generate_uid
src = pydicom.dcmread(sys.argv[1])
study = generate_uid()
for i in range(40):
    src.SOPInstanceUID = generate_uid(); src.file_meta.MediaStorageSOPInstanceUID = src.SOPInstanceUID
    src.StudyInstanceUID = study
    src.save_as(f"small{i:02d}.dcm", write_like_original=False)
src.SOPInstanceUID = generate_uid(); src.file_meta.MediaStorageSOPInstanceUID = src.SOPInstanceUID
frames = 400_000_000 // (src.Rows * src.Columns * 2)
src.NumberOfFrames = frames
src.PixelData = bytes(src.Rows * src.Columns * 2 * frames)
src.save_as("big.dcm", write_like_original=False)
PY
echo "big instance: $(stat -c %s big.dcm) bytes"

start_server || exit 1
storescu -aet STORESCU -aec BASTION 127.0.0.1 "$port" small0[0-9].dcm >/dev/null 2>&1
check_rc "10 instances stored before the crashes" test "$(instances)" = 10

# 1. SIGKILL while the large instance is arriving (its temporary file is growing).
storescu -aet STORESCU -aec BASTION -to 30 127.0.0.1 "$port" big.dcm >/dev/null 2>&1 &
client=$!
for _ in $(seq 500); do
  size=$(find "$dir/objects" -type f -name '*.part' -printf '%s\n' 2>/dev/null | head -1)
  [[ -n $size && $size -gt 50000000 ]] && break
  sleep 0.01
done
check_rc "the large transfer was in progress when killed" test "${size:-0}" -gt 50000000
kill_server
wait "$client" 2>/dev/null
start_server || exit 1
check_rc "restart after a kill mid-transfer removes the partial file" no_temporary_files
check_rc "the partial instance is not in the index" test "$(instances)" = 10
check_rc "the archive is consistent after the kill" archive_consistent
grep -q "stopped uncleanly" server.log
check_rc "the restart says it reconciled after an unclean stop" test $? -eq 0

# 2. SIGKILL at some point in a stream of small instances, three times.
for round in 1 2 3; do
  storescu -aet STORESCU -aec BASTION 127.0.0.1 "$port" small1[0-9].dcm small2[0-9].dcm small3[0-9].dcm >/dev/null 2>&1 &
  client=$!
  sleep "0.0$((round * 3))"
  kill_server
  wait "$client" 2>/dev/null
  start_server || exit 1
  check_rc "round $round: no temporary file after the kill" no_temporary_files
  check_rc "round $round: every file indexed and every indexed file intact" archive_consistent
done

# 3. The server stores everything after the crashes; the big instance arrives whole.
storescu -aet STORESCU -aec BASTION -to 60 127.0.0.1 "$port" small*.dcm big.dcm >store.out 2>&1
check_rc "after the crashes every instance is stored" test "$(instances)" = 41
check_rc "the archive is consistent at the end" archive_consistent

# 4. `bastion store --dir DIR --to PEER`: a registered peer's address from the registry, the
# server's own AE title, certificate and CA over TLS (here the server sends to itself).
"$bastion" peer add --dir "$dir" BASTION --host 127.0.0.1 --port "$tls_port" --role modality >/dev/null
sleep 2.5  # the running server reloads the registry within two seconds
check_rc "bastion store --dir --to a registered peer, over TLS as the server itself" \
  "$bastion" store --dir "$dir" --to BASTION small00.dcm

kill "$server_pid" 2>/dev/null
wait "$server_pid" 2>/dev/null
server_pid=""
summary
