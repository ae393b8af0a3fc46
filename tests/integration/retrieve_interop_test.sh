#!/usr/bin/env bash
# C-MOVE and C-GET with real peers (issue 5):
#  1. DCMTK getscu and movescu on the loopback plaintext port: Study Root and Patient Root, every
#     level; the number of instances received is what the generated corpus' manifest says, and
#     every received file holds, byte for byte, the data set that was imported.
#  2. `bastion get` and `bastion move` (our SCU) over TLS with a client certificate.
#  3. TLS through a tunnel: socat listens in plaintext and forwards over TLS with a client
#     certificate; getscu through it.
#  4. Orthanc 1.10 (Debian's package, unpacked, never installed) over DICOM TLS: it queries
#     Bastion and retrieves a study into itself by C-MOVE; `bastion move` sends a study to it.
#  5. Refusals: a modality peer may not query or retrieve (0x0124); an unknown move destination
#     (0xA801); a peer scoped to a label sees and retrieves only that study; SQL metacharacters
#     in a UID retrieve nothing.
# Needs root (network namespace) and the Debian packages dcmtk python3-pydicom socat curl openssl
# iproute2, plus Orthanc's libraries (see store_interop_test.sh). Every server (bastion serve,
# movescu's and storescp's storage SCP, socat, Orthanc) runs inside a private network namespace
# with only `lo`: movescu, storescp and Orthanc listen on every interface. Every wait is bounded.
#   tests/integration/retrieve_interop_test.sh BASTION_BINARY
# ORTHANC_DEB=path/orthanc_*.deb uses that package instead of scripts/fetch-orthanc.sh;
# KEEP_WORK=1 keeps the scratch directory (logs, archive) for a post-mortem.
set -uo pipefail
bastion=$(readlink -f "$1")
here=$(dirname "$(readlink -f "$0")")
py=/usr/bin/python3   # Debian's python: python3-pydicom
gen=$here/../../bench/gen_dataset.py
export TCP_NODELAY=1   # DCMTK and Orthanc leave Nagle on otherwise (40 ms per message)
export PYTHONDONTWRITEBYTECODE=1
start_time=$SECONDS

# shellcheck source=tests/integration/lib.sh
source "$here/lib.sh"
# --- prerequisites ------------------------------------------------------------------------
require_tools "apt-get install dcmtk socat curl openssl iproute2" getscu movescu findscu storescp echoscu socat curl openssl ip timeout dpkg
$py -c 'import pydicom' 2>/dev/null || { fail_prereq "$py cannot import pydicom (apt-get install python3-pydicom)"; finish; }
[[ -f $gen ]] || { fail_prereq "no corpus generator at $gen"; finish; }
[[ -x $bastion ]] || { fail_prereq "no Bastion binary at $1"; finish; }

private_namespace retrieve-interop
# Ports inside the namespace are private to this run: fixed numbers are fine.
port=11112      # Bastion, DICOM over TLS
plain=11113     # Bastion, plaintext DIMSE (loopback)
mv_port=11120   # movescu's own storage SCP (move destination MOVESCU)
sc_port=11121   # movescu as the scoped peer SCOPED
st_port=11122   # storescp, destination of `bastion move` (STORESCP)
tunnel=11130    # socat: plaintext in, TLS out to $port
o_dicom=4242 o_http=8042   # Orthanc

# --- setup --------------------------------------------------------------------------------
echo "== setup"
dir=$work/pacs
"$bastion" init --dir "$dir" --ae-title BASTION --dicom-port "$port" --http-port "$(free_port)" >init.log 2>&1 || { cat init.log; fail_prereq "bastion init failed"; finish; }
sed -i 's/^bind = .*/bind = "127.0.0.1"/' "$dir/bastion.toml"
sed -i "s/^# plaintext_port = 11112 .*/plaintext_port = $plain/" "$dir/bastion.toml"
if ! grep -q '^bind = "127.0.0.1"' "$dir/bastion.toml" || ! grep -q "^plaintext_port = $plain\$" "$dir/bastion.toml"; then
  fail_prereq "$dir/bastion.toml: cannot set bind and plaintext_port"
  finish
fi

