#!/usr/bin/env bash
# The audit trail exported to rsyslog (Debian's rsyslog and rsyslog-openssl) as DICOM audit
# messages over syslog on TLS (RFC 5424/5425, issue 7). A scripted session (peers registered, a
# refused association, a store, a query, a C-GET, a WADO-RS retrieval, a C-MOVE to a second
# server, a deletion) runs against `bastion serve`; the
# collector is stopped in the middle and the session goes on; once it is back, every record of the
# trail has arrived, each exactly once, with its sequence number, as a valid PS3.15 A.5.1 message.
# rsyslogd runs in the foreground with its own configuration on 127.0.0.1, never as a service.
#   tests/integration/audit_syslog_test.sh BASTION_BINARY
set -uo pipefail
bastion=$(readlink -f "$1")
here=$(dirname "$(readlink -f "$0")")
# shellcheck source=tests/integration/lib.sh
source "$here/lib.sh"
for tool in rsyslogd openssl xmllint storescu; do
  command -v "$tool" >/dev/null || { echo "FAIL prerequisite: $tool is not installed (make deps-test)"; exit 1; }
done
[[ -e /usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_ossl.so || -n $(find /usr/lib -name 'lmnsd_ossl.so' 2>/dev/null | head -1) ]] ||
  { echo "FAIL prerequisite: rsyslog's OpenSSL driver is missing (apt-get install rsyslog-openssl)"; exit 1; }
in_work_dir syslog

port=$(free_port)
syslog_port=$(free_port)
dir=$work/pacs
http_port=$(free_port)
"$bastion" init --dir "$dir" --ae-title BASTION --dicom-port "$port" --http-port "$http_port" >/dev/null
sed -i 's/^bind = .*/bind = "127.0.0.1"/' "$dir/bastion.toml"  # DICOM and HTTPS on loopback
cat >>"$dir/bastion.toml" <<TOML

[[syslog]]
name = "rsyslog"
host = "127.0.0.1"
port = $syslog_port
max_retry_seconds = 1
TOML

# The collector's certificate, for 127.0.0.1, signed by the instance's CA (what an operator does
# with their own PKI).
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout collector.key \
  -subj /CN=collector -out collector.csr 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >collector.ext
openssl x509 -req -in collector.csr -CA "$dir/tls/ca.pem" -CAkey "$dir/tls/ca.key" \
  -CAcreateserial -days 1 -extfile collector.ext -out collector.pem 2>/dev/null
mkdir -p rsyslog-work
cat >rsyslog.conf <<CONF
global(workDirectory="$work/rsyslog-work"
       DefaultNetstreamDriver="ossl"
       DefaultNetstreamDriverCAFile="$dir/tls/ca.pem"
       DefaultNetstreamDriverCertFile="$work/collector.pem"
       DefaultNetstreamDriverKeyFile="$work/collector.key")
module(load="imtcp" StreamDriver.Name="ossl" StreamDriver.Mode="1"
       StreamDriver.AuthMode="x509/certvalid")
input(type="imtcp" address="127.0.0.1" port="$syslog_port")
template(name="raw" type="string" string="%rawmsg%\n")
action(type="omfile" file="$work/received.log" template="raw")
CONF
start_rsyslog() {
  rsyslogd -n -f rsyslog.conf -i "$work/rsyslog.pid" >>rsyslog.out 2>&1 &
  rsyslog_pid=$!
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$syslog_port") 2>/dev/null && return
    sleep 0.1
  done
}
stop_rsyslog() { kill "$rsyslog_pid" 2>/dev/null; wait "$rsyslog_pid" 2>/dev/null; }
cleanup() {
  kill "${server_pid:-}" "${dest_pid:-}" 2>/dev/null
  stop_rsyslog
}
trap cleanup EXIT

/usr/bin/python3 "$here/../../bench/gen_dataset.py" --out corpus --patients 2 --studies 1 --series 1 \
  --instances 3 --size 32 --seed 5 >/dev/null
study=$(sed -n 2p corpus/manifest.csv | cut -d, -f3)
"$bastion" cert issue --dir "$dir" MODALITY --out modality >/dev/null
"$bastion" peer add --dir "$dir" MODALITY --host 127.0.0.1 --cert modality.pem --role modality >/dev/null
"$bastion" cert issue --dir "$dir" VIEWER --out viewer >/dev/null
"$bastion" peer add --dir "$dir" VIEWER --host 127.0.0.1 --cert viewer.pem --role viewer >/dev/null
# A second Bastion as the C-MOVE destination (plaintext on loopback, registered as such).
dest=$work/dest
dest_port=$(free_port)
dest_plain=$(free_port)
"$bastion" init --dir "$dest" --ae-title DEST --dicom-port "$dest_port" --http-port "$(free_port)" >/dev/null
sed -i "s/^bind = .*/bind = \"127.0.0.1\"/; s/^# plaintext_port = 11112.*/plaintext_port = $dest_plain/" "$dest/bastion.toml"
"$bastion" peer add --dir "$dest" BASTION --host 127.0.0.1 --role modality >/dev/null
"$bastion" peer add --dir "$dir" DEST --host 127.0.0.1 --port "$dest_plain" --plaintext --role viewer >/dev/null

