#!/usr/bin/env bash
# OpenID Connect keys from the identity provider's URL ([[jwt_issuers]] jwks_url), against a real
# HTTPS server (openssl s_server -WWW serving a JWK Set, its certificate from a CA of its own
# given as jwks_ca_file): a token signed with a key of the set is accepted, with roles from a
# nested claim (realm_access.roles) and the studies it may see from a scope claim; a key the IdP
# adds later is picked up on the first token that names it; a key outside the set, and a token
# without the scope claim, are refused; with the IdP down at start-up, serve starts, warns, and
# refuses the issuer's tokens until the IdP answers. Everything runs in a private network
# namespace with only `lo`.
#   tests/integration/jwks_url_test.sh BASTION_BINARY
# Needs root, openssl, curl, dcmtk (dcmdump), python3, iproute2.
set -uo pipefail
bastion=$(readlink -f "$1")
here=$(dirname "$(readlink -f "$0")")
sample=$here/../data/samples/synthetic_ct.dcm
# shellcheck source=tests/integration/lib.sh
source "$here/lib.sh"
require_tools "apt-get install openssl curl dcmtk python3 iproute2" openssl curl dcmdump python3 ip
[[ -x $bastion ]] || { fail_prereq "no Bastion binary at $1"; finish; }
[[ -f $sample ]] || { fail_prereq "no sample instance at $sample"; finish; }
private_namespace jwks-url
hport=8443 dport=11112 idp_port=9443  # private to the namespace