peer() { "$bastion" peer add --dir "$dir" "$@" >>peers.log 2>&1 || { echo "peer add $* failed:" >&2; tail -2 peers.log >&2; }; }
# Plaintext peers (the plaintext port knows them by AE title and address).
peer GETSCU --host 127.0.0.1 --role viewer
peer MOVESCU --host 127.0.0.1 --port "$mv_port" --plaintext --role viewer
peer SCOPED --host 127.0.0.1 --port "$sc_port" --plaintext --role viewer
peer STORESCP --host 127.0.0.1 --port "$st_port" --plaintext --role modality
peer MODP --host 127.0.0.1 --role modality
# TLS peers with client certificates.
"$bastion" cert issue --dir "$dir" CLI --out cli >/dev/null
peer CLI --host 127.0.0.1 --cert cli.pem --role viewer
"$bastion" cert issue --dir "$dir" MODALITY --out modality >/dev/null
peer MODALITY --host 127.0.0.1 --cert modality.pem --role modality

$py "$gen" --out corpus --patients 4 --studies 2 --series 2 --instances 3 --size 64 --seed 11 >gen.log 2>&1 ||
  { fail_prereq "gen_dataset.py failed: $(tail -3 gen.log)"; finish; }
rm -f corpus/manifest.csv.tmp
manifest=$work/corpus/manifest.csv
check "import the corpus (48 instances)" "^imported 48, already stored 0, failed 0" \
  "$("$bastion" import --dir "$dir" corpus 2>&1)"

in_ns timeout 600 "$bastion" serve --dir "$dir" >serve.out 2>serve.err &
serve_pid=$!
up=0
for _ in $(seq 100); do
  in_ns echoscu -to 2 -aet GETSCU -aec BASTION 127.0.0.1 "$plain" >/dev/null 2>&1 && { up=1; break; }
  sleep 0.1
done
[[ $up -eq 1 ]] || { fail_prereq "bastion serve did not answer C-ECHO on its plaintext port: $(cat serve.err)"; finish; }
check "bastion serve listens for TLS on 127.0.0.1 and plaintext on 127.0.0.1" \
  "listening for DICOM over TLS on 127.0.0.1:$port" "$(cat serve.out)"

# The corpus: two studies of two patients each side of the checks, and what each level retrieves.
read -r pat1 study1 series1 sop1 pat2 study2 study3 study4 <<<"$($py - "$manifest" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
studies = list(dict.fromkeys(r["study_uid"] for r in rows))
r0 = rows[0]
pat2 = next(r["patient_id"] for r in rows if r["patient_id"] != r0["patient_id"])
print(r0["patient_id"], r0["study_uid"], r0["series_uid"], r0["sop_uid"], pat2, studies[1], studies[2], studies[3])
PY
)"

# The checker: received.py MANIFEST COLUMN VALUE DIR prints "ok N" if DIR holds exactly the
# instances whose manifest COLUMN is VALUE, each with the imported file's data set byte for byte
# (everything after the File Meta Information), else what differs.
cat >received.py <<'PY'
import csv, os, struct, sys
import pydicom
def data_set(path):
    b = open(path, "rb").read()
    if b[128:132] != b"DICM":
        raise ValueError(f"{path}: not a DICOM Part 10 file")
    pos = 132
    while pos + 8 <= len(b) and struct.unpack_from("<H", b, pos)[0] == 2:  # explicit VR LE meta
        vr = b[pos + 4:pos + 6]
        if vr in (b"OB", b"OW", b"OF", b"SQ", b"UT", b"UN", b"UC", b"UR", b"OD", b"OL", b"OV"):
            pos += 12 + struct.unpack_from("<I", b, pos + 8)[0]
        else:
            pos += 8 + struct.unpack_from("<H", b, pos + 6)[0]
    return b[pos:]
manifest, column, value, folder = sys.argv[1:5]
rows = [r for r in csv.DictReader(open(manifest))]
paths = {r["sop_uid"]: os.path.join(os.path.dirname(os.path.dirname(manifest)), r["path"]) for r in rows}
want = {r["sop_uid"] for r in rows if r[column] == value}
got, bad = {}, []
files = sorted(os.listdir(folder)) if os.path.isdir(folder) else []
for f in files:
    p = os.path.join(folder, f)
    try:
        uid = str(pydicom.dcmread(p, stop_before_pixels=True).SOPInstanceUID)
        got[uid] = p
        if uid not in paths:
            bad.append(f"{f}: unknown SOP instance {uid}")
        elif data_set(p) != data_set(paths[uid]):
            bad.append(f"{f}: data set differs from {paths[uid]}")
    except Exception as e:
        bad.append(f"{f}: {e}")
if len(got) != len(files):
    bad.append(f"{len(files)} files for {len(got)} SOP instances")
if set(got) != want:
    bad.append(f"received {len(got)}, expected {len(want)}: missing {len(want - set(got))}, extra {len(set(got) - want)}")
