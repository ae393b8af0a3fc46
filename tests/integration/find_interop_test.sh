#!/usr/bin/env bash
# DCMTK's findscu against `bastion serve` over TLS (issue 5, C-FIND): Study Root and Patient
# Root at every level, exact, wildcard and list matching, SQL metacharacters taken literally, a
# peer without the query permission refused, and a level the model lacks refused. Expected
# matches are computed from the generated corpus' manifest. All traffic stays on 127.0.0.1.
#   tests/integration/find_interop_test.sh BASTION_BINARY
set -uo pipefail
bastion=$(readlink -f "$1")
here=$(dirname "$(readlink -f "$0")")
command -v findscu >/dev/null || { echo "findscu (dcmtk) is not installed"; exit 1; }
# shellcheck source=tests/integration/lib.sh
source "$here/lib.sh"
in_work_dir find

port=$(free_port)
dir=$work/pacs
"$bastion" init --dir "$dir" --ae-title BASTION --dicom-port "$port" --http-port "$(free_port)" >/dev/null
sed -i 's/^bind = .*/bind = "127.0.0.1"/' "$dir/bastion.toml"
"$bastion" cert issue --dir "$dir" FINDSCU --out findscu >/dev/null
"$bastion" peer add --dir "$dir" FINDSCU --host 127.0.0.1 --cert findscu.pem --role viewer >/dev/null
"$bastion" cert issue --dir "$dir" MODALITY --out modality >/dev/null
"$bastion" peer add --dir "$dir" MODALITY --host 127.0.0.1 --cert modality.pem --role modality >/dev/null

/usr/bin/python3 "$here/../../bench/gen_dataset.py" --out corpus --patients 6 --studies 2 --series 2 \
  --instances 3 --size 64 --seed 11 >/dev/null
rm -f corpus/manifest.csv.tmp
check_rc "import the corpus (72 instances)" "$bastion" import --dir "$dir" corpus

"$bastion" serve --dir "$dir" >server.log 2>&1 &
server_pid=$!
tls=(+tls findscu.key findscu.pem +cf "$dir/tls/ca.pem")
for _ in $(seq 100); do
  echoscu -to 2 "${tls[@]}" -aet FINDSCU -aec BASTION 127.0.0.1 "$port" >/dev/null 2>&1 && break
  sleep 0.1
done

# find MODEL(-S|-P) KEYS...: the number of matches findscu reports, or "ERROR: ..." on failure.
find_count() {
  local model=$1 out
  shift
  out=$(findscu "$model" -to 10 "${tls[@]}" -aet FINDSCU -aec BASTION 127.0.0.1 "$port" "$@" -v 2>&1)
  if grep -q "Received Final Find Response (Success)" <<<"$out"; then
    grep -c "Find Response: [0-9]* (Pending)" <<<"$out"
  else
    echo "ERROR: $(grep -E "Final Find Response|E:" <<<"$out" | head -3 | tr '\n' ' ')"
  fi
}
read -r p1 name_prefix study1 series1 n_patients n_prefix_studies <<<"$(/usr/bin/python3 - corpus/manifest.csv <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
p1 = rows[0]["patient_id"]
prefix = rows[0]["patient_name"][:3]
studies = {r["study_uid"] for r in rows if r["patient_name"].lower().startswith(prefix.lower())}
print(p1, prefix, rows[0]["study_uid"], rows[0]["series_uid"], len({r["patient_id"] for r in rows}), len(studies))
PY
)"

expect "study root, STUDY level, every study" 12 "$(find_count -S -k QueryRetrieveLevel=STUDY -k StudyInstanceUID)"
expect "study root, STUDY level, exact patient ID" 2 "$(find_count -S -k QueryRetrieveLevel=STUDY -k "PatientID=$p1" -k StudyInstanceUID)"
expect "study root, STUDY level, name wildcard (case-insensitive)" "$n_prefix_studies" \
  "$(find_count -S -k QueryRetrieveLevel=STUDY -k "PatientName=${name_prefix,,}*" -k StudyInstanceUID)"
expect "study root, SERIES level of one study" 2 "$(find_count -S -k QueryRetrieveLevel=SERIES -k "StudyInstanceUID=$study1" -k SeriesInstanceUID -k Modality)"
expect "study root, IMAGE level of one series" 3 "$(find_count -S -k QueryRetrieveLevel=IMAGE -k "SeriesInstanceUID=$series1" -k SOPInstanceUID)"
expect "study root, list of study UIDs" 1 "$(find_count -S -k QueryRetrieveLevel=STUDY -k "StudyInstanceUID=$study1\\9.9.9")"
expect "patient root, PATIENT level, every patient" "$n_patients" "$(find_count -P -k QueryRetrieveLevel=PATIENT -k PatientID -k PatientName)"
expect "SQL metacharacters are matched literally" 0 "$(find_count -S -k QueryRetrieveLevel=STUDY -k "PatientID=%" -k StudyInstanceUID)"
expect "SQL injection in a key matches nothing" 0 "$(find_count -S -k QueryRetrieveLevel=STUDY -k "PatientID=x' OR '1'='1" -k StudyInstanceUID)"
out=$(find_count -S -k QueryRetrieveLevel=PATIENT -k PatientID)
check "study root has no PATIENT level: refused" "ERROR: .*(Error|Failed|0xc000|Unable)" "$out"

out=$(findscu -S -to 10 +tls modality.key modality.pem +cf "$dir/tls/ca.pem" -aet MODALITY -aec BASTION \
  127.0.0.1 "$port" -k QueryRetrieveLevel=STUDY -k StudyInstanceUID -v 2>&1)
check "a peer without the query permission is refused (0x0124)" "Final Find Response.*(0x124|Not ?Authorized)" "$out"
check_absent "nothing is returned to it" "Pending" "$out"

# bastion find, the SCU, over TLS with a client certificate: the same answers as findscu.
"$bastion" cert issue --dir "$dir" FINDCLI --out findcli >/dev/null
"$bastion" peer add --dir "$dir" FINDCLI --host 127.0.0.1 --cert findcli.pem --role viewer >/dev/null
sleep 2.5  # the server reloads the registry within two seconds
bfind=("$bastion" find --to "BASTION@127.0.0.1:$port" --aet FINDCLI --ca "$dir/tls/ca.pem" --cert findcli.pem --key findcli.key)
out=$("${bfind[@]}" --json -k "PatientID=$p1" 2>/dev/null)
expect "bastion find, STUDY level, exact patient ID (JSON)" 2 \
  "$(python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' <<<"$out")"
out=$("${bfind[@]}" --level IMAGE -k "SeriesInstanceUID=$series1" -k SOPInstanceUID 2>&1)
check "bastion find, IMAGE level, table" "^3 matches$" "$out"
out=$("${bfind[@]}" --patient-root --level PATIENT -k PatientID 2>&1)
check "bastion find, Patient Root" "^$n_patients matches$" "$out"

check "every query is in the audit log with its keys" "C-FIND STUDY Study Root \\(0010,0020\\)=$p1\",\"event\":\"query\"" \
  "$(cat "$dir/audit/audit.log")"

summary