# --- the IdP: a CA of its own, a certificate for 127.0.0.1, two Ed25519 signing keys -------
mkdir -p idp
if ! openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=Test IdP CA" \
  -keyout idp-ca.key -out idp-ca.pem >openssl.log 2>&1 ||
  ! openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" \
    -keyout idp/tls.key -out idp/tls.csr >>openssl.log 2>&1 ||
  ! openssl x509 -req -in idp/tls.csr -CA idp-ca.pem -CAkey idp-ca.key -CAcreateserial -days 2 \
    -extfile <(printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n') -out idp/tls.pem >>openssl.log 2>&1 ||
  ! openssl genpkey -algorithm ed25519 -out k1.key 2>>openssl.log ||
  ! openssl genpkey -algorithm ed25519 -out k2.key 2>>openssl.log ||
  ! openssl genpkey -algorithm ed25519 -out stranger.key 2>>openssl.log; then
  fail_prereq "openssl cannot make the IdP's keys: $(tail -3 openssl.log)"
  finish
fi
b64url() { python3 -c 'import base64,sys; print(base64.urlsafe_b64encode(sys.stdin.buffer.read()).rstrip(b"=").decode(), end="")'; }
jwk() {  # jwk KEYFILE KID: the key's public half as an OKP JWK (RFC 8037)
  local x
  x=$(openssl pkey -in "$1" -pubout -outform DER 2>/dev/null | tail -c 32 | b64url)
  printf '{"kty":"OKP","crv":"Ed25519","alg":"EdDSA","use":"sig","kid":"%s","x":"%s"}' "$2" "$x"
}
publish() {  # publish JWK...: the set the IdP serves from now on
  local IFS=,
  printf '{"keys":[%s]}' "$*" >idp/certs.json
}
publish "$(jwk k1.key k1)"
jwt() {  # jwt KEYFILE KID PAYLOAD-JSON: a compact JWS (EdDSA) signed with openssl
  local input
  input="$(printf '{"alg":"EdDSA","typ":"JWT","kid":"%s"}' "$2" | b64url).$(printf '%s' "$3" | b64url)"
  printf '%s' "$input" >jws.in
  openssl pkeyutl -sign -rawin -inkey "$1" -in jws.in -out jws.sig 2>/dev/null
  printf '%s.%s' "$input" "$(b64url <jws.sig)"
}
claims() {  # claims SCOPE-JSON: a viewer's claims for the next 10 minutes, with that scope
  local now
  now=$(date +%s)
  printf '{"iss":"https://idp.test/realms/hospital","aud":"bastion","sub":"dr.jones","iat":%d,"exp":%d,"realm_access":{"roles":["viewer"]}%s}' \
    "$now" "$((now + 600))" "${1:+,\"bastion_scope\":$1}"
}
idp_pid=""
start_idp() {
  (cd idp && exec ip netns exec "$ns" openssl s_server -WWW -accept "127.0.0.1:$idp_port" \
    -cert tls.pem -key tls.key >../idp.log 2>&1) &
  idp_pid=$!
  for _ in $(seq 50); do
    in_ns curl -sf --noproxy '*' --max-time 2 --cacert idp-ca.pem -o /dev/null "https://127.0.0.1:$idp_port/certs.json" && return 0
    sleep 0.1
  done
  fail_prereq "openssl s_server did not serve the key set: $(tail -3 idp.log)"
  finish
}
stop_idp() { [[ -n $idp_pid ]] && { kill "$idp_pid" 2>/dev/null; wait "$idp_pid" 2>/dev/null; idp_pid=""; }; }

# --- Bastion: the issuer, one study with label "research" ----------------------------------
dir=$work/pacs
ca=$dir/tls/ca.pem
"$bastion" init --dir "$dir" --ae-title BASTION --dicom-port "$dport" --http-port "$hport" >init.log 2>&1 ||
  { fail_prereq "bastion init: $(tail -3 init.log)"; finish; }
sed -i 's/^bind = .*/bind = "127.0.0.1"/' "$dir/bastion.toml"
cp idp-ca.pem "$dir/idp-ca.pem"
cat >>"$dir/bastion.toml" <<EOT

[[jwt_issuers]]
issuer = "https://idp.test/realms/hospital"
audience = "bastion"
jwks_url = "https://127.0.0.1:$idp_port/certs.json"
jwks_ca_file = "idp-ca.pem"
jwks_min_refresh_seconds = 1
algorithms = ["EdDSA"]
roles_claim = "realm_access.roles"
scope_claim = "bastion_scope"
EOT
"$bastion" import --dir "$dir" "$sample" >import.log 2>&1 || { fail_prereq "bastion import: $(tail -3 import.log)"; finish; }
study=$(dcmdump +P StudyInstanceUID "$sample" 2>/dev/null | sed -n 's/.*\[\(.*\)\].*/\1/p' | head -1)
"$bastion" label add --dir "$dir" --study "$study" research >label.log 2>&1 ||
  { fail_prereq "bastion label add: $(tail -3 label.log)"; finish; }

# qido TOKEN: the status code of a study search, the body in qido.json
qido() {
  in_ns curl -sS --noproxy '*' --max-time 20 --cacert "$ca" -o qido.json -w '%{http_code}' \
    -H "Authorization: Bearer $1" "https://127.0.0.1:$hport/dicom-web/studies" 2>&1
}
studies_seen() { python3 -c 'import json; print(len(json.load(open("qido.json"))))' 2>/dev/null || echo "none"; }

echo "== keys from the IdP's URL"
start_idp
restart_serve "$dir"
expect "a token signed with the IdP's key k1: 200" 200 "$(qido "$(jwt k1.key k1 "$(claims '{}')")")"
expect "  ... roles from realm_access.roles (viewer), scope {} sees the study" 1 "$(studies_seen)"
expect "a scope of label research sees it" 200 "$(qido "$(jwt k1.key k1 "$(claims '["label=research"]')")")"
expect "  ... (1 study)" 1 "$(studies_seen)"
expect "a scope of label trial-7 does not" 200 "$(qido "$(jwt k1.key k1 "$(claims '{"label":["trial-7"]}')")")"
expect "  ... (0 studies)" 0 "$(studies_seen)"
expect "a token without the scope claim: 401" 401 "$(qido "$(jwt k1.key k1 "$(claims '')")")"
expect "a token signed with a key outside the set: 401" 401 "$(qido "$(jwt stranger.key k1 "$(claims '{}')")")"
publish "$(jwk k1.key k1)" "$(jwk k2.key k2)"
sleep 1.1  # jwks_min_refresh_seconds: the first fetch was just now
expect "a key the IdP added since (k2): picked up on its first token, 200" 200 "$(qido "$(jwt k2.key k2 "$(claims '{}')")")"
expect "a forged kid: 401" 401 "$(qido "$(jwt stranger.key forged "$(claims '{}')")")"
# s_server logs FILE:certs.json per request; one was the readiness probe of start_idp.
fetches=$(($(grep -c "FILE:certs.json" idp.log) - 1))
check "Bastion asked the IdP 2 or 3 times: start, the new kid, the forged kid at most once" "^[23]$" "$fetches"

echo "== the IdP down at start-up"
stop_idp
restart_serve "$dir"
check "serve starts and warns that the issuer's tokens are refused" "jwt_issuers https://idp\.test/realms/hospital: .*refused until" "$(cat serve.err)"
expect "a valid token while the IdP is down: 401" 401 "$(qido "$(jwt k1.key k1 "$(claims '{}')")")"
start_idp
sleep 1.1
expect "once the IdP answers, the same kind of token: 200" 200 "$(qido "$(jwt k1.key k1 "$(claims '{}')")")"
finish
