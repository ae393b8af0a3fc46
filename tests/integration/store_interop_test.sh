#!/usr/bin/env bash
# C-STORE with real peers (issue 4):
#  1. DCMTK storescu over TLS with a client certificate and user identity sends every file of
#     pydicom's test corpus it can send, and a generated 2,000-instance CT study; every stored file
#     has a zero preamble and the data set that was sent; `bastion index` counts them right.
#     Refusals: no identity for a peer that requires one; a viewer gets 0x0124 per file;
#     a duplicate SOP instance with other content gets 0x0111 and changes nothing.
#  2. Orthanc 1.10 (Debian's package, unpacked, never installed) sends a study to Bastion over TLS.
#  3. `bastion store` sends a study to Orthanc over TLS.
# Needs root (network namespace) and the Debian packages dcmtk python3-pydicom python3-numpy curl
# openssl iproute2, plus the libraries of Orthanc's package (its Depends: line without the service
# parts), which scripts/install-deps.sh installs for tests. Every server runs on 127.0.0.1 or inside a private
# namespace with only `lo` (Orthanc and storescp listen on every interface); every wait is bounded.
#   tests/integration/store_interop_test.sh BASTION_BINARY
# ORTHANC_DEB=path/orthanc_*.deb uses that package instead of `apt-get download orthanc`;
# GEN_DATASET=path/gen_dataset.py (default bench/gen_dataset.py) generates the studies;
# KEEP_WORK=1 keeps the scratch directory (logs, archives) for a post-mortem.
set -uo pipefail
bastion=$(readlink -f "$1")
here=$(dirname "$(readlink -f "$0")")
helper=$here/store_interop.py
py=/usr/bin/python3   # Debian's python: python3-pydicom and python3-numpy
corpus=/usr/lib/python3/dist-packages/pydicom/data/test_files
gen=${GEN_DATASET:-$here/../../bench/gen_dataset.py}   # the benchmarks' corpus generator
export TCP_NODELAY=1   # DCMTK and Orthanc leave Nagle on otherwise (40 ms per message)
export PYTHONDONTWRITEBYTECODE=1   # no __pycache__ in the source tree
start_time=$SECONDS

# shellcheck source=tests/integration/lib.sh
source "$here/lib.sh"
# --- prerequisites ------------------------------------------------------------------------
require_tools "apt-get install dcmtk curl openssl iproute2" storescu storescp echoscu curl openssl ip timeout
$py -c 'import pydicom, numpy' 2>/dev/null || { fail_prereq "$py cannot import pydicom and numpy (apt-get install python3-pydicom python3-numpy)"; finish; }
[[ -d $corpus ]] || { fail_prereq "pydicom's test corpus $corpus is missing (python3-pydicom)"; finish; }
[[ -f $gen ]] || { fail_prereq "no corpus generator at $gen (set GEN_DATASET=.../gen_dataset.py)"; finish; }
[[ -x $bastion ]] || { fail_prereq "no Bastion binary at $1"; finish; }

host_pids=()
# shellcheck disable=SC2317  # called on exit, by lib.sh
before_cleanup() {  # the servers started outside the namespace
  local pid
  for pid in "${host_pids[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${host_pids[@]}"; do wait "$pid" 2>/dev/null; done
}
private_namespace store-interop

