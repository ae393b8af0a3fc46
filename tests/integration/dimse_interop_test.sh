#!/usr/bin/env bash
# DCMTK's echoscu and storescu as real clients of `bastion serve` over TLS (issue 3): client
# certificates, user identity (password and JWT), and every refusal case. All traffic stays on
# 127.0.0.1; every wait is bounded.
#   tests/integration/dimse_interop_test.sh BASTION_BINARY
set -uo pipefail
bastion=$(readlink -f "$1")
here=$(dirname "$(readlink -f "$0")")
command -v echoscu >/dev/null || { echo "echoscu (dcmtk) is not installed"; exit 1; }
# shellcheck source=tests/integration/lib.sh
source "$here/lib.sh"
in_work_dir interop

port=$(free_port)
plain_port=$(free_port)
dir=$work/pacs
"$bastion" init --dir "$dir" --ae-title BASTION --dicom-port "$port" --http-port "$(free_port)" >init.out
sed -i 's/^bind = .*/bind = "127.0.0.1"/' "$dir/bastion.toml"  # DICOM and HTTPS on loopback
check "init prints the admin's one-time password" "admin password: +[A-Za-z0-9]{20,}" "$(cat init.out)"
ca=$dir/tls/ca.pem
sample=$here/../data/samples/synthetic_ct.dcm

# Configuration for the test: a plaintext loopback port, short timeouts, quick lockout, a JWT
# issuer with an Ed25519 key, and a role without echo.
openssl genpkey -algorithm ed25519 -out jwt.key 2>/dev/null
openssl pkey -in jwt.key -pubout -out "$dir/jwt.pem" 2>/dev/null
sed -i "s/^# plaintext_port = 11112.*/plaintext_port = $plain_port/" "$dir/bastion.toml"
# Every refusal below counts against 127.0.0.1; the lockout test at the end pushes past the limit.
sed -i "s/^slow_after_failures = 3/slow_after_failures = 8/; s/^lock_after_failures = 10/lock_after_failures = 12/; s/^max_delay_ms = 5000/max_delay_ms = 200/" "$dir/bastion.toml"
cat >>"$dir/bastion.toml" <<EOF

[[jwt_issuers]]
issuer = "https://idp.test"
audience = "bastion"
public_keys = ["jwt.pem"]
algorithms = ["EdDSA"]

[roles.noecho]
permissions = ["query"]
EOF

# Peers and users.
"$bastion" cert issue --dir "$dir" CERTPEER --out certpeer >/dev/null
"$bastion" peer add --dir "$dir" CERTPEER --host '*' --cert certpeer.pem --role modality >/dev/null
"$bastion" peer add --dir "$dir" ECHOSCU --host 127.0.0.1 --role modality >/dev/null
"$bastion" peer add --dir "$dir" FARAWAY --host 127.0.0.2 --role modality >/dev/null
"$bastion" peer add --dir "$dir" NOECHO --host 127.0.0.1 --role noecho >/dev/null
"$bastion" peer add --dir "$dir" IDPEER --host 127.0.0.1 --role modality --require-identity >/dev/null
"$bastion" peer add --dir "$dir" LOCKPEER --host 127.0.0.1 --role modality --require-identity >/dev/null
password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
printf '%s\n' "$password" | "$bastion" user add --dir "$dir" tech --role modality --password-stdin >/dev/null

# The server refuses unsafe settings.
chmod 644 "$dir/bastion.toml"
out=$(timeout 10 "$bastion" serve --dir "$dir" 2>&1)
check "refuses a configuration other users can read" "bastion.toml.*chmod 600" "$out"
chmod 600 "$dir/bastion.toml"

timeout 120 "$bastion" serve --dir "$dir" >serve.out 2>serve.err &
server_pid=$!
for _ in $(seq 50); do grep -q listening serve.out 2>/dev/null && break; sleep 0.1; done
check "warns about the plaintext port at start" "WARNING: plaintext DIMSE is enabled on 127.0.0.1:$plain_port" "$(cat serve.err)"

tls=(+tls certpeer.key certpeer.pem +cf "$ca")
anon=(+tla +cf "$ca")

out=$(timeout 20 echoscu -v "${tls[@]}" -aet CERTPEER -aec BASTION 127.0.0.1 "$port" 2>&1)
check "echoscu over TLS with a client certificate" "Received Echo Response \(Success\)" "$out"
out=$(timeout 20 echoscu -v "${anon[@]}" -aet ECHOSCU -aec BASTION 127.0.0.1 "$port" 2>&1)
check "echoscu over TLS from a peer bound to its host" "Received Echo Response \(Success\)" "$out"
out=$(timeout 20 "$bastion" echo 127.0.0.1 "$port" --aec BASTION --aet ECHOSCU --ca "$ca" 2>&1)
check "bastion echo over TLS" "success" "$out"

out=$(timeout 20 storescu -v "${anon[@]}" -aet IDPEER -aec BASTION --user tech --password "$password" --pos-response 127.0.0.1 "$port" "$sample" 2>&1)
check "storescu with username and password is accepted" "No Acceptable Presentation Contexts|Association Accepted" "$out"
check_absent "  ... and not rejected" "Association Rejected" "$out"

