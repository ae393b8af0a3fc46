#!/usr/bin/env bash
# The plaintext HTTP listener ([http] plaintext_port): off by default; on a network address it
# only redirects to HTTPS (308 to the same path, query dropped, body never read, no HSTS, no
# patient data), and on loopback it serves the same authenticated API as HTTPS (for a TLS proxy on
# the same host). Bastion runs in a private network namespace with only `lo`, so binding
# 0.0.0.0 there reaches nothing outside the test.
#   tests/integration/http_plaintext_test.sh BASTION_BINARY
# Needs root (network namespace), curl, iproute2.
set -uo pipefail
bastion=$(readlink -f "$1")
here=$(dirname "$(readlink -f "$0")")
# shellcheck source=tests/integration/lib.sh
source "$here/lib.sh"
require_tools "apt-get install curl iproute2" curl ip ss
[[ -x $bastion ]] || { fail_prereq "no Bastion binary at $1"; finish; }
private_namespace http-plaintext
hport=8443 pport=8080 dport=11112  # private to the namespace

dir=$work/pacs
ca=$dir/tls/ca.pem
"$bastion" init --dir "$dir" --ae-title BASTION --dicom-port "$dport" --http-port "$hport" >init.log 2>&1 ||
  { fail_prereq "bastion init: $(tail -3 init.log)"; finish; }
sed -i 's/^bind = .*/bind = "127.0.0.1"/' "$dir/bastion.toml"
"$bastion" user add --dir "$dir" reader --role viewer >users.log 2>&1 || { fail_prereq "bastion user add: $(tail -1 users.log)"; finish; }
tok=$("$bastion" token create --dir "$dir" reader --ttl 1h 2>tokens.log | head -1)
[[ -n $tok ]] || { fail_prereq "bastion token create: $(cat tokens.log)"; finish; }

# start_serve PLAINTEXT-BIND: (re)starts bastion serve with the plaintext listener on that address.
start_serve() {
  sed -i -e '/^plaintext_port = /d' -e '/^plaintext_bind = /d' "$dir/bastion.toml"
  if [[ -n $1 ]]; then
    sed -i "/^\[http\]/a plaintext_port = $pport\nplaintext_bind = \"$1\"" "$dir/bastion.toml"
  fi
  restart_serve "$dir"
}
# get URL [CURL-ARGS...]: status code, then the response header fields, of one request.
get() {
  local url=$1
  shift
  in_ns curl -sS --noproxy '*' --max-time 10 --cacert "$ca" -o body.out -D - -w '%{http_code}\n' "$@" "$url" 2>&1
}

echo "== default: no plaintext listener"
start_serve ""
check_absent "no plaintext port by default" ":$pport" "$(in_ns ss -Hltn 2>&1)"
check_absent "  ... and serve does not mention one" "plaintext HTTP" "$(cat serve.out)"

echo "== plaintext on every address of the host: redirect only"
start_serve "0.0.0.0"
check "serve says the plaintext port only redirects" "plaintext HTTP on 0\.0\.0\.0:$pport \(redirects to HTTPS\)" "$(cat serve.out)"
out=$(get "http://127.0.0.1:$pport/dicom-web/studies?PatientName=DOE%5EJOHN" -H "Authorization: Bearer $tok")
check "GET with a token: 308, not served" "^HTTP/1.1 308" "$out"
check "  ... to the same path on HTTPS, without the query" "^location: https://127\.0\.0\.1:$hport/dicom-web/studies[[:space:]]*$" "${out,,}"
check_absent "  ... no patient name repeated" "DOE" "$out$(cat body.out)"
check_absent "  ... no HSTS over plain HTTP (RFC 6797 7.2)" "strict-transport-security" "${out,,}"
check "  ... connection closed" "^connection: close" "${out,,}"
out=$(get "http://127.0.0.1:$pport/dicom-web/studies" -X POST -H "Content-Type: application/dicom" --data-binary "@$ca")
check "POST: 308 as well (the method is kept, the body not read)" "^HTTP/1.1 308" "$out"
out=$(get "http://127.0.0.1:$pport/" -H "Host: evil.example/x")
check "a Host that is not a host name: 400, not echoed" "^HTTP/1.1 400" "$out"
check_absent "  ... no Location" "location:" "${out,,}"
code=$(get "https://127.0.0.1:$hport/dicom-web/studies" -H "Authorization: Bearer $tok" | tail -1)
expect "HTTPS still serves" 200 "$code"
out=$(in_ns curl -sS --noproxy '*' --max-time 10 --cacert "$ca" --location-trusted -H "Authorization: Bearer $tok" -o /dev/null -w '%{http_code} %{url_effective}' "http://127.0.0.1:$pport/dicom-web/studies" 2>&1)
check "a client that follows the redirect with its token (curl --location-trusted) gets 200 over HTTPS" "^200 https://127\.0\.0\.1:$hport/dicom-web/studies$" "$out"

echo "== plaintext on loopback: the API, still authenticated"
start_serve "127.0.0.1"
check "serve says loopback plaintext serves the API" "plaintext HTTP on 127\.0\.0\.1:$pport \(loopback: the API\)" "$(cat serve.out)"
check "  ... with a warning" "WARNING: plaintext HTTP serves the API" "$(cat serve.err)"
out=$(get "http://127.0.0.1:$pport/dicom-web/studies")
check "no credentials: 401 with WWW-Authenticate: Bearer" "^www-authenticate: bearer" "${out,,}"
code=$(get "http://127.0.0.1:$pport/dicom-web/studies" -H "Authorization: Bearer $tok" | head -1)
check "a token: served (200)" "^HTTP/1.1 200" "$code"
check "HTTPS beside it still serves" "^200$" "$(get "https://127.0.0.1:$hport/dicom-web/studies" -H "Authorization: Bearer $tok" | tail -1)"
check "serve refuses plaintext_port = port" "plaintext_port must differ" \
  "$(sed -i "s/^plaintext_port = .*/plaintext_port = $hport/" "$dir/bastion.toml"; kill "$serve_pid"; wait "$serve_pid" 2>/dev/null; in_ns timeout 30 "$bastion" serve --dir "$dir" 2>&1)"
finish
