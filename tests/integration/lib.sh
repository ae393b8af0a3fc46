# shellcheck shell=bash
# Shared by the integration test scripts (sourced): a private work directory removed on exit
# (with the server the script started, if any, killed), PASS/FAIL bookkeeping and free ports.
# Each script ends with `summary`, which prints "N passed, M failed" and returns non-zero if
# anything failed.
passed=0
failed=0
server_pid=""
# in_work_dir NAME: make and enter a temporary directory; on exit, SIGKILL $server_pid (a
# crashed or still running server must not outlive the test) and remove the directory.
in_work_dir() {
  work=$(mktemp -d "${TMPDIR:-/tmp}/bastion-$1.XXXXXX")
  trap 'if [[ -n $server_pid ]]; then kill -9 "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; fi; rm -rf "$work"' EXIT
  cd "$work" || exit 1
  export TCP_NODELAY=1
}
indent() { sed 's/^/    /'; }
check() {  # check NAME EXPECTED-REGEX OUTPUT
  if grep -Eq -- "$2" <<<"$3"; then
    echo "PASS $1"
    passed=$((passed + 1))
  else
    echo "FAIL $1: expected /$2/ in:"
    printf '%s\n' "$3" | indent | head -40
    failed=$((failed + 1))
  fi
}
check_absent() {  # check_absent NAME FORBIDDEN-FIXED-STRING OUTPUT
  if grep -Fq -- "$2" <<<"$3"; then
    echo "FAIL $1: found '$2'"
    failed=$((failed + 1))
  else
    echo "PASS $1"
    passed=$((passed + 1))
  fi
}
check_rc() {  # check_rc NAME COMMAND...: passes if the command exits 0; shows its output if not
  local name=$1 out rc
  shift
  out=$("$@" 2>&1)
  rc=$?
  if [[ $rc -eq 0 ]]; then
    echo "PASS $name"
    passed=$((passed + 1))
  else
    echo "FAIL $name (exit $rc):"
    failed=$((failed + 1))
  fi
  [[ -z $out ]] || printf '%s\n' "$out" | indent | head -70
  return $rc
}
expect() {  # expect NAME WANT GOT: passes if GOT is exactly WANT
  if [[ "$3" == "$2" ]]; then
    echo "PASS $1 ($3)"
    passed=$((passed + 1))
  else
    echo "FAIL $1: expected $2, got $3"
    failed=$((failed + 1))
  fi
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
summary() {
  echo "$passed passed, $failed failed"
  [[ $failed -eq 0 ]]
}

# unpack_orthanc: Debian's orthanc package ($ORTHANC_DEB, or what scripts/fetch-orthanc.sh
# downloads) unpacked with dpkg -x into ./orthanc-deb, never installed. Sets $orthanc to the
# binary, or to "" after the caller's fail_prereq has said why (no package, cannot unpack,
# shared libraries missing: install-deps' test set lists them).
# shellcheck disable=SC2154,SC2034  # $here comes from the caller, which reads $orthanc
unpack_orthanc() {
  orthanc=""
  mkdir -p orthanc-deb
  if [[ -n ${ORTHANC_DEB:-} ]]; then
    cp "$ORTHANC_DEB" orthanc-deb/ >orthanc-deb/download.log 2>&1
  else
    # The project's own fetcher (downloads, never installs); its .deb is reused across runs.
    local fetched
    fetched=$("$here/../../scripts/fetch-orthanc.sh" 2>orthanc-deb/download.log) &&
      cp "$fetched" orthanc-deb/ >>orthanc-deb/download.log 2>&1
  fi
  local deb
  deb=$(find orthanc-deb -name 'orthanc_*.deb' | head -1)
  if [[ -z $deb ]]; then
    fail_prereq "cannot get Debian's orthanc package (${ORTHANC_DEB:-scripts/fetch-orthanc.sh}): $(tail -2 orthanc-deb/download.log 2>/dev/null)"
  elif ! dpkg -x "$deb" orthanc-deb/x; then
    fail_prereq "cannot unpack $deb"
  elif ldd orthanc-deb/x/usr/sbin/Orthanc | grep -q 'not found'; then
    fail_prereq "Orthanc's shared libraries are missing: $(ldd orthanc-deb/x/usr/sbin/Orthanc | grep 'not found' | awk '{print $1}' | tr '\n' ' ')(make deps-test installs them)"
  else
    orthanc=$PWD/orthanc-deb/x/usr/sbin/Orthanc
    echo "  Orthanc $(dpkg -f "$deb" Version), unpacked (not installed)"
  fi
}

# check_audit_messages NAME BASTION DIR: every record of DIR's audit trail, as a DICOM audit
# message (bastion audit query --dicom), validates against the DICOM audit message schema.
check_audit_messages() {
  local schema=$here/../data/audit/dicom-audit-message.rng n=0 bad=0 first=""
  mkdir -p audit-messages
  while IFS= read -r message; do
    n=$((n + 1))
    printf '%s\n' "$message" >"audit-messages/$n.xml"
    if ! xmllint --noout --relaxng "$schema" "audit-messages/$n.xml" >"audit-messages/$n.log" 2>&1; then
      bad=$((bad + 1))
      [[ -n $first ]] || first="message $n: $(head -3 "audit-messages/$n.log" | tr '\n' ' ')"
    fi
  done < <("$2" audit query --dir "$3" --dicom 2>/dev/null)
  if [[ $n -gt 0 && $bad -eq 0 ]]; then
    echo "PASS $1 ($n messages)"
    passed=$((passed + 1))
  else
    echo "FAIL $1: $bad of $n messages do not validate; $first"
    failed=$((failed + 1))
  fi
}

# remove_namespace NS: stops every process in the network namespace NS (all started by the
# calling script: TERM, then KILL after 5 s) and deletes it; nothing when it does not exist.
remove_namespace() {
  local inside=()
  ip netns list 2>/dev/null | grep -qw "$1" || return 0
  mapfile -t inside < <(ip netns pids "$1" 2>/dev/null)
  [[ ${#inside[@]} -gt 0 ]] && kill "${inside[@]}" 2>/dev/null
  for _ in $(seq 50); do
    mapfile -t inside < <(ip netns pids "$1" 2>/dev/null)
    [[ ${#inside[@]} -eq 0 ]] && break
    sleep 0.1
  done
  [[ ${#inside[@]} -gt 0 ]] && kill -9 "${inside[@]}" 2>/dev/null
  ip netns del "$1" 2>/dev/null
  return 0
}

# For the scripts that need real peers and root: a missing prerequisite is a failure, never a
# silent skip. fail_prereq records it; finish prints the time taken and the summary, and exits.
start_time=$SECONDS
fail_prereq() {
  echo "FAIL prerequisite: $*"
  failed=$((failed + 1))
}
finish() {
  echo "total time $((SECONDS - start_time)) s"
  summary
  exit
}
took() { echo "  ($1: $((SECONDS - $2)) s)"; }
# require_tools HINT TOOL...: every TOOL is on the PATH, or a failed prerequisite naming HINT (the
# packages to install) and the end of the script.
require_tools() {
  local hint=$1 missing=() tool
  shift
  for tool in "$@"; do command -v "$tool" >/dev/null || missing+=("$tool"); done
  [[ ${#missing[@]} -eq 0 ]] || { fail_prereq "not installed: ${missing[*]} ($hint)"; finish; }
}

# private_namespace NAME: enter a new work directory and make a private network namespace with
# only `lo` ($ns = bastion-NAME-PID) for the servers the script starts; on exit the script's
# own `before_cleanup` runs if it defines one, every process in the namespace is stopped, and
# both are removed (KEEP_WORK=1 keeps the directory). Needs root; a failure to make the
# namespace ends the script as a failed prerequisite. Run commands in it with in_ns CMD...
private_namespace() {
  [[ $(id -u) -eq 0 ]] || { fail_prereq "must run as root: the servers run in a private network namespace"; finish; }
  work=$(mktemp -d "${TMPDIR:-/tmp}/bastion-$1.XXXXXX")
  ns=bastion-$1-$$
  trap leave_namespace EXIT
  trap 'exit 130' INT TERM
  cd "$work" || exit 1
  export TCP_NODELAY=1
  if ! ip netns add "$ns" 2>/dev/null || ! ip netns exec "$ns" ip link set lo up; then
    fail_prereq "cannot create network namespace $ns"
    finish
  fi
}
# shellcheck disable=SC2317  # called by the EXIT trap
leave_namespace() {
  declare -F before_cleanup >/dev/null && before_cleanup
  remove_namespace "$ns"
  if [[ -n ${KEEP_WORK:-} ]]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
in_ns() { ip netns exec "$ns" "$@"; }

# restart_serve DIR: (re)starts `bastion serve --dir DIR` ($bastion) inside the namespace, its
# output in serve.out and serve.err, and waits until it says HTTPS is up; a server that does not
# start ends the script as a failed prerequisite. $serve_pid is bastion's own pid.
serve_pid=""
restart_serve() {
  [[ -n $serve_pid ]] && { kill "$serve_pid" 2>/dev/null; wait "$serve_pid" 2>/dev/null; }
  # shellcheck disable=SC2154  # $bastion is the caller's
  ip netns exec "$ns" "$bastion" serve --dir "$1" >serve.out 2>serve.err &
  serve_pid=$!
  for _ in $(seq 100); do
    grep -q "DICOMweb over HTTPS" serve.out 2>/dev/null && return 0
    sleep 0.1
  done
  fail_prereq "bastion serve did not start: $(tail -3 serve.err)"
  finish
}