print("\n".join(bad) if bad else f"ok {len(want)}")
PY
received() { $py received.py "$manifest" "$@" 2>&1; }
expected() { $py -c 'import csv,sys; print(sum(r[sys.argv[2]] == sys.argv[3] for r in csv.DictReader(open(sys.argv[1]))))' "$manifest" "$1" "$2"; }
expect "manifest: instances of a study, a series, an image, a patient" "6 3 1 12" \
  "$(expected study_uid "$study1") $(expected series_uid "$series1") $(expected sop_uid "$sop1") $(expected patient_id "$pat2")"

# --- 1. DCMTK getscu / movescu, plaintext ------------------------------------------------
echo "== 1. DCMTK getscu and movescu on the plaintext port"
t=$SECONDS
n=0
# retrieve TOOL(get|move) MODEL(-S|-P) LEVEL COLUMN VALUE KEYS...: run it into a fresh folder,
# check the response and the files against the manifest.
retrieve() {
  local tool=$1 model=$2 level=$3 column=$4 value=$5 out log
  shift 5
  n=$((n + 1))
  out=$work/r$n
  log=$work/r$n.log
  mkdir -p "$out"
  if [[ $tool == get ]]; then
    in_ns timeout 60 getscu -v +B "$model" -to 10 -aet GETSCU -aec BASTION -od "$out" \
      -k "QueryRetrieveLevel=$level" "$@" 127.0.0.1 "$plain" >"$log" 2>&1
  else
    # movescu +B writes into the working directory whatever -od says (DCMTK 3.6.7): run it there.
    (cd "$out" && in_ns timeout 60 movescu -v +B "$model" -to 10 -aet MOVESCU -aec BASTION -aem MOVESCU \
      --port "$mv_port" -od "$out" -k "QueryRetrieveLevel=$level" "$@" 127.0.0.1 "$plain" >"$log" 2>&1)
  fi
  local want name root=patient
  want=$(expected "$column" "$value")
  [[ $model == -S ]] && root=study
  name="${tool}scu $root root, $level level"
  if [[ $tool == get ]]; then
    check "$name: final C-GET response Success" "Received (Final )?C-GET Response.*\(Success\)|Final status report" "$(grep -E 'C-GET Response|E:' "$log" | tail -3)"
  else
    check "$name: final C-MOVE response Success" "Received Final Move Response \(Success\)" "$(grep -E 'Final Move Response|E:|W:' "$log" | tail -3)"
  fi
  check "$name: the $want instances expected, data sets identical to the imported files" "^ok $want\$" "$(received "$column" "$value" "$out")"
}
for tool in get move; do
  retrieve $tool -S STUDY study_uid "$study1" -k "StudyInstanceUID=$study1"
  retrieve $tool -S SERIES series_uid "$series1" -k "StudyInstanceUID=$study1" -k "SeriesInstanceUID=$series1"
  retrieve $tool -S IMAGE sop_uid "$sop1" -k "StudyInstanceUID=$study1" -k "SeriesInstanceUID=$series1" -k "SOPInstanceUID=$sop1"
  retrieve $tool -P PATIENT patient_id "$pat2" -k "PatientID=$pat2"
  retrieve $tool -P STUDY study_uid "$study1" -k "PatientID=$pat1" -k "StudyInstanceUID=$study1"
  retrieve $tool -P SERIES series_uid "$series1" -k "PatientID=$pat1" -k "StudyInstanceUID=$study1" -k "SeriesInstanceUID=$series1"
  retrieve $tool -P IMAGE sop_uid "$sop1" -k "PatientID=$pat1" -k "StudyInstanceUID=$study1" \
    -k "SeriesInstanceUID=$series1" -k "SOPInstanceUID=$sop1"
done
check "audit: C-GET and C-MOVE recorded as instances-sent" '"event":"instances-sent".*"peer_ae":"MOVESCU"' \
  "$(grep instances-sent "$dir/audit/audit.log" | grep MOVESCU | head -1)"
echo "  (check 1: $((SECONDS - t)) s)"

# --- 2. bastion get / bastion move over TLS ------------------------------------------------
echo "== 2. bastion get and bastion move over TLS"
t=$SECONDS
mkdir -p storescp.out
in_ns timeout 300 storescp +B -aet STORESCP -od "$work/storescp.out" "$st_port" >storescp.log 2>&1 &
st_up=0
for _ in $(seq 100); do
  in_ns echoscu -to 2 -aec STORESCP 127.0.0.1 "$st_port" >/dev/null 2>&1 && { st_up=1; break; }
  sleep 0.1
