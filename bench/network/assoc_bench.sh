#!/usr/bin/env bash
# Associations per second with C-ECHO, and resident memory with 500 idle associations, for
# Bastion (TLS and plaintext), Orthanc and DCMTK's storescp, in one run on one machine (issue 3).
# Orthanc and storescp bind every interface, so every server and client runs inside a
# loopback-only network namespace. Run as root:
#   bench/network/assoc_bench.sh [BASTION_BINARY] [ASSOCIATIONS]
# Orthanc comes from Debian's package unpacked with dpkg -x (no system service is started);
# its libraries must be installed (apt-get install the package's dependencies, not the package).
# Writes bench/results/network-<date>.md. Every loop is bounded.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
bastion=$(readlink -f "${1:-build/release/apps/bastion/bastion}")
n=${2:-300}
ns=bastionbench
work=$(mktemp -d /tmp/bastion-netbench.XXXXXX)
cleanup() {
  # Every server runs inside the namespace: stop them all before removing it, so that none
  # outlives the benchmark (Orthanc takes a moment to stop; then it is killed).
  local inside
  inside=$(ip netns pids "$ns" 2>/dev/null || true)
  [[ -n $inside ]] && kill $inside 2>/dev/null || true
  for _ in $(seq 50); do
    inside=$(ip netns pids "$ns" 2>/dev/null || true)
    [[ -z $inside ]] && break
    sleep 0.1
  done
  [[ -n $inside ]] && kill -9 $inside 2>/dev/null || true
  ip netns del "$ns" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
ip netns add "$ns"
ip netns exec "$ns" ip link set lo up
in_ns() { ip netns exec "$ns" "$@"; }
export TCP_NODELAY=1

# Orthanc, unpacked privately.
orthanc=$work/orthanc/usr/sbin/Orthanc
(cd "$work" && apt-get download orthanc >/dev/null 2>&1 && dpkg -x orthanc_*.deb orthanc)

# Bastion: TLS 11120, plaintext 11121, limits raised for 500 idle associations.
"$bastion" init --dir "$work/pacs" --ae-title BASTION --dicom-port 11120 >/dev/null
sed -i 's/^# plaintext_port = 11112.*/plaintext_port = 11121/; s/^max_associations = 200/max_associations = 1000/; s/^max_associations_per_address = 20/max_associations_per_address = 1000/; s/^idle_timeout_seconds = 300/idle_timeout_seconds = 600/' "$work/pacs/bastion.toml"
"$bastion" peer add --dir "$work/pacs" BENCH --host 127.0.0.1 --role modality >/dev/null
ca=$work/pacs/tls/ca.pem
"$bastion" cert issue --dir "$work/pacs" peerserver --out "$work/peer" >/dev/null
# The peers' server certificate: issue one for localhost signed by the same CA.
cp "$work/pacs/tls/server.pem" "$work/srv.pem"
cp "$work/pacs/tls/server.key" "$work/srv.key"

in_ns "$bastion" serve --dir "$work/pacs" >"$work/bastion.log" 2>&1 &
in_ns storescp -aet STORESCP 11130 >/dev/null 2>&1 &
in_ns storescp +tls "$work/srv.key" "$work/srv.pem" +cf "$ca" -aet STORESCP 11131 >/dev/null 2>&1 &
mkdir -p "$work/o1" "$work/o2"
cat >"$work/o1/orthanc.json" <<EOF
{ "Name": "bench", "StorageDirectory": "$work/o1/db", "IndexDirectory": "$work/o1/db",
  "DicomAet": "ORTHANC", "DicomPort": 4242, "HttpPort": 8042, "RemoteAccessAllowed": false,
  "DicomAlwaysAllowEcho": true, "DicomCheckCalledAet": false, "Plugins": [] }
EOF
cat >"$work/o2/orthanc.json" <<EOF
{ "Name": "bench-tls", "StorageDirectory": "$work/o2/db", "IndexDirectory": "$work/o2/db",
  "DicomAet": "ORTHANC", "DicomPort": 4243, "HttpPort": 8043, "RemoteAccessAllowed": false,
  "DicomAlwaysAllowEcho": true, "DicomCheckCalledAet": false, "Plugins": [],
  "DicomTlsEnabled": true, "DicomTlsCertificate": "$work/srv.pem",
  "DicomTlsPrivateKey": "$work/srv.key", "DicomTlsTrustedCertificates": "$ca",
  "DicomTlsRemoteCertificateRequired": false }
EOF
in_ns "$orthanc" "$work/o1/orthanc.json" >"$work/o1/log" 2>&1 &
in_ns "$orthanc" "$work/o2/orthanc.json" >"$work/o2/log" 2>&1 &
sleep 3

# name port aet tls
servers=(
  "Bastion TLS|11120|BASTION|tls"
  "Bastion plaintext (loopback port)|11121|BASTION|plain"
  "Orthanc 1.10 plaintext|4242|ORTHANC|plain"
  "Orthanc 1.10 TLS|4243|ORTHANC|tls"
  "storescp plaintext|11130|STORESCP|plain"
  "storescp TLS|11131|STORESCP|tls"
)
rate() {  # rate PORT AET TLS N -> associations/s from one client process
  local args=(127.0.0.1 "$1" --aec "$2" --aet BENCH --associations "$4" --timeout 10)
  if [[ $3 == tls ]]; then args+=(--ca "$ca" --cert "$work/peer.pem" --key "$work/peer.key"); else args+=(--plaintext); fi
  in_ns "$bastion" echo "${args[@]}" 2>&1 | sed -n 's/.* \([0-9]*\) associations\/s.*/\1/p'
}
parallel_rate() {  # 4 client processes at once -> total associations/s
  local start end
  start=$(date +%s.%N)
  for _ in 1 2 3 4; do rate "$1" "$2" "$3" "$4" >/dev/null & done
  wait
  end=$(date +%s.%N)
  python3 -c "print(int(4*$4/($end-$start)))"
}
median() { python3 -c "import statistics,sys; v=[float(x) for x in sys.argv[1:] if x]; print(int(statistics.median(v)) if v else 'n/a')" "$@"; }

out=bench/results/network-$(date +%Y-%m-%d).md
mkdir -p bench/results
{
  echo "# C-ECHO associations per second and idle-association memory"
  echo
  echo "$(nproc) cores; load before: $(cut -d' ' -f1-3 /proc/loadavg). Client: \`bastion echo --associations $n\` (one process, sequential associate + C-ECHO + release), medians of 3; 4 clients in parallel for the second column. TCP_NODELAY=1 for DCMTK-based servers."
  echo
  echo "| server | assoc/s, 1 client | assoc/s, 4 clients |"
  echo "|---|---|---|"
} >"$out"
for s in "${servers[@]}"; do
  IFS='|' read -r name port aet tls <<<"$s"
  one=() four=()
  for _ in 1 2 3; do one+=("$(rate "$port" "$aet" "$tls" "$n")"); done
  for _ in 1 2 3; do four+=("$(parallel_rate "$port" "$aet" "$tls" "$((n / 4))")"); done
  echo "| $name | $(median "${one[@]}") | $(median "${four[@]}") |" >>"$out"
done

rss() { grep VmRSS "/proc/$1/status" | awk '{print $2}'; }
bastion_pid=$(pgrep -f "bastion serve --dir $work/pacs" | tail -n 1)
orthanc_pid=$(pgrep -f "$work/o1/orthanc.json" | tail -n 1)
{
  echo
  echo "## Resident memory with 500 idle associations"
  echo
  echo "| server | VmRSS before (KiB) | with 500 idle (KiB) | accepted |"
  echo "|---|---|---|---|"
} >>"$out"
hold() {  # hold NAME PID PORT AET [--ca CA]
  local name=$1 pid=$2 port=$3 aet=$4
  shift 4
  local before accepted with
  before=$(rss "$pid")
  in_ns /usr/bin/python3 "$root/bench/network/hold_associations.py" 127.0.0.1 "$port" "$aet" BENCH 500 --seconds 8 "$@" >"$work/held" 2>/dev/null &
  local holder=$!
  for _ in $(seq 60); do [[ -s $work/held ]] && break; sleep 0.5; done
  accepted=$(head -n 1 "$work/held" || echo 0)
  with=$(rss "$pid")
  wait "$holder" 2>/dev/null || true
  : >"$work/held"
  echo "| $name | $before | $with | $accepted |" >>"$out"
}
hold "Bastion TLS" "$bastion_pid" 11120 BASTION --ca "$ca"
hold "Bastion plaintext" "$bastion_pid" 11121 BASTION
hold "Orthanc 1.10 plaintext" "$orthanc_pid" 4242 ORTHANC
echo >>"$out"
echo "storescp serves one association at a time in its default mode, so it is not in the idle test." >>"$out"
cat "$out"
