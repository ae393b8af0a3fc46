# Shared set-up for the network benchmarks (sourced by assoc_bench.sh and idle_memory.sh).
# Every server and every client runs inside a loopback-only network namespace: Orthanc 1.10 and
# storescp bind every interface, and there is nothing but `lo` inside the namespace.
# Requires root (ip netns), Debian's dcmtk, hyperfine, and the shared libraries Orthanc needs
# (apt-get install the dependencies listed by `dpkg -I orthanc_*.deb`, not the package itself:
# the package would start a system service listening on every interface).
#
# Ports inside the namespace:
#   Bastion TLS 11120, Bastion plaintext 11121, Orthanc plain 4242 (HTTP 8042),
#   Orthanc TLS 4243 (HTTP 8043), storescp plain 11130, storescp TLS 11131.

NS=${NS:-bastionnetbench}
export TCP_NODELAY=1   # DCMTK (echoscu, storescp, Orthanc's DICOM side) leaves Nagle on otherwise

in_ns() { ip netns exec "$NS" "$@"; }  # in the background, call ip netns exec directly so $! is the process

ns_up() {
  if ip netns list | grep -qw "$NS"; then
    echo "namespace $NS already exists: another benchmark running? (ip netns del $NS)" >&2
    exit 1
  fi
  ip netns add "$NS"
  in_ns ip link set lo up
}

# Stop every process inside the namespace (all were started by this script), then remove it.
ns_down() {
  local inside
  inside=$(ip netns pids "$NS" 2>/dev/null || true)
  [[ -n $inside ]] && kill $inside 2>/dev/null || true
  for _ in $(seq 50); do
    inside=$(ip netns pids "$NS" 2>/dev/null || true)
    [[ -z $inside ]] && break
    sleep 0.1
  done
  [[ -n $inside ]] && kill -9 $inside 2>/dev/null || true
  ip netns del "$NS" 2>/dev/null || true
}

# wait_echo PORT AET [echoscu TLS args...]: poll with echoscu until the server answers (<= 20 s).
wait_echo() {
  local port=$1 aet=$2
  shift 2
  for _ in $(seq 100); do
    in_ns echoscu -to 2 -ta 2 -td 2 "$@" -aet ECHOSCU -aec "$aet" 127.0.0.1 "$port" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "server on port $port ($aet) did not answer C-ECHO" >&2
  return 1
}

# Orthanc from Debian's package, unpacked privately (no service, no maintainer scripts).
# Sets ORTHANC (binary) and ORTHANC_VERSION.
orthanc_unpack() {
  mkdir -p "$WORK/orthanc-deb"
  (cd "$WORK/orthanc-deb" && apt-get download orthanc >/dev/null 2>&1 && dpkg -x orthanc_*.deb x)
  ORTHANC=$WORK/orthanc-deb/x/usr/sbin/Orthanc
  ORTHANC_VERSION=$(dpkg -f "$WORK"/orthanc-deb/orthanc_*.deb Version)
  if ldd "$ORTHANC" | grep -q 'not found'; then
    echo "Orthanc's shared libraries are missing:" >&2
    ldd "$ORTHANC" | grep 'not found' >&2
    return 1
  fi
}