done
[[ $st_up -eq 1 ]] || fail_prereq "storescp did not start: $(tail -3 storescp.log)"
tls_cli=(--to "BASTION@127.0.0.1:$port" --ca "$dir/tls/ca.pem" --cert cli.pem --key cli.key --aet CLI --timeout 30)
out=$(in_ns timeout 60 "$bastion" get "${tls_cli[@]}" --out "$work/bget1" -k "StudyInstanceUID=$study1" 2>&1; echo "exit $?")
check "bastion get, study: status 0x0000, 6 completed" "^status 0x0000: 6 completed, 0 failed" "$out"
check "  ... exits 0" "^exit 0\$" "$out"
check "  ... the study's data sets, byte for byte" "^ok 6\$" "$(received study_uid "$study1" "$work/bget1")"
out=$(in_ns timeout 60 "$bastion" get "${tls_cli[@]}" --out "$work/bget2" --level SERIES \
  -k "StudyInstanceUID=$study1" -k "SeriesInstanceUID=$series1" --json 2>&1)
check "bastion get --level SERIES --json: 3 completed" \
  "^3 0 0x0000 3\$" "$($py -c 'import json,sys; j=json.load(sys.stdin); print(j["completed"], j["failed"], j["status"], len(j["files"]))' <<<"$out" 2>&1)"
check "  ... the series' data sets, byte for byte" "^ok 3\$" "$(received series_uid "$series1" "$work/bget2")"
out=$(in_ns timeout 60 "$bastion" get "${tls_cli[@]}" --out "$work/bget3" --patient-root --level PATIENT -k "PatientID=$pat2" 2>&1)
check "bastion get --patient-root --level PATIENT: 12 completed" "^status 0x0000: 12 completed, 0 failed" "$out"
check "  ... the patient's data sets" "^ok 12\$" "$(received patient_id "$pat2" "$work/bget3")"
out=$(in_ns timeout 60 "$bastion" move "${tls_cli[@]}" --dest STORESCP -k "StudyInstanceUID=$study2" 2>&1; echo "exit $?")
check "bastion move to STORESCP (plaintext destination): status 0x0000, 6 completed" "^status 0x0000: 6 completed, 0 failed" "$out"
check "  ... exits 0" "^exit 0\$" "$out"
check "  ... storescp holds the study's data sets, byte for byte" "^ok 6\$" "$(received study_uid "$study2" "$work/storescp.out")"
out=$(in_ns timeout 60 "$bastion" move "${tls_cli[@]}" --dest STORESCP --level SERIES --json \
  -k "StudyInstanceUID=$study1" -k "SeriesInstanceUID=$series1" 2>&1)
check "bastion move --level SERIES --json: 3 completed" "^3 0x0000\$" \
  "$($py -c 'import json,sys; j=json.load(sys.stdin); print(j["completed"], j["status"])' <<<"$out" 2>&1)"
out=$(in_ns timeout 60 "$bastion" move "${tls_cli[@]}" --dest NOWHERE -k "StudyInstanceUID=$study1" 2>&1; echo "exit $?")
check "bastion move to an unregistered destination: 0xA801, exit non-zero" "status 0xA801.*exit [1-9]" "$(tr '\n' ' ' <<<"$out")"
out=$(in_ns timeout 60 "$bastion" get --to "BASTION@127.0.0.1:$port" --ca "$dir/tls/ca.pem" --cert modality.pem \
  --key modality.key --aet MODALITY --timeout 30 --out "$work/bget4" -k "StudyInstanceUID=$study1" 2>&1; echo "exit $?")
check "bastion get as a modality peer: 0x0124, exit non-zero" "status 0x0124.*exit [1-9]" "$(tr '\n' ' ' <<<"$out")"
check "  ... nothing received" "^0\$" "$(find "$work/bget4" -type f 2>/dev/null | wc -l)"
echo "  (check 2: $((SECONDS - t)) s)"

# --- 3. TLS through socat ------------------------------------------------------------------
echo "== 3. getscu through a socat TLS tunnel"
t=$SECONDS
check "Bastion's server certificate names 127.0.0.1" "IP Address:127\.0\.0\.1" \
  "$(openssl x509 -in "$dir/tls/server.pem" -noout -ext subjectAltName 2>&1)"
in_ns timeout 120 socat "TCP-LISTEN:$tunnel,bind=127.0.0.1,reuseaddr,fork" \
  "OPENSSL:127.0.0.1:$port,cert=$work/cli.pem,key=$work/cli.key,cafile=$dir/tls/ca.pem,verify=1" >socat.log 2>&1 &