start_rsyslog
"$bastion" serve --dir "$dest" >dest.log 2>&1 &
dest_pid=$!
"$bastion" serve --dir "$dir" >server.log 2>&1 &
server_pid=$!
for _ in $(seq 100); do grep -q "listening" server.log && break; sleep 0.1; done
tls=(--ca "$dir/tls/ca.pem")
to=BASTION@127.0.0.1:$port
# Session, first half: a refused caller, a store, a query.
"$bastion" echo 127.0.0.1 "$port" --aec BASTION --aet NOBODY "${tls[@]}" >/dev/null 2>&1
check_rc "store the corpus" "$bastion" store --to "$to" "${tls[@]}" --aet MODALITY \
  --cert modality.pem --key modality.key corpus
check_rc "query it" "$bastion" find --to "$to" "${tls[@]}" --aet VIEWER --cert viewer.pem \
  --key viewer.key -k PatientID
sleep 1
stop_rsyslog
check "the collector is down" "^down$" "$( (exec 3<>"/dev/tcp/127.0.0.1/$syslog_port") 2>/dev/null && echo up || echo down)"
# Second half, the collector down: a retrieve, a deletion, a configuration change.
check_rc "retrieve a study (C-GET) while the collector is down" "$bastion" get --to "$to" \
  "${tls[@]}" --aet VIEWER --cert viewer.pem --key viewer.key --out got -k "StudyInstanceUID=$study"
token=$("$bastion" token create --dir "$dir" admin --ttl 1h 2>/dev/null | head -1)
check "retrieve it over DICOMweb (WADO-RS) while the collector is down" "^200$" \
  "$(curl -s -o wado.out -w '%{http_code}' --max-time 30 --cacert "$dir/tls/ca.pem" \
    -H "Authorization: Bearer $token" "https://127.0.0.1:$http_port/dicom-web/studies/$study")"
check_rc "move it to the second server (C-MOVE)" "$bastion" move --to "$to" "${tls[@]}" \
  --aet VIEWER --cert viewer.pem --key viewer.key --dest DEST -k "StudyInstanceUID=$study"
check_rc "delete it" "$bastion" delete --dir "$dir" --study "$study"
"$bastion" peer add --dir "$dir" LATE --host 127.0.0.1 --role viewer >/dev/null
sleep 2
start_rsyslog

# Every event record of the trail (checkpoints stay local) arrives, each once.
expected() { grep -v '"event":"checkpoint"' "$dir/audit/audit.log" | sed 's/.*"seq":\([0-9]*\).*/\1/' | sort -n; }
arrived() { sed -n 's/.*\[meta sequenceId="\([0-9]*\)"\].*/\1/p' received.log 2>/dev/null | sort -n; }
for _ in $(seq 150); do
  [[ "$(expected)" == "$(arrived | uniq)" ]] && break
  sleep 0.2
done
want=$(expected | wc -l)
got=$(arrived | wc -l)
check "every record arrived after the collector came back ($want records)" "^$want$" "$got"
check "no record arrived twice" "^$" "$(arrived | uniq -d | tr '\n' ' ')"
check "the same records as the trail" "^same$" "$([[ "$(expected)" == "$(arrived)" ]] && echo same || echo different)"
log=$(cat received.log)
check "RFC 5424 header: facility 10, version 1, MSGID IHE+RFC-3881" \
  '^<8[0-9]>1 [0-9T:-]+Z [^ ]+ bastion - IHE\+RFC-3881 \[meta sequenceId="1"\]' "$(head -1 received.log)"
check "a login refused" 'csd-code="110114".*EventOutcomeIndicator|EventOutcomeIndicator="4".*csd-code="110114"' "$log"
check "the store (110104, action C)" 'EventActionCode="C"[^>]*>.*csd-code="110104"' "$log"
check "the query (110112)" 'csd-code="110112"' "$log"
check "the retrieve (110104, action R)" 'EventActionCode="R"[^>]*>.*csd-code="110104"' "$log"
check "the move, begun (110102) and done, to DEST" 'csd-code="110102".*C-MOVE to DEST' "$log"
check "the move's sub-operations (instances-sent to DEST)" 'C-MOVE to DEST: sent 3 instance' "$log"
check "the WADO-RS retrieval (110104, action R, by admin)" 'WADO-RS /dicom-web/studies/' "$log"
check "the deletion (110105)" 'csd-code="110105"' "$log"
check "the configuration change (110113 / 110129)" 'csd-code="110129"' "$log"
n=0 bad=0
while IFS= read -r line; do
  n=$((n + 1))
  printf '%s\n' "${line#*$'\xEF\xBB\xBF'}" >message.xml
  xmllint --noout --relaxng "$here/../data/audit/dicom-audit-message.rng" message.xml 2>/dev/null || bad=$((bad + 1))
done <received.log
check "every received message validates against PS3.15 A.5.1" "^$n messages, 0 invalid$" "$n messages, $bad invalid"
# A clean stop delivers what is left before the process exits.
kill "$server_pid"
wait "$server_pid" 2>/dev/null
check "the stop reached the collector before the server exited" 'csd-code="110121"' "$(cat received.log)"
summary