free_port() { $py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# wait_for FILE REGEX SECONDS: until a server's log says it is listening
wait_for() {
  local i
  for ((i = 0; i < $3 * 10; i++)); do
    grep -Eq -- "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "timed out after $3 s waiting for /$2/ in $1:" >&2
  tail -5 "$1" >&2
  return 1
}

# --- archives -----------------------------------------------------------------------------
# new_archive NAME PORT BIND: a Bastion data directory $work/NAME with
#   peer MODALITY (127.0.0.1, role modality, client certificate NAME-modality.pem, identity required),
#   peer VIEWER (127.0.0.1, role viewer, certificate NAME-viewer.pem), user tech (role modality).
password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
new_archive() {
  local name=$1 port=$2 bind=$3 d=$work/$1
  "$bastion" init --dir "$d" --ae-title BASTION --dicom-port "$port" --http-port "$(free_port)" >"$d.init" 2>&1 || { cat "$d.init"; return 1; }
  sed -i "s/^bind = \"0.0.0.0\"/bind = \"$bind\"/" "$d/bastion.toml"
  grep -q "^bind = \"$bind\"" "$d/bastion.toml" || { echo "$d/bastion.toml: cannot set bind" >&2; return 1; }
  "$bastion" cert issue --dir "$d" MODALITY --out "$work/$name-modality" >/dev/null &&
    "$bastion" cert issue --dir "$d" VIEWER --out "$work/$name-viewer" >/dev/null &&
    "$bastion" peer add --dir "$d" MODALITY --host 127.0.0.1 --role modality --require-identity \
      --cert "$work/$name-modality.pem" >/dev/null &&
    "$bastion" peer add --dir "$d" VIEWER --host 127.0.0.1 --role viewer --cert "$work/$name-viewer.pem" >/dev/null &&
    printf '%s\n' "$password" | "$bastion" user add --dir "$d" tech --role modality --password-stdin >/dev/null
}
# start_archive NAME: `bastion serve` on 127.0.0.1 of this host; sets archive_pid
start_archive() {
  timeout 900 "$bastion" serve --dir "$work/$1" >"$work/$1.serve.out" 2>"$work/$1.serve.err" &
  archive_pid=$!
  host_pids+=("$archive_pid")
  wait_for "$work/$1.serve.out" listening 20
}
stop_pid() {  # SIGTERM, up to 10 s, then SIGKILL
  kill "$1" 2>/dev/null || return 0
  for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$1" 2>/dev/null
  wait "$1" 2>/dev/null
  return 0
}
index_of() {  # index_of NAME: NAME.list.json and NAME.stats.json from `bastion index`; FAIL if it fails
  if ! timeout 120 "$bastion" index list --dir "$work/$1" --json >"$work/$1.list.json" 2>"$work/$1.index.err" ||
    ! timeout 120 "$bastion" index stats --dir "$work/$1" --json >"$work/$1.stats.json" 2>>"$work/$1.index.err"; then
    echo "FAIL bastion index list/stats --dir $1 --json:"
    indent <"$work/$1.index.err"
    failed=$((failed + 1))
    return 1
  fi
}

# The reference copy of what storescu puts on the wire: DCMTK storescp, bit-preserving (+B),
# every transfer syntax (+xa), inside the namespace. DCMTK's storescu re-encodes data sets (it
# drops (FFFC,FFFC) padding, trims value padding, recomputes group lengths, fixes OW to OB for
# encapsulated Pixel Data), so "the data set that was sent" is what this copy holds; the helper
# also prints how it differs from the corpus file.
capture_port=11131
in_ns storescp -aet CAPTURE +B +xa -uf -od "$work/capture" "$capture_port" >"$work/storescp.log" 2>&1 &
mkdir -p "$work/capture"
capture_up=0
for _ in $(seq 100); do
  in_ns echoscu -to 2 -aec CAPTURE 127.0.0.1 "$capture_port" >/dev/null 2>&1 && { capture_up=1; break; }
  sleep 0.2
done
[[ $capture_up -eq 1 ]] || { fail_prereq "the reference storescp did not start: $(tail -3 storescp.log)"; finish; }
capture() {  # capture LIST DIR: send LIST's files as the test does, move what arrived to DIR
  local files
  mapfile -t files <"$1"
  mkdir -p "$2"
  in_ns timeout 120 storescu -nh -aec CAPTURE -xf plan/storescu.cfg Corpus 127.0.0.1 "$capture_port" \
    "${files[@]}" >"$2.log" 2>&1
  find "$work/capture" -maxdepth 1 -type f -exec mv -t "$2" {} +
}

# --- 1. DCMTK storescu over TLS with user identity ---------------------------------------
echo "== 1. DCMTK storescu -> Bastion over TLS with user identity"
t=$SECONDS
mkdir -p plan
$py "$helper" select "$corpus" plan
echo "  corpus files left out by rule (path: reason):"
sed 's/\t/: /; s/^/    /' plan/excluded.tsv
# Which candidates storescu itself refuses: with -R it reads every file before it connects
# (nothing listens on port 9 in the namespace) and says "..., ignoring file".
mapfile -t candidates <plan/candidates.txt
in_ns timeout 60 storescu -R -nh +fo -aec NOBODY 127.0.0.1 9 "${candidates[@]}" >plan/dry-run.log 2>&1
sed -nE 's/.* in file: (.*), ignoring file$/\1/p' plan/dry-run.log >plan/refused.txt
echo "  corpus files storescu itself refuses:"
$py -c 'import sys; sys.path.insert(0, sys.argv[1]); import store_interop as s; [print(f"    {k}: {v}") for k, v in sorted(s.STORESCU_REFUSES.items())]' "$here"
check_rc "storescu refuses exactly the corpus files listed in store_interop.py" $py "$helper" rounds plan plan/refused.txt
rounds=$(find plan -name 'round*.txt' | wc -l)
echo "  the corpus reuses SOP instance UIDs (one image in several transfer syntaxes): round 1 sends the"
echo "  first file of each, rounds 2..$rounds the others, each round to a fresh archive"

# The generated study: 2,000 CT instances of 512x512 (about 1 GB; gen_dataset.py writes it in a
# few seconds on 2 cores, so CI uses the full size), 4 series of 500.
t2=$SECONDS
$py "$gen" --out "$work/ct" --patients 1 --studies 1 --series 4 --instances 500 --seed 4 >gen.log 2>&1 ||
  { fail_prereq "gen_dataset.py failed: $(tail -3 gen.log)"; finish; }
find "$work/ct" -name '*.dcm' | sort >plan/ct.txt
echo "  generated $(wc -l <plan/ct.txt) CT instances, $(du -sh "$work/ct" | cut -f1)"; took "generating" "$t2"

a_port=$(free_port)
new_archive a "$a_port" 127.0.0.1 || { fail_prereq "cannot set up archive a"; finish; }
start_archive a || { fail_prereq "bastion serve did not start: $(cat a.serve.err)"; finish; }
a_pid=$archive_pid
tls_a=(+tls "$work/a-modality.key" "$work/a-modality.pem" +cf "$work/a/tls/ca.pem")
ident=(--user tech --password "$password")

mapfile -t round1 <plan/round1.txt
capture plan/round1.txt ref/r1
check "reference storescp received every round-1 corpus file" "^$(wc -l <plan/round1.txt)\$" "$(find ref/r1 -type f | wc -l)"

t2=$SECONDS
timeout 120 storescu -v -nh "${tls_a[@]}" -aet MODALITY -aec BASTION "${ident[@]}" \
  -xf plan/storescu.cfg Corpus 127.0.0.1 "$a_port" "${round1[@]}" >a.corpus.log 2>&1
$py "$helper" statuses a.corpus.log >a.corpus.status
check "storescu (TLS, client certificate, user identity): every corpus file gets 0x0000" \
  "^$(wc -l <plan/round1.txt) 0x0000\$" "$(cut -f2 a.corpus.status | sort | uniq -c | sed 's/^ *//'; grep -E '^[EF]:' a.corpus.log | head -5)"
took "corpus round 1" "$t2"

t2=$SECONDS
timeout 300 storescu -v -nh "${tls_a[@]}" -aet MODALITY -aec BASTION "${ident[@]}" \
  +sd +r +sp '*.dcm' 127.0.0.1 "$a_port" "$work/ct" >a.ct.log 2>&1
$py "$helper" statuses a.ct.log >a.ct.status
check "storescu: every one of the 2,000 CT instances gets 0x0000" \
  "^2000 0x0000\$" "$(cut -f2 a.ct.status | sort | uniq -c | sed 's/^ *//'; grep -E '^[EF]:' a.ct.log | head -5)"
took "2,000 CT instances over TLS, 1 association" "$t2"

t2=$SECONDS
if index_of a; then
  check_rc "stored files: zero preamble, index rows, same data sets as sent; index stats count patients, studies, series, instances" \
    $py "$helper" compare a.list.json a.stats.json plan/round1.txt:ref/r1 plan/ct.txt
fi
took "reading everything back" "$t2"

# Refusals.
out=$(timeout 20 storescu "${tls_a[@]}" -aet MODALITY -aec BASTION 127.0.0.1 "$a_port" "${round1[0]}" 2>&1)
check "storescu without user identity, peer requires one: association rejected" "Association Rejected" "$out"

$py "$gen" --out "$work/fresh" --patients 1 --studies 1 --series 1 --instances 3 --size 64 --seed 5 >/dev/null 2>&1
mapfile -t fresh < <(find "$work/fresh" -name '*.dcm' | sort)
timeout 30 storescu -d -nh +tls "$work/a-viewer.key" "$work/a-viewer.pem" +cf "$work/a/tls/ca.pem" \
  -aet VIEWER -aec BASTION 127.0.0.1 "$a_port" "${fresh[@]}" >a.viewer.log 2>&1
$py "$helper" statuses a.viewer.log >a.viewer.status
check "a peer whose role lacks store (viewer): 0x0124 for each of ${#fresh[@]} files" \
  "^${#fresh[@]} 0x0124\$" "$(cut -f2 a.viewer.status | sort | uniq -c | sed 's/^ *//'; grep -E '^[EF]:|Status' a.viewer.log | head -5)"

# Duplicates: the later files of every SOP instance UID sent to the same archive.
cut -f1 plan/duplicates.tsv >plan/duplicates.txt
mapfile -t dups <plan/duplicates.txt
timeout 60 storescu -d -nh "${tls_a[@]}" -aet MODALITY -aec BASTION "${ident[@]}" \
  -xf plan/storescu.cfg Corpus 127.0.0.1 "$a_port" "${dups[@]}" >a.dups.log 2>&1
$py "$helper" statuses a.dups.log >a.dups.status
out=$(diff <(sort plan/duplicates.tsv) <(sort a.dups.status) && echo same)
check "duplicate SOP instances: 0x0111 when the content differs, 0x0000 when identical ($(grep -c 0x0111 plan/duplicates.tsv) / $(grep -c 0x0000 plan/duplicates.tsv))" "^same\$" "$out"
if index_of a; then
  check_rc "after the refused and duplicate stores the archive holds exactly what it held" \
    $py "$helper" compare a.list.json a.stats.json plan/round1.txt:ref/r1 plan/ct.txt
fi
check_rc "bastion verify: every stored file re-hashes to its index entry" timeout 120 "$bastion" verify --dir "$work/a"
stop_pid "$a_pid"

# The other files of the corpus (same SOP instance UIDs, other transfer syntaxes), one fresh
# archive per round.
for ((k = 2; k <= rounds; k++)); do
  mapfile -t files <"plan/round$k.txt"
  capture "plan/round$k.txt" "ref/r$k"
  port=$(free_port)
  if ! new_archive "r$k" "$port" 127.0.0.1 || ! start_archive "r$k"; then
    fail_prereq "archive r$k did not start"
    continue
  fi
  timeout 60 storescu -v -nh +tls "$work/r$k-modality.key" "$work/r$k-modality.pem" +cf "$work/r$k/tls/ca.pem" \
    -aet MODALITY -aec BASTION "${ident[@]}" -xf plan/storescu.cfg Corpus 127.0.0.1 "$port" "${files[@]}" >"r$k.log" 2>&1
  $py "$helper" statuses "r$k.log" >"r$k.status"
  names=$(xargs -n1 basename <"plan/round$k.txt" | paste -sd ' ')
  check "corpus round $k (${#files[@]} files: $names): 0x0000 for each" "^${#files[@]} 0x0000\$" \
    "$(cut -f2 "r$k.status" | sort | uniq -c | sed 's/^ *//'; grep -E '^[EF]:' "r$k.log" | head -5)"
  if index_of "r$k"; then
    check_rc "corpus round $k reads back with the data sets sent" \
      $py "$helper" compare "r$k.list.json" "r$k.stats.json" "plan/round$k.txt:ref/r$k"
  fi
  stop_pid "$archive_pid"
done
took "check 1" "$t"

# --- 2. and 3. Orthanc ----------------------------------------------------------------------
echo "== 2./3. Orthanc <-> Bastion over TLS, in namespace $ns"
t=$SECONDS
unpack_orthanc

if [[ -n $orthanc ]]; then
  # Bastion inside the namespace; port 11112 there is private.
  b=$work/b
  new_archive b 11112 127.0.0.1 || fail_prereq "cannot set up archive b"
  "$bastion" cert issue --dir "$b" ORTHANC --out "$work/orthanc-client" >/dev/null
  "$bastion" peer add --dir "$b" ORTHANC --host 127.0.0.1 --role modality --cert "$work/orthanc-client.pem" >/dev/null
  "$bastion" cert issue --dir "$b" BASTION --out "$work/bastion-client" >/dev/null
  ip netns exec "$ns" timeout 900 "$bastion" serve --dir "$b" >b.serve.out 2>b.serve.err &
  wait_for b.serve.out listening 20 || fail_prereq "bastion serve in the namespace did not start: $(cat b.serve.err)"

  # Orthanc's own server certificate, from its own CA: `bastion cert issue` makes client
  # certificates (extendedKeyUsage clientAuth), which DCMTK and OpenSSL refuse from a TLS server.
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n' >orthanc-server.ext
  if ! openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout orthanc-ca.key -out orthanc-ca.pem \
    -subj "/O=Orthanc site/CN=Orthanc test CA" -days 2 -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null ||
    ! openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout orthanc-server.key \
      -out orthanc-server.csr -subj "/CN=ORTHANC" 2>/dev/null ||
    ! openssl x509 -req -in orthanc-server.csr -CA orthanc-ca.pem -CAkey orthanc-ca.key -CAcreateserial -days 2 \
      -extfile orthanc-server.ext -out orthanc-server.pem 2>/dev/null; then
    fail_prereq "openssl: cannot make Orthanc's server certificate"
  fi

  orthanc_config() {  # orthanc_config CERT KEY: TLS on DICOM port 4242 (the only DICOM port), HTTP 8042
    mkdir -p "$work/orthanc/db"
    cat >"$work/orthanc/orthanc.json" <<EOF
{ "Name": "interop", "StorageDirectory": "$work/orthanc/db", "IndexDirectory": "$work/orthanc/db",
  "DicomAet": "ORTHANC", "DicomPort": 4242, "HttpPort": 8042, "RemoteAccessAllowed": false,
  "AuthenticationEnabled": false, "Plugins": [], "DicomCheckCalledAet": false,
  "DicomAlwaysAllowEcho": true, "DicomAlwaysAllowStore": true, "DicomCheckModalityHost": false,
  "DicomScuTimeout": 30, "DicomScpTimeout": 60,
  "DicomTlsEnabled": true, "DicomTlsCertificate": "$1", "DicomTlsPrivateKey": "$2",
  "DicomTlsTrustedCertificates": "$b/tls/ca.pem", "DicomTlsRemoteCertificateRequired": true,
  "DicomModalities": {
    "BASTION": { "AET": "BASTION", "Host": "127.0.0.1", "Port": 11112, "UseDicomTls": true } } }
EOF
  }
  orthanc_start() {  # sets orthanc_pid; waits for the REST API (<= 30 s)
    ip netns exec "$ns" "$orthanc" "$work/orthanc/orthanc.json" >>"$work/orthanc/log" 2>&1 &
    orthanc_pid=$!
    for _ in $(seq 150); do
      in_ns curl -sf -o /dev/null http://127.0.0.1:8042/system && return 0
      kill -0 "$orthanc_pid" 2>/dev/null || break
      sleep 0.2
    done
    echo "Orthanc did not start:" >&2
    tail -5 "$work/orthanc/log" >&2
    return 1
  }
  rest() { in_ns curl -sS --max-time 120 "$@"; }

  # 2. Orthanc -> Bastion: Orthanc presents the certificate `bastion cert issue` made for it.
  orthanc_config "$work/orthanc-client.pem" "$work/orthanc-client.key"
  if orthanc_start; then
    $py "$gen" --out "$work/to-bastion" --patients 1 --studies 1 --series 2 --instances 3 --size 64 --seed 6 >/dev/null 2>&1
    find "$work/to-bastion" -name '*.dcm' | sort >plan/to-bastion.txt
    n=$(wc -l <plan/to-bastion.txt)
    uploaded=0
    while read -r f; do
      rest -f -X POST http://127.0.0.1:8042/instances --data-binary "@$f" >>upload.json && uploaded=$((uploaded + 1))
    done <plan/to-bastion.txt
    check "Orthanc REST: $n instances uploaded" "^$n\$" "$uploaded"
    study_uid=$($py -c 'import pydicom,sys; print(pydicom.dcmread(sys.argv[1]).StudyInstanceUID)' "$(head -1 plan/to-bastion.txt)")
    orthanc_study=$(rest -X POST http://127.0.0.1:8042/tools/lookup -d "$study_uid" | $py -c 'import json,sys; print(next(r["ID"] for r in json.load(sys.stdin) if r["Type"] == "Study"))')
    out=$(rest -X POST "http://127.0.0.1:8042/modalities/BASTION/store" -d "$orthanc_study" 2>&1)
    check "Orthanc C-STORE to BASTION over TLS (POST /modalities/BASTION/store): $n sent, none failed" \
      "\"FailedInstancesCount\" *: *0,.*\"InstancesCount\" *: *$n," "$(tr -d '\n' <<<"$out")"
    timeout 120 "$bastion" index list --dir "$b" --study "$study_uid" --json >b.study.json 2>&1
    out=$($py -c '
import json, sys, pydicom
text = open(sys.argv[1]).read()
try:
    rows = json.loads(text)
except ValueError:
    sys.exit("bastion index list --study: not JSON: " + text[:300])
have = {r["sop_instance_uid"] for r in rows}
want = {str(pydicom.dcmread(p.strip(), stop_before_pixels=True).SOPInstanceUID) for p in open(sys.argv[2])}
print("missing:", sorted(want - have)) if want - have else print(f"all {len(want)} instances indexed")' b.study.json plan/to-bastion.txt 2>&1)
    check "Orthanc's instances arrive in Bastion's index" "^all $n instances indexed\$" "$out"
    if index_of b; then
      check_rc "Orthanc's instances are stored with the data sets it was given" \
        $py "$helper" compare b.list.json b.stats.json plan/to-bastion.txt
    fi
    check "audit: the association from ORTHANC" '"event":"association-accepted".*"peer_ae":"ORTHANC"' "$(cat "$b/audit/audit.log" 2>/dev/null)"
    stop_pid "$orthanc_pid"
  else
    fail_prereq "Orthanc (certificate from bastion cert issue) did not start"
  fi

  # 3. Bastion -> Orthanc: Orthanc serves its own certificate and wants Bastion's client one.
  orthanc_config "$work/orthanc-server.pem" "$work/orthanc-server.key"
  if orthanc_start; then
    $py "$gen" --out "$work/to-orthanc" --patients 1 --studies 1 --series 2 --instances 5 --size 64 --seed 7 >/dev/null 2>&1
    rm -f "$work/to-orthanc/manifest.csv"   # the directory goes to `bastion store`: DICOM files only
    n=$(find "$work/to-orthanc" -name '*.dcm' | wc -l)
    study_uid=$($py -c 'import pydicom,sys; print(pydicom.dcmread(sys.argv[1]).StudyInstanceUID)' "$(find "$work/to-orthanc" -name '*.dcm' | head -1)")
    out=$(in_ns timeout 120 "$bastion" store --to ORTHANC@127.0.0.1:4242 --aet BASTION --ca "$work/orthanc-ca.pem" \
      --cert "$work/bastion-client.pem" --key "$work/bastion-client.key" "$work/to-orthanc" 2>&1; echo "exit $?")
    check "bastion store to Orthanc over TLS: summary says all $n stored" "stored $n, failed 0" "$out"
    check "  ... and exits 0" "^exit 0\$" "$out"
    out=$(rest http://127.0.0.1:8042/studies?expand | $py -c '
import json, sys
studies = [s for s in json.load(sys.stdin) if s["MainDicomTags"].get("StudyInstanceUID") == sys.argv[1]]
series = sum(len(s["Series"]) for s in studies)
print(f"{len(studies)} study, {series} series")' "$study_uid" 2>&1)
    check "Orthanc REST /studies lists the study with its 2 series" "^1 study, 2 series\$" "$out"
    out=$(rest http://127.0.0.1:8042/instances?expand | $py -c '
import json, sys, pydicom, pathlib
have = {i["MainDicomTags"]["SOPInstanceUID"] for i in json.load(sys.stdin)}
want = {str(pydicom.dcmread(p, stop_before_pixels=True).SOPInstanceUID) for p in pathlib.Path(sys.argv[1]).rglob("*.dcm")}
print(f"all {len(want)} instances" if want <= have else f"missing {sorted(want - have)}")' "$work/to-orthanc" 2>&1)
    check "Orthanc REST /instances has every instance" "^all $n instances\$" "$out"
    out=$(in_ns timeout 60 "$bastion" store --to ORTHANC@127.0.0.1:4242 --aet BASTION --ca "$work/orthanc-ca.pem" \
      "$work/to-orthanc" 2>&1; echo "exit $?")
    check "bastion store without a client certificate: Orthanc refuses, exit non-zero" \
      "(handshake|certificate|TLS|failed [1-9]).*exit [1-9]" "$(tr '\n' ' ' <<<"$out")"
    out=$(in_ns timeout 60 "$bastion" store --to ORTHANC@127.0.0.1:4242 --aet BASTION --ca "$b/tls/ca.pem" \
      --cert "$work/bastion-client.pem" --key "$work/bastion-client.key" "$work/to-orthanc" 2>&1; echo "exit $?")
    check "bastion store does not trust Orthanc's certificate without its CA, exit non-zero" \
      "(verify|certificate|handshake|TLS).*exit [1-9]" "$(tr '\n' ' ' <<<"$out")"
    stop_pid "$orthanc_pid"
  else
    fail_prereq "Orthanc (its own server certificate) did not start"
  fi
fi
took "checks 2 and 3" "$t"
finish