for _ in $(seq 50); do
  in_ns bash -c "exec 3<>/dev/tcp/127.0.0.1/$tunnel" 2>/dev/null && break
  sleep 0.1
done
mkdir -p tunnel.out
out=$(in_ns timeout 60 getscu -v +B -S -to 10 -aet CLI -aec BASTION -od "$work/tunnel.out" \
  -k QueryRetrieveLevel=STUDY -k "StudyInstanceUID=$study3" 127.0.0.1 "$tunnel" 2>&1)
check "getscu through socat (TLS with CLI's certificate): success" "C-GET Response.*\(Success\)" "$out"
check "  ... the study's data sets, byte for byte" "^ok 6\$" "$(received study_uid "$study3" "$work/tunnel.out")"
check "audit: the association came over TLS as CLI" '"event":"instances-sent".*"peer_ae":"CLI"' \
  "$(grep instances-sent "$dir/audit/audit.log" | grep '"peer_ae":"CLI"' | tail -1)"
# Without a client certificate, the tunnel's TLS session has no identity: CLI is refused.
in_ns timeout 60 socat "TCP-LISTEN:$((tunnel + 1)),bind=127.0.0.1,reuseaddr,fork" \
  "OPENSSL:127.0.0.1:$port,cafile=$dir/tls/ca.pem,verify=1" >socat2.log 2>&1 &
for _ in $(seq 50); do
  in_ns bash -c "exec 3<>/dev/tcp/127.0.0.1/$((tunnel + 1))" 2>/dev/null && break
  sleep 0.1
done
mkdir -p tunnel2.out
out=$(in_ns timeout 60 getscu -v -S -to 10 -aet CLI -aec BASTION -od "$work/tunnel2.out" \
  -k QueryRetrieveLevel=STUDY -k "StudyInstanceUID=$study3" 127.0.0.1 "$((tunnel + 1))" 2>&1)
check "getscu through a tunnel without CLI's certificate: refused" "Association Rejected|Association Request Failed|Peer aborted|Network|E:" "$out"
check "  ... nothing received" "^0\$" "$(find tunnel2.out -type f | wc -l)"
echo "  (check 3: $((SECONDS - t)) s)"

# --- 4. Refusals -------------------------------------------------------------------------
echo "== 4. refusals"
t=$SECONDS
mkdir -p ref.get ref.move
out=$(in_ns timeout 30 findscu -v -S -to 10 -aet MODP -aec BASTION 127.0.0.1 "$plain" \
  -k QueryRetrieveLevel=STUDY -k StudyInstanceUID 2>&1)
check "findscu as a modality peer: 0x0124" "Final Find Response.*(0x0?124|Not ?Authorized)" "$out"
check_absent "  ... no match returned" "(Pending)" "$out"
out=$(in_ns timeout 30 getscu -v -S -to 10 -aet MODP -aec BASTION -od "$work/ref.get" 127.0.0.1 "$plain" \
  -k QueryRetrieveLevel=STUDY -k "StudyInstanceUID=$study1" 2>&1)
check "getscu as a modality peer: 0x0124" "C-GET Response.*(0x0?124|Not ?Authorized)" "$out"
check "  ... nothing received" "^0\$" "$(find ref.get -type f | wc -l)"
out=$(cd ref.move && in_ns timeout 30 movescu -v +B -S -to 10 -aet MODP -aec BASTION -aem MOVESCU --port "$mv_port" \
  -od "$work/ref.move" 127.0.0.1 "$plain" -k QueryRetrieveLevel=STUDY -k "StudyInstanceUID=$study1" 2>&1)
check "movescu as a modality peer: 0x0124" "Final Move Response.*(0x0?124|Not ?Authorized)" "$out"
check "  ... nothing received" "^0\$" "$(find ref.move -type f | wc -l)"
out=$(in_ns timeout 30 movescu -v -S -to 10 -aet MOVESCU -aec BASTION -aem NOWHERE 127.0.0.1 "$plain" \
  -k QueryRetrieveLevel=STUDY -k "StudyInstanceUID=$study1" 2>&1)
check "movescu -aem NOWHERE (unregistered destination): 0xA801" "Final Move Response.*MoveDestinationUnknown" "$out"