b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
make_jwt() {  # make_jwt EXP
  local header payload signature
  header=$(printf '{"alg":"EdDSA","typ":"JWT"}' | b64url)
  payload=$(printf '{"iss":"https://idp.test","aud":"bastion","sub":"jwtuser","exp":%s,"roles":["modality"]}' "$1" | b64url)
  printf '%s.%s' "$header" "$payload" >signing-input
  signature=$(openssl pkeyutl -sign -inkey jwt.key -rawin -in signing-input | b64url)
  printf '%s.%s.%s' "$header" "$payload" "$signature"
}
make_jwt $(($(date +%s) + 600)) >token.jwt
out=$(timeout 20 storescu -v "${anon[@]}" -aet IDPEER -aec BASTION --jwt token.jwt --pos-response 127.0.0.1 "$port" "$sample" 2>&1)
check "storescu with a valid JWT is accepted" "No Acceptable Presentation Contexts|Association Accepted" "$out"
make_jwt $(($(date +%s) - 3600)) >expired.jwt
out=$(timeout 20 storescu "${anon[@]}" -aet IDPEER -aec BASTION --jwt expired.jwt 127.0.0.1 "$port" "$sample" 2>&1)
check "an expired JWT is refused" "Association Rejected" "$out"

out=$(timeout 20 echoscu "${anon[@]}" -aet NOBODY -aec BASTION 127.0.0.1 "$port" 2>&1)
check "unknown calling AE title: permanent, service user" "Result: Rejected Permanent, Source: Service User" "$out"
check "  ... calling AE title not recognized" "Reason: Calling AE Title Not Recognized" "$out"
out=$(timeout 20 echoscu "${anon[@]}" -aet ECHOSCU -aec SOMEONE 127.0.0.1 "$port" 2>&1)
check "wrong called AE title" "Called AE Title Not Recognized" "$out"
out=$(timeout 20 echoscu "${anon[@]}" -aet FARAWAY -aec BASTION 127.0.0.1 "$port" 2>&1)
check "right AE title from the wrong host" "Calling AE Title Not Recognized" "$out"
out=$(timeout 20 storescu "${anon[@]}" -aet IDPEER -aec BASTION --user tech --password wrong-password-1 127.0.0.1 "$port" "$sample" 2>&1)
check "wrong password" "Association Rejected" "$out"
out=$(timeout 20 storescu "${anon[@]}" -aet IDPEER -aec BASTION --user tech 127.0.0.1 "$port" "$sample" 2>&1)
check "username only never authenticates" "Association Rejected" "$out"
out=$(timeout 20 echoscu "${anon[@]}" -aet IDPEER -aec BASTION 127.0.0.1 "$port" 2>&1)
check "no identity for a peer that requires one" "Association Rejected" "$out"
out=$(timeout 20 echoscu -v "${anon[@]}" -aet NOECHO -aec BASTION 127.0.0.1 "$port" 2>&1)
check "a service the peer's roles do not allow" "Refused|Status: 0x124" "$out"
out=$(timeout 20 echoscu -to 5 -ta 5 -aet ECHOSCU -aec BASTION 127.0.0.1 "$port" 2>&1)
check "plaintext against the TLS port gets no association" "Association Request Failed|Peer aborted" "$out"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout rogue.key -out rogue.pem -subj /CN=ROGUE -days 1 2>/dev/null
out=$(timeout 20 echoscu +tls rogue.key rogue.pem +cf "$ca" -aet CERTPEER -aec BASTION 127.0.0.1 "$port" 2>&1)
check "a client certificate from another CA is refused" "Association Request Failed|TLS|handshake|Peer aborted" "$out"
out=$(timeout 20 echoscu -v -aet ECHOSCU -aec BASTION 127.0.0.1 "$plain_port" 2>&1)
check "the explicitly enabled loopback plaintext port" "Received Echo Response \(Success\)" "$out"

# The server is still healthy and recorded every decision.
out=$(timeout 20 "$bastion" echo 127.0.0.1 "$port" --aec BASTION --aet CERTPEER --ca "$ca" --cert certpeer.pem --key certpeer.key 2>&1)
check "still answering" "success" "$out"

# Lockout: repeated failures from one address lock it out, even for the right password.
for _ in $(seq 12); do
  timeout 20 storescu "${anon[@]}" -aet LOCKPEER -aec BASTION --user tech --password wrong-password-2 127.0.0.1 "$port" "$sample" >/dev/null 2>&1
done
out=$(timeout 20 storescu "${anon[@]}" -aet LOCKPEER -aec BASTION --user tech --password "$password" 127.0.0.1 "$port" "$sample" 2>&1)
check "locked out after repeated failures" "Association Rejected" "$out"

log=$(cat "$dir/audit/audit.log")
check "audit: accepted associations" '"event":"association-accepted"' "$log"
check "audit: refusals with their reason" '"description":"calling AE title refused: unknown calling AE title"' "$log"
check "audit: authentication failures" '"event":"authentication-failed"' "$log"
check "audit: JWT identity verified" '"user":"jwtuser"' "$log"
check "audit: lockout" '"event":"lockout"' "$log"
check_absent "audit: no password in the log" "$password" "$log"

kill "$server_pid"
wait "$server_pid" 2>/dev/null
server_pid=""
check "audit: start and stop" '"event":"application-stop"' "$(cat "$dir/audit/audit.log")"

summary