# bastion_setup: one instance directory in $WORK/pacs with a TLS and a plaintext listener, the
# association limits raised for the idle test, peer ECHOSCU registered by host, and a client
# certificate $WORK/client.{pem,key}. The CA ($CA) also signs the server certificate the other
# servers use, so one client configuration fits all six listeners.
bastion_setup() {
  "$BASTION" init --dir "$WORK/pacs" --ae-title BASTION --dicom-port 11120 >/dev/null
  sed -i 's/^enabled = true/enabled = false/' "$WORK/pacs/bastion.toml"  # DIMSE only: no HTTPS listener
  sed -i -e 's/^# plaintext_port = 11112.*/plaintext_port = 11121/' \
    -e 's/^max_associations = .*/max_associations = 1000/' \
    -e 's/^max_associations_per_address = .*/max_associations_per_address = 1000/' \
    -e 's/^idle_timeout_seconds = .*/idle_timeout_seconds = 600/' "$WORK/pacs/bastion.toml"
  grep -q '^plaintext_port = 11121' "$WORK/pacs/bastion.toml" || { echo "bastion.toml: plaintext_port not set" >&2; return 1; }
  grep -q '^idle_timeout_seconds = 600' "$WORK/pacs/bastion.toml" || { echo "bastion.toml: idle timeout not set" >&2; return 1; }
  "$BASTION" peer add --dir "$WORK/pacs" ECHOSCU --host 127.0.0.1 --role modality >/dev/null
  "$BASTION" cert issue --dir "$WORK/pacs" ECHOSCU --out "$WORK/client" >/dev/null
  CA=$WORK/pacs/tls/ca.pem
  cp "$WORK/pacs/tls/server.pem" "$WORK/srv.pem"
  cp "$WORK/pacs/tls/server.key" "$WORK/srv.key"
  chmod 600 "$WORK/srv.key"
  TLS_ARGS=(+tls "$WORK/client.key" "$WORK/client.pem" +cf "$CA")
}

bastion_start() {
  ip netns exec "$NS" "$BASTION" serve --dir "$WORK/pacs" >>"$WORK/bastion.log" 2>&1 &
  BASTION_PID=$!
  wait_echo 11121 BASTION && wait_echo 11120 BASTION "${TLS_ARGS[@]}"
}

orthanc_config() {  # orthanc_config NAME DICOMPORT HTTPPORT TLS(yes|no)
  local d=$WORK/$1
  mkdir -p "$d/db"
  local tls='"DicomTlsEnabled": false'
  if [[ $4 == yes ]]; then
    tls="\"DicomTlsEnabled\": true, \"DicomTlsCertificate\": \"$WORK/srv.pem\",
  \"DicomTlsPrivateKey\": \"$WORK/srv.key\", \"DicomTlsTrustedCertificates\": \"$CA\",
  \"DicomTlsRemoteCertificateRequired\": false"
  fi
  cat >"$d/orthanc.json" <<EOF
{ "Name": "$1", "StorageDirectory": "$d/db", "IndexDirectory": "$d/db",
  "DicomAet": "ORTHANC", "DicomPort": $2, "HttpPort": $3, "RemoteAccessAllowed": false,
  "DicomAlwaysAllowEcho": true, "DicomCheckCalledAet": false, "Plugins": [],
  "DicomScpTimeout": 600,
  $tls }
EOF
}

orthanc_start() {  # orthanc_start NAME PORT [TLS args] ; sets ORTHANC_PID
  local name=$1 port=$2
  shift 2
  ip netns exec "$NS" "$ORTHANC" "$WORK/$name/orthanc.json" >"$WORK/$name/log" 2>&1 &
  ORTHANC_PID=$!
  wait_echo "$port" ORTHANC "$@"
}

storescp_start() {  # storescp_start plain|tls ; sets STORESCP_PID
  if [[ $1 == tls ]]; then
    ip netns exec "$NS" storescp -aet STORESCP -od "$WORK/scp-in" +tls "$WORK/srv.key" "$WORK/srv.pem" +cf "$CA" 11131 >"$WORK/storescp-tls.log" 2>&1 &
    STORESCP_PID=$!
    wait_echo 11131 STORESCP "${TLS_ARGS[@]}"
  else
    ip netns exec "$NS" storescp -aet STORESCP -od "$WORK/scp-in" 11130 >"$WORK/storescp.log" 2>&1 &
    STORESCP_PID=$!
    wait_echo 11130 STORESCP
  fi
}

stop_pid() {  # stop_pid PID: SIGTERM, wait up to 5 s, then SIGKILL
  local pid=$1
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
median() { python3 -c "import statistics,sys; v=[float(x) for x in sys.argv[1:] if x not in ('', 'n/a')]; print(round(statistics.median(v)) if v else 'n/a')" "$@"; }