# SQL metacharacters in a UID key.
for key in "%" "*" "1.2.%" "x' OR '1'='1"; do
  n=$((n + 1))
  mkdir -p "r$n"
  in_ns timeout 30 getscu -v +B -S -to 10 -aet GETSCU -aec BASTION -od "$work/r$n" 127.0.0.1 "$plain" \
    -k QueryRetrieveLevel=STUDY -k "StudyInstanceUID=$key" >"r$n.log" 2>&1
  check "getscu StudyInstanceUID=$key retrieves nothing" "^0\$" "$(find "r$n" -type f | wc -l)"
  n=$((n + 1))
  mkdir -p "r$n"
  (cd "r$n" && in_ns timeout 30 movescu -v +B -S -to 10 -aet MOVESCU -aec BASTION -aem MOVESCU --port "$mv_port" \
    -od "$work/r$n" 127.0.0.1 "$plain" -k QueryRetrieveLevel=STUDY -k "StudyInstanceUID=$key" >"../r$n.log" 2>&1)
  check "movescu StudyInstanceUID=$key retrieves nothing" "^0\$" "$(find "r$n" -type f | wc -l)"
done

# Scope: SCOPED sees every study, then only the one labelled research.
find_count() {  # find_count AE: studies a Study Root STUDY-level C-FIND returns, or ERROR
  local out
  out=$(in_ns timeout 30 findscu -v -S -to 10 -aet "$1" -aec BASTION 127.0.0.1 "$plain" \
    -k QueryRetrieveLevel=STUDY -k StudyInstanceUID 2>&1)
  if grep -q "Received Final Find Response (Success)" <<<"$out"; then
    grep -c "Find Response: [0-9]* (Pending)" <<<"$out"
  else
    echo "ERROR: $(grep -E "Final Find Response|E:" <<<"$out" | head -3 | tr '\n' ' ')"
  fi
}
expect "findscu as SCOPED before its scope: every study" 8 "$(find_count SCOPED)"
check_rc "bastion label add --study $study4 research (server running)" \
  "$bastion" label add --dir "$dir" --study "$study4" research
check_rc "bastion peer scope SCOPED --scope label=research" "$bastion" peer scope --dir "$dir" SCOPED --scope label=research
sleep 2.5  # the server reloads the registry within two seconds
expect "findscu as SCOPED: exactly the labelled study" 1 "$(find_count SCOPED)"
out=$(in_ns timeout 30 findscu -v -S -to 10 -aet SCOPED -aec BASTION 127.0.0.1 "$plain" \
  -k QueryRetrieveLevel=STUDY -k StudyInstanceUID 2>&1)
check "  ... and it is $study4" "UI \[$study4\] .*StudyInstanceUID" "$out"
expect "findscu as GETSCU (unscoped) still sees every study" 8 "$(find_count GETSCU)"
scoped() {  # scoped get|move STUDY DIR
  mkdir -p "$3"
  if [[ $1 == get ]]; then
    in_ns timeout 30 getscu -v +B -S -to 10 -aet SCOPED -aec BASTION -od "$3" 127.0.0.1 "$plain" \
      -k QueryRetrieveLevel=STUDY -k "StudyInstanceUID=$2" >"$3.log" 2>&1
  else
    (cd "$3" && in_ns timeout 30 movescu -v +B -S -to 10 -aet SCOPED -aec BASTION -aem SCOPED --port "$sc_port" \
      -od "$3" 127.0.0.1 "$plain" -k QueryRetrieveLevel=STUDY -k "StudyInstanceUID=$2" >"$3.log" 2>&1)
  fi
}
scoped get "$study1" "$work/scoped.get.out"
check "getscu as SCOPED of an out-of-scope study: 0 instances" "^0\$" "$(find scoped.get.out -type f | wc -l)"
scoped move "$study1" "$work/scoped.move.out"
check "movescu as SCOPED of an out-of-scope study: 0 instances" "^0\$" "$(find scoped.move.out -type f | wc -l)"
scoped get "$study4" "$work/scoped.get.in"
check "getscu as SCOPED of the labelled study: all of it, byte for byte" "^ok 6\$" "$(received study_uid "$study4" "$work/scoped.get.in")"
scoped move "$study4" "$work/scoped.move.in"
check "movescu as SCOPED of the labelled study: all of it, byte for byte" "^ok 6\$" "$(received study_uid "$study4" "$work/scoped.move.in")"
# Patient level: the labelled study's patient has two studies; SCOPED gets only the labelled one.
owner=$($py -c 'import csv,sys; print(next(r["patient_id"] for r in csv.DictReader(open(sys.argv[1])) if r["study_uid"] == sys.argv[2]))' "$manifest" "$study4")
mkdir -p scoped.pat
in_ns timeout 30 getscu -v +B -P -to 10 -aet SCOPED -aec BASTION -od "$work/scoped.pat" 127.0.0.1 "$plain" \
  -k QueryRetrieveLevel=PATIENT -k "PatientID=$owner" >scoped.pat.log 2>&1
check "getscu -P PATIENT as SCOPED of the labelled study's patient ($(expected patient_id "$owner") instances): only the labelled study" \
  "^ok 6\$" "$(received study_uid "$study4" "$work/scoped.pat")"
echo "  (check 4: $((SECONDS - t)) s)"

# --- 5. Orthanc ----------------------------------------------------------------------------
echo "== 5. Orthanc <-> Bastion over DICOM TLS, in namespace $ns"
t=$SECONDS
unpack_orthanc

if [[ -n $orthanc ]]; then
  # Orthanc is a TLS server (Bastion's C-STORE sub-operations go to it) and a TLS client (its
  # C-FIND and C-MOVE): one certificate from Bastion's CA for both, so that Bastion, which
  # verifies move destinations against its own CA, trusts it. `bastion cert issue` makes
  # client-only certificates, hence openssl with the CA key.
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=critical,digitalSignature\n' >orthanc.ext
  if ! openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout orthanc.key \
    -out orthanc.csr -subj "/CN=ORTHANC" 2>/dev/null ||
    ! openssl x509 -req -in orthanc.csr -CA "$dir/tls/ca.pem" -CAkey "$dir/tls/ca.key" -CAcreateserial \
      -CAserial "$work/orthanc.srl" -days 2 -extfile orthanc.ext -out orthanc.pem 2>/dev/null; then
    fail_prereq "openssl: cannot make Orthanc's certificate"
  fi
  peer ORTHANC --host 127.0.0.1 --port "$o_dicom" --cert orthanc.pem --role viewer
  mkdir -p orthanc/db
  cat >orthanc/orthanc.json <<EOF
{ "Name": "retrieve-interop", "StorageDirectory": "$work/orthanc/db", "IndexDirectory": "$work/orthanc/db",
  "DicomAet": "ORTHANC", "DicomPort": $o_dicom, "HttpPort": $o_http, "RemoteAccessAllowed": false,
  "AuthenticationEnabled": false, "Plugins": [], "DicomCheckCalledAet": false,
  "DicomAlwaysAllowEcho": true, "DicomAlwaysAllowStore": true, "DicomCheckModalityHost": false,
  "DicomScuTimeout": 30, "DicomScpTimeout": 60,
  "DicomTlsEnabled": true, "DicomTlsCertificate": "$work/orthanc.pem", "DicomTlsPrivateKey": "$work/orthanc.key",
  "DicomTlsTrustedCertificates": "$dir/tls/ca.pem", "DicomTlsRemoteCertificateRequired": true,
  "DicomModalities": {
    "BASTION": { "AET": "BASTION", "Host": "127.0.0.1", "Port": $port, "UseDicomTls": true } } }
EOF
  in_ns "$orthanc" "$work/orthanc/orthanc.json" >>orthanc/log 2>&1 &
  orthanc_pid=$!
  o_up=0
  for _ in $(seq 150); do
    in_ns curl -sf -o /dev/null "http://127.0.0.1:$o_http/system" && { o_up=1; break; }
    kill -0 "$orthanc_pid" 2>/dev/null || break
    sleep 0.2
  done
  rest() { in_ns curl -sS --max-time 120 "$@"; }
  sleep 2.5  # the peer registry reload (ORTHANC was added while the server runs)
  if [[ $o_up -eq 1 ]]; then
    # (a) Orthanc queries Bastion, then retrieves a study by C-MOVE into itself.
    out=$(rest -X POST "http://127.0.0.1:$o_http/modalities/BASTION/echo" -d '{}' 2>&1; echo " exit $?")
    check "Orthanc C-ECHO to BASTION over TLS" "exit 0\$" "$out"
    q=$(rest -X POST "http://127.0.0.1:$o_http/modalities/BASTION/query" \
      -d "{\"Level\": \"Study\", \"Query\": {\"PatientID\": \"$pat1\", \"StudyInstanceUID\": \"\"}}" 2>&1)
    qid=$($py -c 'import json,sys; print(json.load(sys.stdin)["ID"])' <<<"$q" 2>/dev/null)
    answers=$(rest "http://127.0.0.1:$o_http/queries/$qid/answers?expand" 2>&1)
    check "Orthanc C-FIND to BASTION over TLS (POST /modalities/BASTION/query): the patient's 2 studies" \
      "^2 $study1\$" "$($py -c '
import json, sys
a = json.load(sys.stdin)
uids = sorted(x["0020,000d"]["Value"] for x in a)
print(len(a), sys.argv[1] if sys.argv[1] in uids else uids)' "$study1" <<<"$answers" 2>&1)"
    idx=$($py -c '
import json, sys
a = json.load(sys.stdin)
print(next(i for i, x in enumerate(a) if x["0020,000d"]["Value"] == sys.argv[1]))' "$study1" <<<"$answers" 2>/dev/null)
    out=$(rest -X POST "http://127.0.0.1:$o_http/queries/$qid/answers/${idx:-0}/retrieve" \
      -d '{"TargetAet": "ORTHANC", "Synchronous": true}' 2>&1)
    echo "$out" >orthanc.retrieve.json
    study_instances() {  # study_instances UID: SOP instance UIDs Orthanc holds for the study
      rest -X POST "http://127.0.0.1:$o_http/tools/find" \
        -d "{\"Level\": \"Instance\", \"Expand\": true, \"Query\": {\"StudyInstanceUID\": \"$1\"}}" |
        $py -c 'import json,sys; [print(i["MainDicomTags"]["SOPInstanceUID"]) for i in json.load(sys.stdin)]' 2>&1 | sort
    }
    want=$($py -c 'import csv,sys; [print(r["sop_uid"]) for r in csv.DictReader(open(sys.argv[1])) if r["study_uid"] == sys.argv[2]]' "$manifest" "$study1" | sort)
    got=$(study_instances "$study1")
    expect "Orthanc C-MOVE from BASTION into ORTHANC over TLS (/queries/ID/answers/N/retrieve): the study's SOP instances" \
      "6 same" "$(grep -c . <<<"$got") $([[ $got == "$want" ]] && echo same || echo different)"
    # One of them, byte for byte: Orthanc's copy of the data set is the imported one.
    oid=$(rest -X POST "http://127.0.0.1:$o_http/tools/lookup" -d "$sop1" |
      $py -c 'import json,sys; print(next(r["ID"] for r in json.load(sys.stdin) if r["Type"] == "Instance"))' 2>/dev/null)
    mkdir -p orthanc.file
    rest -o "$work/orthanc.file/one.dcm" "http://127.0.0.1:$o_http/instances/$oid/file" 2>/dev/null
    check "  ... Orthanc's copy of $sop1 has the imported data set, byte for byte" "^ok 1\$" \
      "$(received sop_uid "$sop1" "$work/orthanc.file")"
    # (b) Bastion moves another study into Orthanc (C-STORE sub-operations over TLS).
    out=$(in_ns timeout 120 "$bastion" move "${tls_cli[@]}" --dest ORTHANC -k "StudyInstanceUID=$study2" 2>&1; echo "exit $?")
    check "bastion move to ORTHANC (TLS destination): status 0x0000, 6 completed" "^status 0x0000: 6 completed, 0 failed" "$out"
    check "  ... exits 0" "^exit 0\$" "$out"
    want=$($py -c 'import csv,sys; [print(r["sop_uid"]) for r in csv.DictReader(open(sys.argv[1])) if r["study_uid"] == sys.argv[2]]' "$manifest" "$study2" | sort)
    got=$(study_instances "$study2")
    expect "  ... Orthanc holds the study's SOP instances" "6 same" "$(grep -c . <<<"$got") $([[ $got == "$want" ]] && echo same || echo different)"
    expect "Orthanc REST /studies: the 2 studies" 2 "$(rest "http://127.0.0.1:$o_http/studies" | $py -c 'import json,sys; print(len(json.load(sys.stdin)))' 2>&1)"
    expect "Orthanc REST /statistics: 12 instances" 12 "$(rest "http://127.0.0.1:$o_http/statistics" | $py -c 'import json,sys; print(json.load(sys.stdin)["CountInstances"])' 2>&1)"
    check "audit: C-MOVE sub-operations to ORTHANC" '"event":"instances-sent"' "$(grep instances-sent "$dir/audit/audit.log" | grep ORTHANC | tail -1)"
  else
    fail_prereq "Orthanc did not start: $(tail -5 orthanc/log)"
  fi
  kill "$orthanc_pid" 2>/dev/null
  for _ in $(seq 100); do kill -0 "$orthanc_pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$orthanc_pid" 2>/dev/null
  wait "$orthanc_pid" 2>/dev/null
fi
echo "  (check 5: $((SECONDS - t)) s)"
if kill -0 "$serve_pid" 2>/dev/null; then out=running; else out=$(tail -5 serve.err); fi
check "bastion serve is still running after all this" "^running\$" "$out"
check_audit_messages "the session's audit trail as DICOM audit messages, valid against PS3.15 A.5.1" \
  "$bastion" "$dir"
finish
