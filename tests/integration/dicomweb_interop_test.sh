#!/usr/bin/env bash
# DICOMweb (PS3.18) conformance and interoperability with real clients:
#  1. curl STOW-RS a generated corpus (two CT studies from bench/gen_dataset.py; a third study with
#     a multi-frame instance and a JPEG baseline instance made by dcmcjpeg), then QIDO-RS (every
#     level, includefield, limit/offset, wildcards, fuzzy matching, UID lists, ranges), WADO-RS
#     (metadata; studies, series and instances whose data sets are byte for byte the stored ones;
#     frames equal to the pixel data; rendered and thumbnail images that parse as JPEG/PNG of the
#     right size; bulk data with a Range) and WADO-URI.
#  2. Orthanc 1.10 and its DICOMweb plugin 1.7 (Debian's packages, unpacked, never installed) use
#     Bastion as a remote DICOMweb server over verified TLS with bearer tokens: QIDO-RS, WADO-RS
#     retrieve into Orthanc (same SOP instances, same data sets), a proxied GET, and STOW-RS from
#     Orthanc into Bastion.
#  3. Authentication: no or bad credentials (401 + WWW-Authenticate: Bearer, no patient data);
#     JWTs of a configured issuer (valid EdDSA and RS256; expired, not yet valid, wrong audience or
#     issuer, another key, alg none, HS256 keyed with the public key, tampered claims: 401); a
#     revoked token; /api/login (session cookie flags, CSRF token), wrong passwords, lockout.
#  4. Authorization: a viewer cannot STOW or DELETE, a modality cannot read, a scoped user neither
#     sees nor retrieves studies outside its scope (404).
#  5. Hostile HTTP: oversized headers and bodies, a Content-Length over the STOW limit, malformed
#     multipart, chunked-encoding tricks, a JSON nesting bomb, path traversal, plaintext on the
#     TLS port, methods not allowed; each answered 4xx, and a normal request works after each.
# Needs root (network namespace) and the Debian packages dcmtk python3-pydicom python3-numpy curl
# openssl iproute2, plus Orthanc's libraries (see store_interop_test.sh). Every server (bastion
# serve, Orthanc) runs inside a private network namespace with only `lo`; every request and wait
# is bounded. Failed authentications come from their own source addresses (127.0.0.x) so that
# the per-address lockout they provoke never locks out the checks that follow.
#   tests/integration/dicomweb_interop_test.sh BASTION_BINARY
# ORTHANC_DEB / ORTHANC_DICOMWEB_DEB=path/*.deb use those packages instead of
# scripts/fetch-orthanc.sh; KEEP_WORK=1 keeps the scratch directory for a post-mortem.
set -uo pipefail
bastion=$(readlink -f "$1")
here=$(dirname "$(readlink -f "$0")")
py=/usr/bin/python3   # Debian's python: python3-pydicom and python3-numpy
gen=$here/../../bench/gen_dataset.py
export TCP_NODELAY=1
export PYTHONDONTWRITEBYTECODE=1
start_time=$SECONDS

# shellcheck source=tests/integration/lib.sh
source "$here/lib.sh"
# --- prerequisites ------------------------------------------------------------------------
require_tools "apt-get install dcmtk curl openssl iproute2" curl openssl ip ss timeout dpkg dcmcjpeg dcmdump
[[ $(id -u) -eq 0 ]] || { fail_prereq "must run as root: the servers run in a private network namespace"; finish; }
$py -c 'import pydicom, numpy' 2>/dev/null || { fail_prereq "$py cannot import pydicom and numpy (apt-get install python3-pydicom python3-numpy)"; finish; }
[[ -f $gen ]] || { fail_prereq "no corpus generator at $gen"; finish; }
[[ -x $bastion ]] || { fail_prereq "no Bastion binary at $1"; finish; }

private_namespace dicomweb-interop
# Ports inside the namespace are private to this run: fixed numbers are fine.
hport=8443              # Bastion, HTTPS (DICOMweb)
dport=11112             # Bastion, DICOM over TLS (unused here, but it listens)
o_dicom=4242 o_http=8042   # Orthanc

# --- the helper: multipart bodies and responses, DICOM JSON, images, JWTs, raw HTTP --------
cat >dw.py <<'PY'
import base64, csv, hashlib, hmac, json, os, re, socket, ssl, struct, sys

def meta_end(b):  # offset of the data set after a Part 10 file's File Meta Information
    if b[128:132] != b"DICM":
        raise ValueError("not a DICOM Part 10 file")
    pos = 132
    while pos + 8 <= len(b) and struct.unpack_from("<H", b, pos)[0] == 2:
        vr = b[pos + 4:pos + 6]
        if vr in (b"OB", b"OW", b"OF", b"SQ", b"UT", b"UN", b"UC", b"UR", b"OD", b"OL", b"OV"):
            pos += 12 + struct.unpack_from("<I", b, pos + 8)[0]
        else:
            pos += 8 + struct.unpack_from("<H", b, pos + 6)[0]
    return pos

def data_set(b):
    return b[meta_end(b):]

def last_headers(path):  # the last response's header fields of a curl -D file (after 100s)
    blocks = re.split(r"\r?\n\r?\n", open(path, encoding="latin-1").read().strip())
    block = [b for b in blocks if b.startswith("HTTP/")][-1]
    fields = {}
    for line in block.splitlines()[1:]:
        name, _, value = line.partition(":")
        fields.setdefault(name.strip().lower(), []).append(value.strip())
    return fields

def payloads(hdr, body):  # [(content type, bytes)]: the parts of a multipart body, or the body
    ctype = last_headers(hdr).get("content-type", [""])[0]
    data = open(body, "rb").read()
    if not ctype.lower().startswith("multipart/"):
        return [(ctype, data)]
    m = re.search(r'boundary="?([^";]+)"?', ctype, re.I)
    if not m:
        raise ValueError("multipart without boundary: " + ctype)
    pieces = (b"\r\n" + data).split(b"\r\n--" + m.group(1).encode())
    if len(pieces) < 2 or not pieces[-1].startswith(b"--"):
        raise ValueError("no close delimiter")
    out = []
    for p in pieces[1:-1]:
        p = p[p.index(b"\r\n") + 2:]
        if p.startswith(b"\r\n"):
            out.append(("", p[2:]))
            continue
        head, _, content = p.partition(b"\r\n\r\n")
        t = ""
        for line in head.decode("latin-1").split("\r\n"):
            if line.lower().startswith("content-type:"):
                t = line.split(":", 1)[1].strip()
        out.append((t, content))
    return out

def manifest_rows(path):
    return list(csv.DictReader(open(path)))

def frame_bytes(path, n):  # frame n (1-based) as stored: a slice of native data or a JPEG frame
    import pydicom
    from pydicom.encaps import generate_pixel_data_frame
    ds = pydicom.dcmread(path)
    frames = int(getattr(ds, "NumberOfFrames", 1) or 1)
    if ds.file_meta.TransferSyntaxUID.is_encapsulated:
        return list(generate_pixel_data_frame(ds.PixelData, frames))[n - 1]
    size = ds.Rows * ds.Columns * ds.SamplesPerPixel * ds.BitsAllocated // 8
    return ds.PixelData[(n - 1) * size:n * size]

def image_kind(b):
    if b[:8] == b"\x89PNG\r\n\x1a\n" and b[12:16] == b"IHDR":
        w, h = struct.unpack(">II", b[16:24])
        return f"png {w}x{h}"
    if b[:3] == b"\xff\xd8\xff":
        pos = 2
        while pos + 4 <= len(b):
            if b[pos] != 0xFF:
                return "jpeg without SOF"
            marker = b[pos + 1]
            length = struct.unpack(">H", b[pos + 2:pos + 4])[0]
            if marker in (0xC0, 0xC1, 0xC2):
                h, w = struct.unpack(">HH", b[pos + 5:pos + 9])
                end = b"ok" if b.rstrip(b"\0").endswith(b"\xff\xd9") else b"no EOI"
                return f"jpeg {w}x{h} {end.decode()}"
            pos += 2 + length
        return "jpeg without SOF"
    return "not an image: " + b[:8].hex()

def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()

def values(obj, tag):
    v = obj.get(tag, {}).get("Value")
    if not v:
        return ""
    if isinstance(v, str):  # Orthanc's answers to /dicom-web/servers/.../qido
        return v
    v = v[0]
    return v.get("Alphabetic", "") if isinstance(v, dict) else str(v)

def main():
    cmd, a = sys.argv[1], sys.argv[2:]
    if cmd == "header":  # HDR NAME: the value of a header field of the last answer
        print(last_headers(a[0]).get(a[1].lower(), [""])[-1])
    elif cmd == "extra":  # OUT: a 3-frame 16-bit instance and an 8-bit one (for dcmcjpeg)
        import numpy as np
        from pydicom.dataset import FileDataset, FileMetaDataset
        from pydicom.uid import ExplicitVRLittleEndian, generate_uid
        root = "1.2.826.0.1.3680043.8.498."
        u = lambda *p: generate_uid(prefix=root, entropy_srcs=["dicomweb-interop"] + [str(x) for x in p])
        def base(sop_class, series, number, name):
            meta = FileMetaDataset()
            meta.MediaStorageSOPClassUID = sop_class
            meta.MediaStorageSOPInstanceUID = u("sop", name)
            meta.TransferSyntaxUID = ExplicitVRLittleEndian
            meta.ImplementationClassUID = root + "1"
            ds = FileDataset(None, {}, file_meta=meta, preamble=b"\0" * 128)
            ds.is_little_endian, ds.is_implicit_VR = True, False
            ds.SpecificCharacterSet = "ISO_IR 100"
            ds.SOPClassUID, ds.SOPInstanceUID = sop_class, meta.MediaStorageSOPInstanceUID
            ds.StudyDate, ds.StudyTime, ds.AccessionNumber = "20200202", "101010", "XACC1"
            ds.Modality, ds.ConversionType = "OT", "WSD"
            ds.ReferringPhysicianName, ds.StudyDescription = "", "EXTRA FRAMES"
            ds.PatientName, ds.PatientID = "EXTRA^MULTI", "XPAT1"
            ds.PatientBirthDate, ds.PatientSex = "19700101", "O"
            ds.StudyInstanceUID, ds.SeriesInstanceUID = u("study"), u("series", series)
            ds.StudyID, ds.SeriesNumber, ds.InstanceNumber = "1", series, number
            ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
            ds.PixelRepresentation = 0
            return ds
        os.makedirs(a[0], exist_ok=True)
        ds = base("1.2.840.10008.5.1.4.1.1.7.3", 1, 1, "multiframe")  # Multi-frame Grayscale Word SC
        ds.Rows, ds.Columns, ds.NumberOfFrames = 48, 40, 3
        ds.BitsAllocated, ds.BitsStored, ds.HighBit = 16, 16, 15
        ds.FrameIncrementPointer = 0x00181063
        ds.FrameTime = "100"
        y, x = np.mgrid[0:48, 0:40]
        ds.PixelData = np.stack([(x * 500 + y * 30 + k * 9000) % 65536 for k in range(3)]).astype("<u2").tobytes()
        ds.save_as(os.path.join(a[0], "multiframe.dcm"), write_like_original=False)
        ds = base("1.2.840.10008.5.1.4.1.1.7", 2, 1, "eightbit")  # Secondary Capture Image
        ds.Rows, ds.Columns = 48, 64
        ds.BitsAllocated, ds.BitsStored, ds.HighBit = 8, 8, 7
        y, x = np.mgrid[0:48, 0:64]
        ds.PixelData = ((x * 4 + y * 2) % 256).astype("u1").tobytes()
        ds.save_as(os.path.join(a[0], "eightbit.dcm"), write_like_original=False)
    elif cmd == "manifest":  # OUT FILES...: study/series/SOP, name, id, frames, transfer syntax, path
        import pydicom
        with open(a[0], "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["study_uid", "series_uid", "sop_uid", "patient_name", "patient_id", "frames", "ts", "path"])
            for p in a[1:]:
                ds = pydicom.dcmread(p, stop_before_pixels=True)
                w.writerow([ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID, str(ds.PatientName),
                            ds.PatientID, int(getattr(ds, "NumberOfFrames", 1) or 1),
                            ds.file_meta.TransferSyntaxUID, os.path.abspath(p)])
    elif cmd == "pick":  # MANIFEST COLUMN VALUE OUTCOLUMN: the OUTCOLUMN of matching rows
        for r in manifest_rows(a[0]):
            if a[1] == "*" or r[a[1]] == a[2]:
                print(r[a[3]])
    elif cmd == "body":  # OUT BOUNDARY FILES...: a multipart/related body of application/dicom parts
        with open(a[0], "wb") as f:
            for p in a[2:]:
                f.write(b"--" + a[1].encode() + b"\r\nContent-Type: application/dicom\r\n\r\n")
                f.write(open(p, "rb").read() + b"\r\n")
            f.write(b"--" + a[1].encode() + b"--\r\n")
    elif cmd == "part":  # HDR BODY N OUT: writes part N (1-based) to OUT; prints its content type
        t, content = payloads(a[0], a[1])[int(a[2]) - 1]
        open(a[3], "wb").write(content)
        print(t)
    elif cmd == "parts":  # HDR BODY: "N type|type..." (N parts or 1 for a single-part body)
        ps = payloads(a[0], a[1])
        print(len(ps), "|".join(t for t, _ in ps))
    elif cmd == "received":  # MANIFEST COLUMN VALUE HDR BODY: "ok N" if the parts are exactly the
        # manifest's instances where COLUMN is VALUE, each data set byte for byte the stored one
        import pydicom, io
        rows = manifest_rows(a[0])
        want = {r["sop_uid"]: r["path"] for r in rows if r[a[1]] == a[2]}
        got, bad = set(), []
        try:
            parts = payloads(a[3], a[4])
        except Exception as e:
            print("unreadable response:", e)
            return
        for t, content in parts:
            try:
                uid = str(pydicom.dcmread(io.BytesIO(content), stop_before_pixels=True).SOPInstanceUID)
            except Exception as e:
                bad.append(f"part of type {t!r}: {e}")
                continue
            if not t.lower().startswith("application/dicom"):
                bad.append(f"{uid}: part type {t!r}")
            got.add(uid)
            if uid not in want:
                bad.append(f"unexpected SOP instance {uid}")
            elif data_set(content) != data_set(open(want[uid], "rb").read()):
                bad.append(f"{uid}: data set differs from {want[uid]}")
        if got != set(want) or len(parts) != len(want):
            bad.append(f"{len(parts)} parts for {len(want)} instances: missing {len(set(want) - got)}")
        print("\n".join(bad) if bad else f"ok {len(want)}")
    elif cmd == "same-file":  # FILE ORIGINAL: the data sets of two Part 10 files
        x, y = open(a[0], "rb").read(), open(a[1], "rb").read()
        try:
            print("same" if data_set(x) == data_set(y) else "differ")
        except Exception as e:
            print("unreadable:", e)
    elif cmd == "frames":  # HDR BODY DICOM-FILE N...: "equal K" if the parts are those frames
        parts = payloads(a[0], a[1])
        want = [frame_bytes(a[2], int(n)) for n in a[3:]]
        if len(parts) != len(want):
            print(f"{len(parts)} parts for {len(want)} frames")
            return
        bad = [f"frame {n}: {len(c)} bytes of type {t!r}, want {len(w)}" for (t, c), w, n in zip(parts, want, a[3:])
               if c != w and c.rstrip(b"\0") != w.rstrip(b"\0")]
        print("\n".join(bad) if bad else f"equal {len(want)} " + "|".join(t for t, _ in parts))
    elif cmd == "image":  # HDR BODY: "jpeg WxH ok" / "png WxH" / what it is, and the type
        ps = payloads(a[0], a[1])
        print(image_kind(ps[0][1]), ps[0][0].split(";")[0].strip(), len(ps[0][1]))
    elif cmd == "stow":  # RESPONSE: "ref N failed M urls K" for a STOW-RS response
        try:
            j = json.load(open(a[0]))
        except Exception as e:
            print("not JSON:", e)
            return
        if isinstance(j, list):
            j = j[0] if j else {}
        ref = j.get("00081199", {}).get("Value", [])
        fail = j.get("00081198", {}).get("Value", [])
        urls = sum(1 for r in ref if values(r, "00081190"))
        print(f"ref {len(ref)} failed {len(fail)} urls {urls}")
        for r in ref:
            print("referenced", values(r, "00081155"))
        for r in fail:
            print("failed", values(r, "00081155"), "reason", values(r, "00081197"))
    elif cmd == "count":  # FILE: the number of objects in a DICOM JSON array
        try:
            j = json.load(open(a[0])) if os.path.getsize(a[0]) else []
            print(len(j) if isinstance(j, list) else "not an array")
        except Exception as e:
            print("not JSON:", e)
    elif cmd == "values":  # FILE TAG: the first value of TAG in each object, sorted, one a line
        j = json.load(open(a[0])) if os.path.getsize(a[0]) else []
        print("\n".join(sorted(values(o, a[1]) for o in j)))
    elif cmd == "has":  # FILE TAG: how many objects have TAG
        j = json.load(open(a[0])) if os.path.getsize(a[0]) else []
        print(sum(1 for o in j if a[1] in o))
    elif cmd == "bulk":  # METADATA SOP TAG BASE: the BulkDataURI of TAG in SOP's metadata, absolute
        for o in json.load(open(a[0])):
            if values(o, "00080018") == a[1]:
                uri = o.get(a[2], {}).get("BulkDataURI", "")
                if uri.startswith("/"):
                    m = re.match(r"(https?://[^/]+)", a[3])
                    uri = m.group(1) + uri
                print(uri)
    elif cmd == "range":  # HDR BODY DICOM-FILE FIRST LAST: the body is bytes FIRST..LAST of pixel data
        ps = payloads(a[0], a[1])
        want = frame_bytes(a[2], 1)[int(a[3]):int(a[4]) + 1]
        c = ps[0][1]
        print(f"equal {len(c)}" if c == want else f"differ: {len(c)} bytes, want {len(want)}")
    elif cmd == "jwt-input":  # HEADER-JSON PAYLOAD-JSON: the JWS signing input
        print(b64url(a[0].encode()) + "." + b64url(a[1].encode()), end="")
    elif cmd == "b64url":  # FILE
        print(b64url(open(a[0], "rb").read()), end="")
    elif cmd == "hs256":  # INPUT KEYFILE: an HMAC-SHA256 signature keyed with the file's bytes
        print(b64url(hmac.new(open(a[1], "rb").read(), a[0].encode(), hashlib.sha256).digest()), end="")
    elif cmd == "raw":  # SOURCE PORT CA REQUEST MODE: send a raw request over TLS; print the
        # status line of the answer, "closed" or "timeout". MODE "all" sends the whole file;
        # "headers" sends it up to the blank line and waits (an answer must not need the body).
        req = open(a[3], "rb").read()
        if a[4] == "headers":
            req = req[:req.index(b"\r\n\r\n") + 4]
        ctx = ssl.create_default_context(cafile=a[2])
        try:
            raw = socket.create_connection(("127.0.0.1", int(a[1])), timeout=10, source_address=(a[0], 0))
            s = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
            s.sendall(req)
            got = b""
            while b"\r\n" not in got:
                chunk = s.recv(4096)
                if not chunk:
                    break
                got += chunk
            print(got.split(b"\r\n")[0].decode("latin-1") if got else "closed")
        except socket.timeout:
            print("timeout")
        except (ssl.SSLError, OSError) as e:
            print("closed:", e)
    else:
        sys.exit("unknown command " + cmd)

main()
PY
dw() { $py "$work/dw.py" "$@" 2>&1; }

# --- setup --------------------------------------------------------------------------------
echo "== setup"
t=$SECONDS
dir=$work/pacs
ca=$dir/tls/ca.pem
"$bastion" init --dir "$dir" --ae-title BASTION --dicom-port "$dport" --http-port "$hport" >init.log 2>&1 ||
  { cat init.log; fail_prereq "bastion init --http-port failed"; finish; }
admin_password=$(sed -n 's/^ *admin password: *//p' init.log)
sed -i 's/^bind = .*/bind = "127.0.0.1"/' "$dir/bastion.toml"
http_table=$(sed -n '/^\[http\]/,/^\[/p' "$dir/bastion.toml")
if ! grep -q '^bind = "127.0.0.1"' <<<"$http_table" || ! grep -q "^port = $hport\$" <<<"$http_table"; then
  fail_prereq "$dir/bastion.toml has no [http] table with bind and port $hport: $(head -c 300 <<<"$http_table")"
  finish
fi
# Absolute URLs in responses (RetrieveURL, BulkDataURI) under the name clients use.
sed -i "s|^# public_url = .*|public_url = \"https://127.0.0.1:$hport\"|" "$dir/bastion.toml"
# Lockout quicker than the defaults (5 failures, delays of at most 0.3 s), same mechanism.
sed -i -e 's/^lock_after_failures = .*/lock_after_failures = 5/' -e 's/^max_delay_ms = .*/max_delay_ms = 300/' "$dir/bastion.toml"
# A JWT issuer with an Ed25519 and an RSA key; the test signs its tokens with openssl.
mkdir -p "$dir/jwt"
if ! openssl genpkey -algorithm ed25519 -out jwt-ed.key 2>/dev/null ||
  ! openssl pkey -in jwt-ed.key -pubout -out "$dir/jwt/idp-ed25519.pem" 2>/dev/null ||
  ! openssl genpkey -algorithm rsa -pkeyopt rsa_keygen_bits:2048 -out jwt-rsa.key 2>/dev/null ||
  ! openssl pkey -in jwt-rsa.key -pubout -out "$dir/jwt/idp-rsa.pem" 2>/dev/null ||
  ! openssl genpkey -algorithm ed25519 -out jwt-other.key 2>/dev/null; then
  fail_prereq "openssl cannot make the JWT keys"
  finish
fi
cat >>"$dir/bastion.toml" <<'EOF'

[[jwt_issuers]]
issuer = "https://idp.test"
audience = "bastion-dicomweb"
public_keys = ["jwt/idp-ed25519.pem", "jwt/idp-rsa.pem"]
algorithms = ["EdDSA", "RS256"]
username_claim = "sub"
roles_claim = "roles"
clock_skew_seconds = 30
EOF
user_password='Locky-pass-2718-28'
for u in viewer:viewer modality:modality scoped:viewer victim:viewer; do
  "$bastion" user add --dir "$dir" "${u%%:*}" --role "${u#*:}" >>users.log 2>&1 || fail_prereq "bastion user add ${u%%:*}: $(tail -1 users.log)"
done
printf '%s\n' "$user_password" | "$bastion" user add --dir "$dir" locky --role viewer --password-stdin >>users.log 2>&1 ||
  fail_prereq "bastion user add locky --password-stdin: $(tail -1 users.log)"
token() { "$bastion" token create --dir "$dir" "$1" --ttl 1h 2>>tokens.log | head -1; }
admin_tok=$(token admin)
viewer_tok=$(token viewer)
mod_tok=$(token modality)
scoped_tok=$(token scoped)
victim_json=$("$bastion" token create --dir "$dir" victim --ttl 1h --json 2>>tokens.log)
victim_tok=$($py -c 'import json,sys; print(json.load(sys.stdin)["token"])' <<<"$victim_json" 2>/dev/null)
victim_id=$($py -c 'import json,sys; print(json.load(sys.stdin)["id"])' <<<"$victim_json" 2>/dev/null)
tokens_made=$(cat tokens.log)
[[ -n $admin_tok && -n $viewer_tok && -n $mod_tok && -n $scoped_tok && -n $victim_tok && -n $victim_id ]] && tokens_made=ok
check "bastion token create: a token for each user" "^ok\$" "$tokens_made"
admin=(-H "Authorization: Bearer $admin_tok")
viewer=(-H "Authorization: Bearer $viewer_tok")
modality=(-H "Authorization: Bearer $mod_tok")
scoped=(-H "Authorization: Bearer $scoped_tok")
json_accept=(-H "Accept: application/dicom+json")

# The corpus: two CT studies of two series of two instances; a third study holding a 3-frame
# instance (series 1) and a JPEG baseline one (series 2).
$py "$gen" --out corpus --patients 2 --studies 1 --series 2 --instances 2 --size 64 --seed 21 >gen.log 2>&1 ||
  { fail_prereq "gen_dataset.py failed: $(tail -3 gen.log)"; finish; }
mkdir -p extra
dw extra extra >extra.log || { fail_prereq "cannot write the extra instances: $(cat extra.log)"; finish; }
dcmcjpeg +eb extra/eightbit.dcm extra/jpeg.dcm >dcmcjpeg.log 2>&1 || fail_prereq "dcmcjpeg +eb: $(tail -2 dcmcjpeg.log)"
rm -f extra/eightbit.dcm
mapfile -t corpus_files < <(find corpus extra -name '*.dcm' | sort)
dw manifest all.csv "${corpus_files[@]}" >manifest.log || { fail_prereq "manifest: $(cat manifest.log)"; finish; }
manifest=$work/all.csv
pick() { dw pick "$manifest" "$@"; }
mapfile -t studies < <(pick '*' '' study_uid | sort -u)
mf=$(pick frames 3 path)
jpg=$(pick ts 1.2.840.10008.1.2.4.50 path)
st3=$(pick path "$mf" study_uid)
mapfile -t ct_studies < <(printf '%s\n' "${studies[@]}" | grep -vxF -- "$st3")
st1=${ct_studies[0]:-} st2=${ct_studies[1]:-}
se1=$(pick study_uid "$st1" series_uid | sort -u | head -1)
sop1=$(pick series_uid "$se1" sop_uid | head -1)
file1=$(pick sop_uid "$sop1" path)
mf_se=$(pick path "$mf" series_uid) mf_sop=$(pick path "$mf" sop_uid)
jpg_se=$(pick path "$jpg" series_uid) jpg_sop=$(pick path "$jpg" sop_uid)
expect "corpus: 3 studies, 10 instances, a 3-frame one and a JPEG baseline one" "3 10 yes yes" \
  "${#studies[@]} $(($(wc -l <"$manifest") - 1)) $([[ -n $mf ]] && echo yes) $([[ -n $jpg ]] && echo yes)"

in_ns timeout 900 "$bastion" serve --dir "$dir" >serve.out 2>serve.err &
serve_pid=$!
base=https://127.0.0.1:$hport/dicom-web
# http OUT CURL-ARGS...: one request; the body goes to OUT, the header fields to OUT.h; prints
# the status code (000 when there was no HTTP answer).
http() {
  local out=$1
  shift
  in_ns curl -sS --noproxy '*' --max-time 60 --cacert "$ca" -o "$out" -D "$out.h" -w '%{http_code}' "$@" 2>"$out.err"
}
# hdr OUT NAME: the value of header field NAME in the last answer saved by http.
hdr() { dw header "$1.h" "$2"; }
up=0
for _ in $(seq 150); do
  code=$(http up.out "$base/studies")
  [[ $code != 000 ]] && { up=1; break; }
  sleep 0.1
done
[[ $up -eq 1 ]] || { fail_prereq "bastion serve did not answer HTTPS on 127.0.0.1:$hport: $(tail -5 serve.err)"; finish; }
check "bastion serve: HTTPS listens on 127.0.0.1:$hport only" "127\.0\.0\.1:$hport\b" "$(in_ns ss -Hltn "sport = :$hport" 2>&1)"
check_absent "  ... and not on every interface" "0.0.0.0:$hport" "$(in_ns ss -Hltn "sport = :$hport" 2>&1)"
check "  ... TLS 1.0/1.1 refused" "^refused\$" \
  "$(in_ns timeout 10 openssl s_client -connect "127.0.0.1:$hport" -tls1_1 -CAfile "$ca" </dev/null >/dev/null 2>&1 && echo accepted || echo refused)"
check "  ... TLS 1.3 with the local CA's certificate, verified" "Verify return code: 0 \(ok\)" \
  "$(in_ns timeout 10 openssl s_client -connect "127.0.0.1:$hport" -tls1_3 -CAfile "$ca" -verify_ip 127.0.0.1 </dev/null 2>&1)"
keepalive=$(in_ns curl -sS --noproxy '*' --max-time 30 --cacert "$ca" "${viewer[@]}" -o /dev/null -o /dev/null \
  -w '%{http_code} %{num_connects}\n' "$base/studies" "$base/studies?limit=1" 2>&1 | tr '\n' ' ')
expect "two requests on one connection (HTTP/1.1 keep-alive): 200 over a new connection, 200 over the same" "200 1 200 0 " "$keepalive"
took setup "$t"

# alive: a normal request still works (after a hostile one).
alive() {
  expect "  ... and a normal QIDO-RS request still works" 200 "$(http alive.json "${viewer[@]}" "$base/studies?limit=1")"
}

# repeated NAME REGEX OUT CURL-ARGS...: the same request 5 times, each answered with a status
# matching REGEX. An answer sent before the request body was read must reach the client every
# time (RFC 9112 9.6: close in stages), not only when the reset loses the race.
repeated() {
  local name=$1 want=$2 out=$3 codes=""
  shift 3
  for _ in 1 2 3 4 5; do codes+="$(http "$out" "$@") "; done
  check "$name (5 times)" "^(($want) ){5}\$" "$codes"
}

# --- 1. STOW-RS ----------------------------------------------------------------------------
echo "== 1. STOW-RS with curl"
t=$SECONDS
boundary=dicomweb-interop-$RANDOM$RANDOM
stow_type="multipart/related; type=\"application/dicom\"; boundary=$boundary"
stow() {  # stow OUT URL AUTH-ARGS... -- FILES...: prints the status code
  local out=$1 url=$2 args=()
  shift 2
  while [[ $1 != -- ]]; do args+=("$1"); shift; done
  shift
  dw body "$out.body" "$boundary" "$@" >/dev/null
  http "$out" "${args[@]}" -X POST -H "Content-Type: $stow_type" -H "Accept: application/dicom+json" \
    --data-binary "@$out.body" "$url"
}
mapfile -t f1 < <(pick study_uid "$st1" path)
mapfile -t f2 < <(pick study_uid "$st2" path)
mapfile -t f3 < <(pick study_uid "$st3" path)
expect "STOW-RS POST /studies/{study} (4 CT instances) as a modality: 200" 200 "$(stow stow1.json "$base/studies/$st1" "${modality[@]}" -- "${f1[@]}")"
check "  ... application/dicom+json" "^application/dicom\+json" "$(hdr stow1.json Content-Type)"
check "  ... ReferencedSOPSequence of 4, each with a RetrieveURL; no FailedSOPSequence" "^ref 4 failed 0 urls 4\$" "$(dw stow stow1.json)"
expect "  ... the referenced SOP instances are the ones sent" "$(pick study_uid "$st1" sop_uid | sort)" \
  "$(dw stow stow1.json | sed -n 's/^referenced //p' | sort)"
expect "STOW-RS POST /studies (another CT study)" 200 "$(stow stow2.json "$base/studies" "${modality[@]}" -- "${f2[@]}")"
check "  ... 4 referenced" "^ref 4 failed 0 urls 4\$" "$(dw stow stow2.json)"
expect "STOW-RS POST /studies (a 3-frame and a JPEG baseline instance)" 200 "$(stow stow3.json "$base/studies" "${modality[@]}" -- "${f3[@]}")"
check "  ... 2 referenced" "^ref 2 failed 0 urls 2\$" "$(dw stow stow3.json)"
code=$(http stow9.json "${modality[@]}" -X POST -H "Content-Type: $stow_type" -H "Transfer-Encoding: chunked" \
  --data-binary "@stow2.json.body" "$base/studies")
check "STOW-RS with Transfer-Encoding: chunked (as Orthanc sends it): 200, 4 referenced" "^200 ref 4 failed 0" "$code $(dw stow stow9.json)"
code=$(stow stow4.json "$base/studies" "${modality[@]}" -- "$file1")
check "STOW-RS of an instance already stored, same content: accepted (200)" "^200\$" "$code"
code=$(stow stow5.json "$base/studies/$st1" "${modality[@]}" -- "${f2[0]}")
check "STOW-RS POST /studies/{study} of another study's instance: 409 (PS3.18 10.5.3: none stored)" "^409\$" "$code"
check "  ... in FailedSOPSequence" "^failed $(pick path "${f2[0]}" sop_uid) " "$(dw stow stow5.json)"
printf 'not a DICOM file' >junk.bin
code=$(stow stow6.json "$base/studies" "${modality[@]}" -- junk.bin)
check "STOW-RS of a part that is not DICOM: 400 or 409, nothing stored" "^(400|409)\$" "$code"
repeated "STOW-RS with Content-Type application/dicom (not multipart/related): 415" 415 stow7.json \
  "${modality[@]}" -X POST -H "Content-Type: application/dicom" --data-binary "@$file1" "$base/studies"
repeated "STOW-RS with multipart/related; type=\"image/png\": 415" 415 stow8.json \
  "${modality[@]}" -X POST -H "Content-Type: multipart/related; type=\"image/png\"; boundary=$boundary" --data-binary "@stow1.json.body" "$base/studies"
took "check 1" "$t"

# --- 2. QIDO-RS ----------------------------------------------------------------------------
echo "== 2. QIDO-RS"
t=$SECONDS
qido() {  # qido OUT PATH-AND-QUERY [CURL-ARGS...]: as the viewer; prints the status code
  local out=$1 path=$2
  shift 2
  http "$out" "${viewer[@]}" "${json_accept[@]}" "$@" "$base$path"
}
expect "GET /studies: 200" 200 "$(qido q1.json /studies)"
check "  ... Content-Type application/dicom+json" "^application/dicom\+json" "$(hdr q1.json Content-Type)"
expect "  ... the 3 studies" "$(printf '%s\n' "${studies[@]}" | sort)" "$(dw values q1.json 0020000D)"
expect "  ... each with PatientName, StudyDate, NumberOfStudyRelatedInstances and RetrieveURL (Table 10.6.3-3)" "3 3 3 3" \
  "$(dw has q1.json 00100010) $(dw has q1.json 00080020) $(dw has q1.json 00201208) $(dw has q1.json 00081190)"
expect "  ... NumberOfStudyRelatedInstances: 2, 4, 4" "$(printf '2\n4\n4')" "$(dw values q1.json 00201208)"
retrieve_url=$($py -c 'import json,sys; print(next(o["00081190"]["Value"][0] for o in json.load(open(sys.argv[1])) if o["0020000D"]["Value"][0] == sys.argv[2]))' q1.json "$st1" 2>&1)
expect "  ... RetrieveURL of a study: $base/studies/{study}" "$base/studies/$st1" "$retrieve_url"
pid1=$(pick study_uid "$st1" patient_id | head -1)
name1=$(pick study_uid "$st1" patient_name | head -1)
expect "GET /studies?PatientID={id}: that study" "$st1" "$(qido q2.json "/studies?PatientID=$pid1" >/dev/null; dw values q2.json 0020000D)"
expect "GET /studies?00100020={id} (tag form): that study" "$st1" "$(qido q3.json "/studies?00100020=$pid1" >/dev/null; dw values q3.json 0020000D)"
prefix=${name1:0:3}
want=$($py -c 'import csv,sys; print(len({r["study_uid"] for r in csv.DictReader(open(sys.argv[1])) if r["patient_name"].startswith(sys.argv[2])}))' "$manifest" "$prefix")
expect "GET /studies?PatientName=$prefix* (wildcard): $want studies" "$want" "$(qido q4.json "/studies?PatientName=$prefix*" >/dev/null; dw count q4.json)"
expect "GET /studies?PatientName=${prefix:0:1}?${prefix:2:1}* ('?' wildcard)" "$want" "$(qido q4b.json "/studies?PatientName=${prefix:0:1}%3F${prefix:2:1}*" >/dev/null; dw count q4b.json)"
lower=$(tr '[:upper:]' '[:lower:]' <<<"${name1%%^*}")
qido q5.json "/studies?PatientName=${lower:0:4}&fuzzymatching=true" >/dev/null
check "GET /studies?PatientName=${lower:0:4}&fuzzymatching=true: finds $name1" "(^|\s)$st1(\s|\$)" "$(dw values q5.json 0020000D)"
descr1=$($py -c 'import pydicom,sys; print(pydicom.dcmread(sys.argv[1]).StudyDescription)' "$file1")
qido q6.json "/studies?StudyInstanceUID=$st1" >/dev/null
expect "GET /studies?StudyInstanceUID={study}: no StudyDescription (not a default attribute)" 0 "$(dw has q6.json 00081030)"
qido q7.json "/studies?StudyInstanceUID=$st1&includefield=00081030" >/dev/null
expect "  ... &includefield=00081030: StudyDescription" "$descr1" "$(dw values q7.json 00081030)"
qido q8.json "/studies?StudyInstanceUID=$st1&includefield=StudyDescription,00080080" >/dev/null
expect "  ... &includefield=StudyDescription,00080080 (keyword, list): both" "$descr1 BENCH GENERAL HOSPITAL" \
  "$(dw values q8.json 00081030) $(dw values q8.json 00080080)"
qido q9.json "/studies?StudyInstanceUID=$st1&includefield=all" >/dev/null
expect "  ... &includefield=all: StudyDescription too" "$descr1" "$(dw values q9.json 00081030)"
pages=""
for off in 0 1 2; do
  qido "p$off.json" "/studies?limit=1&offset=$off" >/dev/null
  pages+="$(dw count "p$off.json"):$(dw values "p$off.json" 0020000D) "
done
expect "GET /studies?limit=1&offset=0,1,2: one study each" "3" "$(grep -o '1:' <<<"$pages" | wc -l)"
expect "  ... together the 3 studies" "$(printf '%s\n' "${studies[@]}" | sort)" "$(tr ' ' '\n' <<<"$pages" | sed -n 's/^1://p' | sort)"
expect "GET /studies?limit=2&offset=2: the last one" 1 "$(qido p3.json "/studies?limit=2&offset=2" >/dev/null; dw count p3.json)"
expect "GET /studies?offset=3: none" 0 "$(qido p4.json "/studies?offset=3" >/dev/null; dw count p4.json)"
expect "GET /studies?StudyInstanceUID={a},{b} (UID list, PS3.18 8.3.4.1)" 2 "$(qido q10.json "/studies?StudyInstanceUID=$st1,$st2" >/dev/null; dw count q10.json)"
expect "GET /studies?StudyDate=20200101-20200301 (range): the extra study" "$st3" "$(qido q11.json "/studies?StudyDate=20200101-20200301" >/dev/null; dw values q11.json 0020000D)"
expect "GET /studies/{study}/series: 2 series" "$(pick study_uid "$st1" series_uid | sort -u)" "$(qido q12.json "/studies/$st1/series" >/dev/null; dw values q12.json 0020000E)"
expect "  ... each with Modality CT and NumberOfSeriesRelatedInstances 2 (Table 10.6.3-4)" "CT CT 2 2" \
  "$(dw values q12.json 00080060 | tr '\n' ' ')$(dw values q12.json 00201209 | tr '\n' ' ' | sed 's/ $//')"
expect "GET /series?Modality=OT: the extra study's 2 series" 2 "$(qido q13.json "/series?Modality=OT" >/dev/null; dw count q13.json)"
expect "GET /series?StudyInstanceUID={study}" 2 "$(qido q14.json "/series?StudyInstanceUID=$st2" >/dev/null; dw count q14.json)"
expect "GET /studies/{study}/series/{series}/instances: its 2 instances" "$(pick series_uid "$se1" sop_uid | sort)" \
  "$(qido q15.json "/studies/$st1/series/$se1/instances" >/dev/null; dw values q15.json 00080018)"
expect "GET /studies/{study}/instances: 4" 4 "$(qido q16.json "/studies/$st1/instances" >/dev/null; dw count q16.json)"
expect "GET /instances?SOPInstanceUID={sop}: that one" "$sop1" "$(qido q17.json "/instances?SOPInstanceUID=$sop1" >/dev/null; dw values q17.json 00080018)"
qido q18.json "/studies/$st3/instances?SOPInstanceUID=$mf_sop" >/dev/null
expect "GET /studies/{extra}/instances?SOPInstanceUID={multi-frame}: NumberOfFrames 3, Rows 48, Columns 40 (Table 10.6.3-5)" "3 48 40" \
  "$(dw values q18.json 00280008) $(dw values q18.json 00280010) $(dw values q18.json 00280011)"
expect "GET /studies with Accept: */* (what Orthanc sends): 200" 200 "$(http q19.json "${viewer[@]}" -H 'Accept: */*' "$base/studies")"
expect "GET /studies without Accept: 200 application/dicom+json" "200 application/dicom+json" \
  "$(http q20.json "${viewer[@]}" "$base/studies") $(hdr q20.json Content-Type | cut -d';' -f1)"
expect "GET /studies with Accept: application/pdf: 406" 406 "$(http q21.json "${viewer[@]}" -H 'Accept: application/pdf' "$base/studies")"
# PS3.18 8.3: unsupported Query Parameters are ignored, invalid values of supported ones are 400.
check "GET /studies?NoSuchKeyword=1: 400 (not an attribute) or 200 (ignored, PS3.18 8.3)" "^(400|200)\$" "$(qido q22.json "/studies?NoSuchKeyword=1")"
expect "GET /studies?limit=-1: 400" 400 "$(qido q23.json "/studies?limit=-1")"
expect "GET /studies?limit=abc: 400" 400 "$(qido q24.json "/studies?limit=abc")"
code=$(qido q25.json "/studies/1.2.3.4.5.6/series")
check "GET /studies/{unknown}/series: no match (200 [] or 204)" "^(200 0|204 0)\$" "$code $(dw count q25.json)"
expect "GET /studies?PatientID=x' OR '1'='1 (SQL metacharacters): none" "200 0" \
  "$(qido q26.json "/studies?PatientID=x%27%20OR%20%271%27%3D%271") $(dw count q26.json)"
expect "GET /studies?PatientID=% (LIKE metacharacter): none" "200 0" "$(qido q27.json "/studies?PatientID=%25") $(dw count q27.json)"
took "check 2" "$t"

# --- 3. WADO-RS ----------------------------------------------------------------------------
echo "== 3. WADO-RS"
t=$SECONDS
wado() {  # wado OUT PATH ACCEPT [CURL-ARGS...]: as the viewer; prints the status code
  local out=$1 path=$2 accept=$3
  shift 3
  http "$out" "${viewer[@]}" -H "Accept: $accept" "$@" "$base$path"
}
dicom_accept='multipart/related; type="application/dicom"'
expect "GET /studies/{study}/metadata: 200" 200 "$(wado m1.json "/studies/$st1/metadata" application/dicom+json)"
check "  ... application/dicom+json" "^application/dicom\+json" "$(hdr m1.json Content-Type)"
expect "  ... the 4 instances" "$(pick study_uid "$st1" sop_uid | sort)" "$(dw values m1.json 00080018)"
expect "  ... PatientName of each" "$(printf '%s\n' "$name1" "$name1" "$name1" "$name1")" "$(dw values m1.json 00100010)"
expect "  ... PixelData as a BulkDataURI, never inline" "4 0" \
  "$($py -c 'import json,sys; j=json.load(open(sys.argv[1])); print(sum("BulkDataURI" in o.get("7FE00010",{}) for o in j), sum("InlineBinary" in o.get("7FE00010",{}) for o in j))' m1.json 2>&1)"
expect "GET /studies/{study}/series/{series}/metadata: 2" 2 "$(wado m2.json "/studies/$st1/series/$se1/metadata" application/dicom+json >/dev/null; dw count m2.json)"
expect "GET .../instances/{sop}/metadata: 1, its SOP" "$sop1" "$(wado m3.json "/studies/$st1/series/$se1/instances/$sop1/metadata" application/dicom+json >/dev/null; dw values m3.json 00080018)"
expect "GET /studies/{unknown}/metadata: 404" 404 "$(wado m4.json "/studies/1.2.3.4.5.6/metadata" application/dicom+json)"

expect "GET /studies/{study} (Accept multipart/related; type=\"application/dicom\"): 200" 200 "$(wado w1.out "/studies/$st1" "$dicom_accept")"
check "  ... multipart/related; type=\"application/dicom\"" '^multipart/related;.*type="?application/dicom"?' "$(hdr w1.out Content-Type)"
check "  ... its 4 instances, each data set byte for byte the one stored" "^ok 4\$" "$(dw received "$manifest" study_uid "$st1" w1.out.h w1.out)"
expect "GET /studies/{study}/series/{series}: 200" 200 "$(wado w2.out "/studies/$st1/series/$se1" "$dicom_accept")"
check "  ... its 2 instances, byte for byte" "^ok 2\$" "$(dw received "$manifest" series_uid "$se1" w2.out.h w2.out)"
expect "GET .../instances/{sop}: 200" 200 "$(wado w3.out "/studies/$st1/series/$se1/instances/$sop1" "$dicom_accept")"
check "  ... that instance, byte for byte" "^ok 1\$" "$(dw received "$manifest" sop_uid "$sop1" w3.out.h w3.out)"
expect "GET /studies/{extra} with transfer-syntax=*: 200" 200 "$(wado w4.out "/studies/$st3" "$dicom_accept; transfer-syntax=*")"
check "  ... the multi-frame and the JPEG instance as stored, byte for byte" "^ok 2\$" "$(dw received "$manifest" study_uid "$st3" w4.out.h w4.out)"
expect "GET .../instances/{jpeg} with transfer-syntax=1.2.840.10008.1.2.4.50: 200" 200 \
  "$(wado w5.out "/studies/$st3/series/$jpg_se/instances/$jpg_sop" "$dicom_accept; transfer-syntax=1.2.840.10008.1.2.4.50")"
check "  ... the stored JPEG instance" "^ok 1\$" "$(dw received "$manifest" sop_uid "$jpg_sop" w5.out.h w5.out)"
expect "GET .../instances/{jpeg} without transfer-syntax: 200" 200 "$(wado w6.out "/studies/$st3/series/$jpg_se/instances/$jpg_sop" "$dicom_accept")"
check "  ... Explicit VR Little Endian, or the lossy JPEG as received (PS3.18 8.7.3.4)" \
  "^(transfer-syntax=1\.2\.840\.10008\.1\.2\.1|transfer-syntax=1\.2\.840\.10008\.1\.2\.4\.50|)\$" \
  "$(hdr w6.out Content-Type | grep -o 'transfer-syntax=[0-9.]*')"
expect "GET /studies/{study} with Accept: image/png: 406" 406 "$(wado w7.out "/studies/$st1" image/png)"
expect "GET /studies/{unknown}: 404" 404 "$(wado w8.out "/studies/1.2.3.4.5.6" "$dicom_accept")"
expect "GET /studies/{study}/series/{unknown}: 404" 404 "$(wado w9.out "/studies/$st1/series/1.2.3.4.5.6" "$dicom_accept")"
expect "GET /studies/{study}/series/{series of another study}: 404" 404 \
  "$(wado w10.out "/studies/$st2/series/$se1" "$dicom_accept")"

octet='multipart/related; type="application/octet-stream"'
expect "GET .../instances/{sop}/frames/1: 200" 200 "$(wado fr1.out "/studies/$st1/series/$se1/instances/$sop1/frames/1" "$octet")"
check "  ... one application/octet-stream part, the pixel data" "^equal 1 application/octet-stream" "$(dw frames fr1.out.h fr1.out "$file1" 1)"
expect "GET .../instances/{multi-frame}/frames/1,3: 200" 200 "$(wado fr2.out "/studies/$st3/series/$mf_se/instances/$mf_sop/frames/1,3" "$octet")"
check "  ... two parts, frames 1 and 3 of the pixel data" "^equal 2 " "$(dw frames fr2.out.h fr2.out "$mf" 1 3)"
expect "GET .../frames/2: frame 2" "equal 1" "$(wado fr3.out "/studies/$st3/series/$mf_se/instances/$mf_sop/frames/2" "$octet" >/dev/null; dw frames fr3.out.h fr3.out "$mf" 2 | cut -d' ' -f1,2)"
expect "GET .../frames/4 of 3 frames: 404" 404 "$(wado fr4.out "/studies/$st3/series/$mf_se/instances/$mf_sop/frames/4" "$octet")"
check "GET .../frames/0: 400 or 404" "^(400|404)\$" "$(wado fr5.out "/studies/$st3/series/$mf_se/instances/$mf_sop/frames/0" "$octet")"
expect "GET .../frames/x: 400" 400 "$(wado fr6.out "/studies/$st3/series/$mf_se/instances/$mf_sop/frames/x" "$octet")"
code=$(wado fr7.out "/studies/$st3/series/$jpg_se/instances/$jpg_sop/frames/1" 'multipart/related; type="image/jpeg"')
expect "GET .../instances/{jpeg}/frames/1 (Accept multipart/related; type=\"image/jpeg\"): 200" 200 "$code"
check "  ... the JPEG frame as stored, image/jpeg (PS3.18 8.7.4)" "^equal 1 image/jpeg" "$(dw frames fr7.out.h fr7.out "$jpg" 1)"

expect "GET .../instances/{sop}/rendered (Accept image/jpeg): 200" 200 "$(wado r1.out "/studies/$st1/series/$se1/instances/$sop1/rendered" image/jpeg)"
check "  ... a 64x64 JPEG" "^jpeg 64x64 ok image/jpeg" "$(dw image r1.out.h r1.out)"
expect "GET .../rendered (Accept image/png): 200" 200 "$(wado r2.out "/studies/$st1/series/$se1/instances/$sop1/rendered" image/png)"
check "  ... a 64x64 PNG" "^png 64x64 image/png" "$(dw image r2.out.h r2.out)"
wado r3.out "/studies/$st1/series/$se1/instances/$sop1/rendered?viewport=32,32" image/jpeg >/dev/null
check "GET .../rendered?viewport=32,32: a 32x32 JPEG" "^jpeg 32x32 ok" "$(dw image r3.out.h r3.out)"
wado r4.out "/studies/$st1/series/$se1/instances/$sop1/rendered?window=40,400,linear&quality=50" image/jpeg >/dev/null
check "GET .../rendered?window=40,400,linear&quality=50: a JPEG" "^jpeg 64x64 ok" "$(dw image r4.out.h r4.out)"
wado r5.out "/studies/$st3/series/$mf_se/instances/$mf_sop/frames/2/rendered" image/png >/dev/null
check "GET .../instances/{multi-frame}/frames/2/rendered: a 40x48 PNG" "^png 40x48 image/png" "$(dw image r5.out.h r5.out)"
wado r6.out "/studies/$st3/series/$jpg_se/instances/$jpg_sop/rendered" image/jpeg >/dev/null
check "GET .../instances/{jpeg}/rendered: a 64x48 JPEG (decoded and re-encoded)" "^jpeg 64x48 ok" "$(dw image r6.out.h r6.out)"
expect "GET .../rendered with Accept: application/pdf: 406" 406 "$(wado r7.out "/studies/$st1/series/$se1/instances/$sop1/rendered" application/pdf)"
expect "GET .../rendered?quality=500: 400" 400 "$(wado r8.out "/studies/$st1/series/$se1/instances/$sop1/rendered?quality=500" image/jpeg)"
expect "GET .../rendered?burnin=yes (unsupported): 200, ignored (PS3.18 8.3)" 200 "$(wado r9.out "/studies/$st1/series/$se1/instances/$sop1/rendered?burnin=yes" image/jpeg)"
check "  ... and named in a Warning header" "^299 bastion \"The query parameter burnin is not supported and was ignored\"" "$(hdr r9.out warning)"
for level in "/studies/$st1/series/$se1/instances/$sop1" "/studies/$st1/series/$se1" "/studies/$st1"; do
  name=${level//$st1/\{study\}}
  name=${name//$se1/\{series\}}
  name=${name//$sop1/\{sop\}}
  expect "GET $name/thumbnail: 200" 200 "$(wado th.out "$level/thumbnail" image/jpeg)"
  check "  ... a JPEG within 128x128" "^jpeg ([1-9]|[1-9][0-9]|1[01][0-9]|12[0-8])x([1-9]|[1-9][0-9]|1[01][0-9]|12[0-8]) ok" "$(dw image th.out.h th.out)"
done

bulk=$(dw bulk m1.json "$sop1" 7FE00010 "$base")
check "metadata: the PixelData BulkDataURI is under $base/studies/{study}/" "^$base/studies/$st1/" "$bulk"
code=$(http b1.out "${viewer[@]}" -H "Accept: $octet" "$bulk")
expect "GET {BulkDataURI}: 200" 200 "$code"
check "  ... the whole pixel data" "^equal 8192\$" "$(dw range b1.out.h b1.out "$file1" 0 8191)"
code=$(http b2.out "${viewer[@]}" -H "Accept: application/octet-stream" -H "Range: bytes=100-199" "$bulk")
expect "GET {BulkDataURI} with Range: bytes=100-199: 206 (RFC 9110 14.2)" 206 "$code"
check "  ... Content-Range bytes 100-199/8192" "^bytes 100-199/8192\$" "$(hdr b2.out Content-Range)"
check "  ... those 100 bytes of the pixel data" "^equal 100\$" "$(dw range b2.out.h b2.out "$file1" 100 199)"
code=$(http b3.out "${viewer[@]}" -H "Accept: application/octet-stream" -H "Range: bytes=9000-9100" "$bulk")
expect "GET {BulkDataURI} with Range beyond the end: 416" 416 "$code"
code=$(http b4.out "${viewer[@]}" -H "Accept: application/octet-stream" -H "Range: bytes=5x-10" "$bulk")
expect "GET {BulkDataURI} with a malformed Range bound (5x): 416, not bytes 5-10" 416 "$code"

# Transfer syntaxes (PS3.18 8.7.3): Explicit VR Little Endian by default (8.7.3.4), others by
# transfer-syntax=, `*` as stored; Implicit VR Little Endian and Big Endian never on the web.
ts_dump() { dcmdump -q -Un +P 0002,0010 "$1" 2>&1 | sed -n 's/.*UI \[\([0-9.]*\)\].*/\1/p'; }
elements() { dcmdump -q "$1" 2>&1 | grep -v -e '^(0002,' -e '^# Used TransferSyntax'; }
expect "GET .../instances/{explicit LE} with transfer-syntax=1.2.840.10008.1.2: 406 (PS3.18 8.7.3)" 406 \
  "$(wado t1.out "/studies/$st1/series/$se1/instances/$sop1" "$dicom_accept; transfer-syntax=1.2.840.10008.1.2")"
check "  ... the answer says why" "8\.7\.3" "$(cat t1.out)"
expect "GET .../instances/{explicit LE} with transfer-syntax=1.2.840.10008.1.2.1.99: 200" 200 \
  "$(wado t2.out "/studies/$st1/series/$se1/instances/$sop1" "$dicom_accept; transfer-syntax=1.2.840.10008.1.2.1.99")"
expect "  ... the part's Content-Type names the deflated syntax" "application/dicom; transfer-syntax=1.2.840.10008.1.2.1.99" \
  "$(dw part t2.out.h t2.out 1 t2.dcm)"
expect "  ... dcmdump: (0002,0010) 1.2.840.10008.1.2.1.99" 1.2.840.10008.1.2.1.99 "$(ts_dump t2.dcm)"
expect "  ... every element as stored (dcmdump, group 0002 aside)" same \
  "$(diff <(elements t2.dcm) <(elements "$file1") >/dev/null && echo same || echo differ)"
imp_ok=0
dcmconv +ti "$file1" imp.dcm >/dev/null 2>&1 && dcmodify -nb -gst -gse -gin imp.dcm >/dev/null 2>&1 && imp_ok=1
expect "dcmconv +ti and dcmodify: an Implicit VR Little Endian copy in a study of its own" "1 1.2.840.10008.1.2" \
  "$imp_ok $(ts_dump imp.dcm)"
imp_study=$(dcmdump -q +P 0020,000D imp.dcm 2>/dev/null | sed -n 's/.*UI \[\([0-9.]*\)\].*/\1/p')
expect "  ... stored by STOW-RS: 200" 200 "$(stow t3.json "$base/studies" "${modality[@]}" -- imp.dcm)"
expect "GET /studies/{implicit LE} without transfer-syntax: 200" 200 "$(wado t4.out "/studies/$imp_study" "$dicom_accept")"
expect "  ... the part in Explicit VR Little Endian, the default (PS3.18 8.7.3.4)" \
  "application/dicom; transfer-syntax=1.2.840.10008.1.2.1" "$(dw part t4.out.h t4.out 1 t4.dcm)"
expect "  ... dcmdump: (0002,0010) 1.2.840.10008.1.2.1" 1.2.840.10008.1.2.1 "$(ts_dump t4.dcm)"
expect "  ... every element as stored (dcmdump, group 0002 aside)" same \
  "$(diff <(elements t4.dcm) <(elements imp.dcm) >/dev/null && echo same || echo differ)"
expect "GET /studies/{implicit LE} with transfer-syntax=*: 200" 200 "$(wado t5.out "/studies/$imp_study" "$dicom_accept; transfer-syntax=*")"
expect "  ... Explicit VR Little Endian too: the stored syntax is not a web one" 1.2.840.10008.1.2.1 \
  "$(dw part t5.out.h t5.out 1 t5.dcm >/dev/null; ts_dump t5.dcm)"
expect "GET /studies/{implicit LE} with transfer-syntax=1.2.840.10008.1.2: 406" 406 \
  "$(wado t6.out "/studies/$imp_study" "$dicom_accept; transfer-syntax=1.2.840.10008.1.2")"
expect "GET /studies/{implicit LE}?accept=...1.2.840.10008.1.2.1.99 (PS3.18 8.3.3.1), Accept */*: deflated" \
  "200 1.2.840.10008.1.2.1.99" \
  "$(wado t7.out "/studies/$imp_study?accept=multipart%2Frelated%3B%20type%3D%22application%2Fdicom%22%3B%20transfer-syntax%3D1.2.840.10008.1.2.1.99" '*/*') $(dw part t7.out.h t7.out 1 t7.dcm >/dev/null; ts_dump t7.dcm)"
check "DELETE of that study (admin): 200 or 204" "^(200|204)\$" "$(http t8.out "${admin[@]}" -X DELETE "$base/studies/$imp_study")"

# QIDO-RS with ModalitiesInStudy, the accept query parameter and ignored parameters (PS3.18 8.3).
expect "GET /studies?ModalitiesInStudy=CT: the two CT studies" "$(printf '%s\n' "$st1" "$st2" | sort)" \
  "$(qido q30.json "/studies?ModalitiesInStudy=CT" >/dev/null; dw values q30.json 0020000D)"
expect "GET /studies?ModalitiesInStudy=OT,XA: the extra study" "$st3" \
  "$(qido q31.json "/studies?ModalitiesInStudy=OT,XA" >/dev/null; dw values q31.json 0020000D)"
expect "GET /studies?ModalitiesInStudy=C*: the CT studies" "$(printf '%s\n' "$st1" "$st2" | sort)" \
  "$(qido q32.json "/studies?ModalitiesInStudy=C%2A" >/dev/null; dw values q32.json 0020000D)"
expect "GET /studies?ModalitiesInStudy=XA: none" "200 0" "$(qido q33.json "/studies?ModalitiesInStudy=XA") $(dw count q33.json)"
code=$(http q34.json "${viewer[@]}" -H 'Accept: */*' "$base/studies?accept=application%2Fdicom%2Bjson&limit=1")
expect "GET /studies?accept=application/dicom+json with Accept */*: 200 DICOM JSON" "200 application/dicom+json" \
  "$code $(hdr q34.json Content-Type)"
expect "GET /studies?accept=*/*: 400 (no wildcards, PS3.18 8.3.3.1)" 400 \
  "$(http q35.json "${viewer[@]}" "$base/studies?accept=%2A%2F%2A")"
expect "GET /studies/{study}/metadata?accept=image/jpeg: 406" 406 \
  "$(http q36.json "${viewer[@]}" -H 'Accept: */*' "$base/studies/$st1/metadata?accept=image%2Fjpeg")"
code=$(qido q37.json "/studies?NoSuchKeyword=1&PatientID=$(pick study_uid "$st1" patient_id | head -1)")
expect "GET /studies?NoSuchKeyword=1&PatientID=...: 200, the parameter ignored (PS3.18 8.3)" "200 $st1" \
  "$code $(dw values q37.json 0020000D)"
check "  ... and named in a Warning: 299 header" "^299 .*NoSuchKeyword.*ignored" "$(hdr q37.json Warning)"

wado_uri="https://127.0.0.1:$hport/wado?requestType=WADO&studyUID=$st1&seriesUID=$se1&objectUID=$sop1"
expect "WADO-URI contentType=application/dicom: 200" 200 "$(http u1.dcm "${viewer[@]}" "$wado_uri&contentType=application/dicom")"
check "  ... application/dicom" "^application/dicom" "$(hdr u1.dcm Content-Type)"
expect "  ... the stored instance, data set byte for byte" same "$(dw same-file u1.dcm "$file1")"
expect "WADO-URI contentType=application/dicom&transferSyntax=1.2.840.10008.1.2 (implicit LE): 200" 200 \
  "$(http u1i.dcm "${viewer[@]}" "$wado_uri&contentType=application/dicom&transferSyntax=1.2.840.10008.1.2")"
expect "  ... dcmdump: (0002,0010) 1.2.840.10008.1.2" 1.2.840.10008.1.2 "$(ts_dump u1i.dcm)"
expect "  ... every element as stored (dcmdump, group 0002 aside)" same \
  "$(diff <(elements u1i.dcm) <(elements "$file1") >/dev/null && echo same || echo differ)"
expect "WADO-URI transferSyntax=JPEG baseline of an uncompressed instance: 406" 406 \
  "$(http u1j.out "${viewer[@]}" "$wado_uri&contentType=application/dicom&transferSyntax=1.2.840.10008.1.2.4.50")"
expect "WADO-URI without contentType: 200" 200 "$(http u2.jpg "${viewer[@]}" "$wado_uri")"
check "  ... a 64x64 JPEG (PS3.18 9.1.2.3: image/jpeg by default)" "^jpeg 64x64 ok image/jpeg" "$(dw image u2.jpg.h u2.jpg)"
expect "WADO-URI contentType=image/jpeg&rows=32&columns=32: 32x32" "jpeg 32x32 ok" \
  "$(http u3.jpg "${viewer[@]}" "$wado_uri&contentType=image/jpeg&rows=32&columns=32" >/dev/null; dw image u3.jpg.h u3.jpg | cut -d' ' -f1-3)"
expect "WADO-URI of the multi-frame instance with frameNumber=3, contentType=image/jpeg" "jpeg 40x48 ok" \
  "$(http u4.jpg "${viewer[@]}" "https://127.0.0.1:$hport/wado?requestType=WADO&studyUID=$st3&seriesUID=$mf_se&objectUID=$mf_sop&contentType=image/jpeg&frameNumber=3" >/dev/null
    dw image u4.jpg.h u4.jpg | cut -d' ' -f1-3)"
expect "WADO-URI without requestType: 400" 400 "$(http u5.out "${viewer[@]}" "https://127.0.0.1:$hport/wado?studyUID=$st1&seriesUID=$se1&objectUID=$sop1")"
expect "WADO-URI of an unknown object: 404" 404 "$(http u6.out "${viewer[@]}" "https://127.0.0.1:$hport/wado?requestType=WADO&studyUID=$st1&seriesUID=$se1&objectUID=1.2.3.4.5.6")"
took "check 3" "$t"

# --- 4. Orthanc and its DICOMweb plugin -----------------------------------------------------
echo "== 4. Orthanc's DICOMweb plugin with Bastion as its remote server, in namespace $ns"
t=$SECONDS
unpack_orthanc
plugin=""
if [[ -n $orthanc ]]; then
  if [[ -n ${ORTHANC_DICOMWEB_DEB:-} ]]; then
    cp "$ORTHANC_DICOMWEB_DEB" orthanc-deb/ 2>>orthanc-deb/download.log
  else
    # The project's fetcher (downloads, never installs); its .deb is reused across runs.
    fetched=$("$here/../../scripts/fetch-orthanc.sh" orthanc-dicomweb 2>>orthanc-deb/download.log) &&
      cp "$fetched" orthanc-deb/ 2>>orthanc-deb/download.log
  fi
  pdeb=$(find orthanc-deb -maxdepth 1 -name 'orthanc-dicomweb_*.deb' | head -1)
  if [[ -z $pdeb ]]; then
    fail_prereq "cannot get Debian's orthanc-dicomweb package: $(tail -2 orthanc-deb/download.log)"
  elif ! dpkg -x "$pdeb" orthanc-deb/x; then
    fail_prereq "cannot unpack $pdeb"
  else
    plugin=$(find orthanc-deb/x/usr/lib/orthanc -name 'libOrthancDicomWeb.so*' -type f | head -1)
    [[ -n $plugin ]] && plugin=$(readlink -f "$plugin") && echo "  Orthanc DICOMweb plugin $(dpkg -f "$pdeb" Version), unpacked (not installed)"
    [[ -n $plugin ]] || fail_prereq "$pdeb holds no libOrthancDicomWeb.so"
  fi
fi

if [[ -n $plugin ]]; then
  mkdir -p orthanc/db
  # Orthanc verifies Bastion's certificate against the local CA (HttpsVerifyPeers is the default;
  # said explicitly). Three remote servers: a viewer's token, a modality's, and a wrong one.
  cat >orthanc/orthanc.json <<EOF
{ "Name": "dicomweb-interop", "StorageDirectory": "$work/orthanc/db", "IndexDirectory": "$work/orthanc/db",
  "DicomAet": "ORTHANC", "DicomPort": $o_dicom, "HttpPort": $o_http, "RemoteAccessAllowed": false,
  "AuthenticationEnabled": false, "Plugins": ["$plugin"],
  "HttpsVerifyPeers": true, "HttpsCACertificates": "$ca", "HttpTimeout": 60,
  "DicomWeb": { "Enable": true, "Root": "/dicom-web/", "EnableWado": false,
    "Servers": {
      "bastion": { "Url": "$base/", "HttpHeaders": { "Authorization": "Bearer $viewer_tok" } },
      "bastion-modality": { "Url": "$base/", "HttpHeaders": { "Authorization": "Bearer $mod_tok" } },
      "bastion-badtoken": { "Url": "$base/", "HttpHeaders": { "Authorization": "Bearer bst_000000000000_nope" } } } } }
EOF
  in_ns "$orthanc" "$work/orthanc/orthanc.json" >>orthanc/log 2>&1 &
  orthanc_pid=$!
  o_up=0
  for _ in $(seq 150); do
    in_ns curl -sf -o /dev/null "http://127.0.0.1:$o_http/system" && { o_up=1; break; }
    kill -0 "$orthanc_pid" 2>/dev/null || break
    sleep 0.2
  done
  rest() { in_ns curl -sS --noproxy '*' --max-time 120 "$@"; }
  ourl=http://127.0.0.1:$o_http
  if [[ $o_up -eq 1 ]]; then
    check "Orthanc loaded the DICOMweb plugin" "Registering plugin 'dicom-web'" "$(cat orthanc/log)"
    rest -X POST "$ourl/dicom-web/servers/bastion/qido" -d '{"Uri": "/studies"}' >o1.json 2>&1
    expect "Orthanc POST /dicom-web/servers/bastion/qido {Uri: /studies}: the 3 studies" 3 "$(dw count o1.json)"
    rest -X POST "$ourl/dicom-web/servers/bastion/qido" \
      -d "{\"Uri\": \"/studies\", \"Arguments\": {\"PatientID\": \"$pid1\"}}" >o2.json 2>&1
    check "  ... with Arguments PatientID: that study" "^1 $st1\$" \
      "$(n=$(dw count o2.json); echo "$n $(dw values o2.json 0020000D)")"
    rest -X POST "$ourl/dicom-web/servers/bastion/qido" -d "{\"Uri\": \"/studies/$st1/series\"}" >o3.json 2>&1
    expect "  ... {Uri: /studies/{study}/series}: 2 series" 2 "$(dw count o3.json)"
    out=$(rest -X POST "$ourl/dicom-web/servers/bastion/retrieve" -d "{\"Resources\": [{\"Study\": \"$st1\"}]}" 2>&1)
    check "Orthanc POST /dicom-web/servers/bastion/retrieve {Study}: 4 instances received (WADO-RS)" '"ReceivedInstancesCount" : "4"' "$out"
    study_instances() {  # study_instances UID: SOP instance UIDs Orthanc holds for the study
      rest -X POST "$ourl/tools/find" \
        -d "{\"Level\": \"Instance\", \"Expand\": true, \"Query\": {\"StudyInstanceUID\": \"$1\"}}" |
        $py -c 'import json,sys; [print(i["MainDicomTags"]["SOPInstanceUID"]) for i in json.load(sys.stdin)]' 2>&1 | sort
    }
    expect "  ... Orthanc holds the study's SOP instances" "$(pick study_uid "$st1" sop_uid | sort)" "$(study_instances "$st1")"
    oid=$(rest -X POST "$ourl/tools/lookup" -d "$sop1" |
      $py -c 'import json,sys; print(next(r["ID"] for r in json.load(sys.stdin) if r["Type"] == "Instance"))' 2>/dev/null)
    rest -o orthanc-copy.dcm "$ourl/instances/$oid/file" 2>/dev/null
    expect "  ... Orthanc's copy of $sop1 has the stored data set, byte for byte" same "$(dw same-file orthanc-copy.dcm "$file1")"
    out=$(rest -X POST "$ourl/dicom-web/servers/bastion/retrieve" \
      -d "{\"Resources\": [{\"Study\": \"$st3\", \"Series\": \"$mf_se\"}, {\"Study\": \"$st3\", \"Series\": \"$jpg_se\"}]}" 2>&1)
    check "Orthanc retrieve of the multi-frame and JPEG series: 2 instances" '"ReceivedInstancesCount" : "2"' "$out"
    rest "$ourl/instances/$(rest -X POST "$ourl/tools/lookup" -d "$mf_sop" | $py -c 'import json,sys; print(json.load(sys.stdin)[0]["ID"])' 2>/dev/null)/tags?simplify" >o4.json 2>&1
    expect "  ... the multi-frame instance has its 3 frames in Orthanc" 3 "$($py -c 'import json,sys; print(json.load(open(sys.argv[1]))["NumberOfFrames"])' o4.json 2>&1)"
    oid=$(rest -X POST "$ourl/tools/lookup" -d "$jpg_sop" | $py -c 'import json,sys; print(json.load(sys.stdin)[0]["ID"])' 2>/dev/null)
    rest -o orthanc-jpeg.dcm "$ourl/instances/$oid/file" 2>/dev/null
    expect "  ... the JPEG instance in Orthanc is the stored one (still JPEG baseline)" same "$(dw same-file orthanc-jpeg.dcm "$jpg")"
    rest -X POST "$ourl/dicom-web/servers/bastion/get" -d "{\"Uri\": \"/studies/$st1/metadata\"}" >o5.json 2>&1
    expect "Orthanc POST /dicom-web/servers/bastion/get {Uri: /studies/{study}/metadata}: 4 objects" 4 "$(dw count o5.json)"
    out=$(rest -w ' http %{http_code}' -X POST "$ourl/dicom-web/servers/bastion-badtoken/qido" -d '{"Uri": "/studies"}' 2>&1)
    check "Orthanc qido with a wrong token: refused, nothing returned" "http [45][0-9][0-9]\$" "$out"
    check_absent "  ... no study in the answer" "$st1" "$out"

    # STOW-RS from Orthanc: a fourth study uploaded into Orthanc, then stowed into Bastion.
    $py "$gen" --out corpus4 --patients 1 --studies 1 --series 1 --instances 2 --size 64 --seed 44 >gen4.log 2>&1
    mapfile -t f4 < <(find corpus4 -name '*.dcm' | sort)
    dw manifest four.csv "${f4[@]}" >/dev/null
    st4=$(dw pick "$work/four.csv" '*' '' study_uid | head -1)
    for f in "${f4[@]}"; do rest -X POST "$ourl/instances" --data-binary "@$f" >/dev/null 2>&1; done
    ostudy=$(rest -X POST "$ourl/tools/lookup" -d "$st4" | $py -c 'import json,sys; print(json.load(sys.stdin)[0]["ID"])' 2>/dev/null)
    out=$(rest -w ' http %{http_code}' -X POST "$ourl/dicom-web/servers/bastion-modality/stow" \
      -d "{\"Resources\": [\"$ostudy\"], \"Synchronous\": true}" 2>&1)
    check "Orthanc POST /dicom-web/servers/bastion-modality/stow (a study of 2 instances): success" "http 200\$" "$out"
    expect "  ... Bastion holds the 2 SOP instances (QIDO-RS)" "$(dw pick "$work/four.csv" '*' '' sop_uid | sort)" \
      "$(qido q40.json "/studies/$st4/instances" >/dev/null; dw values q40.json 00080018)"
    wado w40.out "/studies/$st4" "$dicom_accept; transfer-syntax=*" >/dev/null
    check "  ... with the data sets sent, byte for byte" "^ok 2\$" "$(dw received "$work/four.csv" study_uid "$st4" w40.out.h w40.out)"
    out=$(rest -w ' http %{http_code}' -X POST "$ourl/dicom-web/servers/bastion/stow" -d "{\"Resources\": [\"$ostudy\"]}" 2>&1)
    check "Orthanc stow with a viewer's token: refused" "http [45][0-9][0-9]\$" "$out"
  else
    fail_prereq "Orthanc did not start: $(tail -5 orthanc/log)"
  fi
  kill "$orthanc_pid" 2>/dev/null
  for _ in $(seq 100); do kill -0 "$orthanc_pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$orthanc_pid" 2>/dev/null
  wait "$orthanc_pid" 2>/dev/null
fi
took "check 4" "$t"

# --- 5. Authentication ---------------------------------------------------------------------
echo "== 5. authentication"
t=$SECONDS
src=10
via=()
next_source() {  # next_source: a source address of its own (in $via) for the next failed authentication
  src=$((src + 1))
  via=(--interface "127.0.0.$src")
}
names=$(pick '*' '' patient_name | sort -u | cut -d^ -f1)
no_patient_data() {  # no_patient_data NAME FILE: none of the corpus' names, IDs or UIDs
  local leaked=""
  for s in $names "$pid1" "${studies[@]}"; do grep -Fq -- "$s" "$2" && leaked+="$s "; done
  expect "$1" "" "$leaked"
}
next_source
code=$(http a1.out "${via[@]}" "${json_accept[@]}" "$base/studies")
expect "GET /studies without credentials: 401" 401 "$code"
check "  ... WWW-Authenticate: Bearer (RFC 6750 3)" "^Bearer" "$(hdr a1.out WWW-Authenticate)"
no_patient_data "  ... no patient data in the body" a1.out
next_source
code=$(http a2.out "${via[@]}" -H "Accept: $dicom_accept" "$base/studies/$st1")
expect "GET /studies/{study} (WADO-RS) without credentials: 401" 401 "$code"
no_patient_data "  ... no patient data in the body" a2.out
next_source
expect "WADO-URI without credentials: 401" 401 "$(http a3.out "${via[@]}" "$wado_uri&contentType=application/dicom")"
next_source
expect "STOW-RS without credentials: 401" 401 "$(http a4.out "${via[@]}" -X POST -H "Content-Type: $stow_type" --data-binary @stow1.json.body "$base/studies")"
next_source
expect "a made-up bst_ token: 401" 401 "$(http a5.out "${via[@]}" -H "Authorization: Bearer bst_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" "$base/studies")"
check "  ... WWW-Authenticate: Bearer with error=\"invalid_token\" (RFC 6750 3.1)" '^Bearer.*error="?invalid_token' "$(hdr a5.out WWW-Authenticate)"
next_source
expect "a token with one character changed: 401" 401 "$(http a6.out "${via[@]}" -H "Authorization: Bearer ${viewer_tok%?}$([[ ${viewer_tok: -1} == A ]] && echo B || echo A)" "$base/studies")"
next_source
expect "Authorization: Basic (the viewer's name, a password): 401" 401 "$(http a7.out "${via[@]}" -u viewer:password "$base/studies")"
next_source
expect "Authorization: Bearer with nothing after it: 401" 401 "$(http a8.out "${via[@]}" -H "Authorization: Bearer " "$base/studies")"

now=$(date +%s)
claims() {  # claims [JSON-MEMBERS-TO-OVERRIDE]: a viewer's JWT claims, valid for 10 minutes
  $py -c '
import json, sys
c = {"iss": "https://idp.test", "aud": "bastion-dicomweb", "sub": "jwt-viewer", "roles": ["viewer"],
     "iat": int(sys.argv[1]), "nbf": int(sys.argv[1]) - 5, "exp": int(sys.argv[1]) + 600}
for k, v in json.loads(sys.argv[2]).items():
    if v is None:
        c.pop(k, None)
    else:
        c[k] = v
print(json.dumps(c, separators=(",", ":")))' "$now" "${1:-"{}"}"
}
jwt() {  # jwt ALG KEY CLAIMS [HEADER]: a compact JWS signed with openssl (or not at all: none)
  local alg=$1 key=$2 input header
  header="{\"alg\":\"$1\",\"typ\":\"JWT\"}"
  input=$(dw jwt-input "${4:-$header}" "$3")
  case $alg in
    EdDSA) printf '%s' "$input" >jws.in && openssl pkeyutl -sign -rawin -inkey "$key" -in jws.in -out jws.sig 2>/dev/null ;;
    RS256) printf '%s' "$input" | openssl dgst -sha256 -sign "$key" -out jws.sig 2>/dev/null ;;
    HS256) dw hs256 "$input" "$key" >jws.sig.txt ;;
    *) : >jws.sig ;;
  esac
  if [[ $alg == HS256 ]]; then printf '%s.%s' "$input" "$(cat jws.sig.txt)"; else printf '%s.%s' "$input" "$(dw b64url jws.sig)"; fi
}
bearer() { echo "Authorization: Bearer $1"; }
good_ed=$(jwt EdDSA jwt-ed.key "$(claims)")
expect "a valid EdDSA JWT of the configured issuer (role viewer): QIDO-RS 200" 200 "$(http j1.json -H "$(bearer "$good_ed")" "$base/studies")"
expect "  ... sees the studies" "$(http all.json "${viewer[@]}" "$base/studies" >/dev/null; dw count all.json)" "$(dw count j1.json)"
good_rsa=$(jwt RS256 jwt-rsa.key "$(claims)")
expect "a valid RS256 JWT: 200" 200 "$(http j2.json -H "$(bearer "$good_rsa")" "$base/studies")"
expect "  ... a viewer's JWT cannot STOW: 403" 403 \
  "$(http j3.json -H "$(bearer "$good_ed")" -X POST -H "Content-Type: $stow_type" --data-binary @stow1.json.body "$base/studies")"
jwt_refused() {  # jwt_refused NAME TOKEN
  local code
  next_source
  code=$(http jr.out "${via[@]}" -H "$(bearer "$2")" "$base/studies")
  expect "$1: 401" 401 "$code"
  no_patient_data "  ... no patient data" jr.out
}
jwt_refused "an expired JWT (exp an hour ago, beyond the 30 s skew)" "$(jwt EdDSA jwt-ed.key "$(claims "{\"exp\": $((now - 3600)), \"iat\": $((now - 7200)), \"nbf\": $((now - 7200))}")")"
jwt_refused "a JWT not valid before an hour from now (nbf)" "$(jwt EdDSA jwt-ed.key "$(claims "{\"nbf\": $((now + 3600))}")")"
jwt_refused "a JWT without exp" "$(jwt EdDSA jwt-ed.key "$(claims '{"exp": null}')")"
jwt_refused "a JWT for another audience" "$(jwt EdDSA jwt-ed.key "$(claims '{"aud": "someone-else"}')")"
jwt_refused "a JWT of another issuer" "$(jwt EdDSA jwt-ed.key "$(claims '{"iss": "https://evil.test"}')")"
jwt_refused "a JWT signed with another key" "$(jwt EdDSA jwt-other.key "$(claims)")"
jwt_refused "a JWT with alg none" "$(jwt none - "$(claims)")"
jwt_refused "a JWT with alg none and the valid token's signature" "$(jwt none - "$(claims)" '{"alg":"none"}')${good_ed##*.}"
jwt_refused "a JWT with alg HS256 keyed with the issuer's public key" "$(jwt HS256 "$dir/jwt/idp-rsa.pem" "$(claims)")"
tampered="${good_ed%%.*}.$($py -c 'import base64,sys; print(base64.urlsafe_b64encode(sys.argv[1].encode()).rstrip(b"=").decode())' "$(claims '{"roles": ["admin"]}')").${good_ed##*.}"
jwt_refused "a valid JWT whose claims were changed to roles [admin]" "$tampered"
jwt_refused "a JWT with an RS256 header and the EdDSA signature" "$(dw jwt-input '{"alg":"RS256","typ":"JWT"}' "$(claims)").${good_ed##*.}"

expect "the victim's token works" 200 "$(http v1.json -H "$(bearer "$victim_tok")" "$base/studies")"
check_rc "bastion token revoke $victim_id (server running)" "$bastion" token revoke --dir "$dir" "$victim_id"
code=""
next_source
for _ in $(seq 50); do
  code=$(http v2.json "${via[@]}" -H "$(bearer "$victim_tok")" "$base/studies")
  [[ $code == 401 ]] && break
  sleep 0.1
done
expect "  ... then refused within 5 s: 401" 401 "$code"

login() {  # login OUT USER PASSWORD [CURL-ARGS...]: POST /api/login; prints the status code
  local out=$1 body
  body=$($py -c 'import json,sys; print(json.dumps({"user": sys.argv[1], "password": sys.argv[2]}))' "$2" "$3")
  shift 3
  http "$out" "$@" -X POST -H "Content-Type: application/json" --data-binary "$body" "https://127.0.0.1:$hport/api/login"
}
next_source
expect "POST /api/login with a wrong password: 401" 401 "$(login l1.json locky wrong-password "${via[@]}")"
next_source
expect "POST /api/login of an unknown user: 401" 401 "$(login l2.json nobody-here wrong-password "${via[@]}")"
expect "  ... the same answer as a wrong password (no user enumeration)" "$(cat l1.json)" "$(cat l2.json)"
expect "POST /api/login as admin with the password from bastion init: 200" 200 "$(login l3.json admin "$admin_password" -c cookies.txt)"
cookie=$(grep -i '^set-cookie: *bastion_session=' l3.json.h | tr -d '\r')
check "  ... Set-Cookie bastion_session; HttpOnly" "; *HttpOnly" "$cookie"
check "  ... Secure" "; *Secure" "$cookie"
check "  ... SameSite=Strict" "; *SameSite=Strict" "$cookie"
csrf=$($py -c 'import json,sys; print(json.load(open(sys.argv[1]))["csrf_token"])' l3.json 2>/dev/null)
check "  ... a csrf_token in the JSON body" "^.{16,}\$" "$csrf"
expect "the session cookie reads: QIDO-RS 200" 200 "$(http s1.json -b cookies.txt "${json_accept[@]}" "$base/studies")"
took "check 5 (so far)" "$t"

# --- 6. Authorization ----------------------------------------------------------------------
echo "== 6. authorization"
t=$SECONDS
expect "a viewer's STOW-RS: 403" 403 "$(stow z1.json "$base/studies" "${viewer[@]}" -- "${f4[0]:-$file1}")"
expect "a viewer's DELETE /studies/{study}: 403" 403 "$(http z2.out "${viewer[@]}" -X DELETE "$base/studies/$st2")"
expect "  ... the study is still there" 4 "$(qido z3.json "/studies/$st2/instances" >/dev/null; dw count z3.json)"
expect "a modality's QIDO-RS: 403" 403 "$(http z4.out "${modality[@]}" "${json_accept[@]}" "$base/studies")"
no_patient_data "  ... no patient data" z4.out
expect "a modality's WADO-RS metadata: 403" 403 "$(http z5.out "${modality[@]}" -H 'Accept: application/dicom+json' "$base/studies/$st1/metadata")"
expect "a modality's WADO-RS instance: 403" 403 "$(http z6.out "${modality[@]}" -H "Accept: $dicom_accept" "$base/studies/$st1/series/$se1/instances/$sop1")"
expect "a modality's frames: 403" 403 "$(http z7.out "${modality[@]}" -H "Accept: $octet" "$base/studies/$st1/series/$se1/instances/$sop1/frames/1")"
expect "a modality's WADO-URI: 403" 403 "$(http z8.out "${modality[@]}" "$wado_uri&contentType=application/dicom")"
expect "a modality's DELETE: 403" 403 "$(http z9.out "${modality[@]}" -X DELETE "$base/studies/$st2")"

every=$(http all.json "${viewer[@]}" "$base/studies" >/dev/null; dw count all.json)
expect "the scoped user before its scope: every study" "$every" "$(http sc0.json "${scoped[@]}" "$base/studies" >/dev/null; dw count sc0.json)"
check_rc "bastion label add --study {study 1} research (server running)" "$bastion" label add --dir "$dir" --study "$st1" research
check_rc "bastion user scope scoped --scope label=research" "$bastion" user scope --dir "$dir" scoped --scope label=research
n=""
for _ in $(seq 50); do
  http sc1.json "${scoped[@]}" "$base/studies" >/dev/null
  n=$(dw count sc1.json)
  [[ $n == 1 ]] && break
  sleep 0.1
done
expect "  ... QIDO-RS /studies within 5 s: only the labelled study" "1 $st1" "$n $(dw values sc1.json 0020000D)"
expect "  ... /studies?StudyInstanceUID={out of scope}: none" 0 "$(http sc2.json "${scoped[@]}" "$base/studies?StudyInstanceUID=$st2" >/dev/null; dw count sc2.json)"
expect "  ... /series?StudyInstanceUID={out of scope}: none" 0 "$(http sc3.json "${scoped[@]}" "$base/series?StudyInstanceUID=$st2" >/dev/null; dw count sc3.json)"
expect "  ... /instances?PatientID={out of scope}: none" 0 \
  "$(http sc4.json "${scoped[@]}" "$base/instances?PatientID=$(pick study_uid "$st2" patient_id | head -1)" >/dev/null; dw count sc4.json)"
check "  ... /studies/{out of scope}/series: none (200 [] or 204 or 404)" "^(200 0|204 0|404 .*)\$" \
  "$(http sc5.json "${scoped[@]}" "$base/studies/$st2/series") $(dw count sc5.json)"
se2=$(pick study_uid "$st2" series_uid | head -1)
sop2=$(pick series_uid "$se2" sop_uid | head -1)
expect "  ... WADO-RS /studies/{out of scope}: 404" 404 "$(http sc6.out "${scoped[@]}" -H "Accept: $dicom_accept" "$base/studies/$st2")"
no_patient_data "  ... no patient data" sc6.out
expect "  ... metadata of the out-of-scope study: 404" 404 "$(http sc7.out "${scoped[@]}" -H 'Accept: application/dicom+json' "$base/studies/$st2/metadata")"
expect "  ... an instance of it: 404" 404 "$(http sc8.out "${scoped[@]}" -H "Accept: $dicom_accept" "$base/studies/$st2/series/$se2/instances/$sop2")"
expect "  ... its frames: 404" 404 "$(http sc9.out "${scoped[@]}" -H "Accept: $octet" "$base/studies/$st2/series/$se2/instances/$sop2/frames/1")"
expect "  ... its rendered image: 404" 404 "$(http sc10.out "${scoped[@]}" -H 'Accept: image/jpeg' "$base/studies/$st2/series/$se2/instances/$sop2/rendered")"
bulk2=$(http m9.json "${viewer[@]}" -H 'Accept: application/dicom+json' "$base/studies/$st2/metadata" >/dev/null; dw bulk m9.json "$sop2" 7FE00010 "$base")
expect "  ... its bulk data: 404" 404 "$(http sc11.out "${scoped[@]}" -H "Accept: $octet" "$bulk2")"
expect "  ... WADO-URI of it: 404" 404 "$(http sc12.out "${scoped[@]}" "https://127.0.0.1:$hport/wado?requestType=WADO&studyUID=$st2&seriesUID=$se2&objectUID=$sop2&contentType=application/dicom")"
expect "  ... the labelled study: metadata 200" 200 "$(http sc13.out "${scoped[@]}" -H 'Accept: application/dicom+json' "$base/studies/$st1/metadata")"

victim_study=$st3   # the study Orthanc stowed, if it is there
[[ -n ${st4:-} && $(qido d0.json "/studies?StudyInstanceUID=$st4" >/dev/null; dw count d0.json) == 1 ]] && victim_study=$st4
expect "the admin's DELETE by session cookie without X-CSRF-Token: 403" 403 "$(http d1.out -b cookies.txt -X DELETE "$base/studies/$victim_study")"
expect "  ... with a wrong X-CSRF-Token: 403" 403 "$(http d2.out -b cookies.txt -H "X-CSRF-Token: ${csrf}x" -X DELETE "$base/studies/$victim_study")"
expect "  ... the study is still there" 200 "$(http d3.out "${viewer[@]}" -H 'Accept: application/dicom+json' "$base/studies/$victim_study/metadata")"
check "  ... with the X-CSRF-Token from /api/login: 200 or 204" "^(200|204)\$" "$(http d4.out -b cookies.txt -H "X-CSRF-Token: $csrf" -X DELETE "$base/studies/$victim_study")"
expect "  ... then the study is gone: 404" 404 "$(http d5.out "${viewer[@]}" -H 'Accept: application/dicom+json' "$base/studies/$victim_study/metadata")"
expect "  ... and absent from QIDO-RS" 0 "$(qido d6.json "/studies?StudyInstanceUID=$victim_study" >/dev/null; dw count d6.json)"
check "an admin token's DELETE of an unknown study: 404" "^404\$" "$(http d7.out "${admin[@]}" -X DELETE "$base/studies/1.2.3.4.5.6")"
took "check 6" "$t"

# --- 5b. lockout (after the rest: it locks out 127.0.0.250 for 15 minutes) ------------------
echo "== 5b. lockout"
t=$SECONDS
codes=""
for _ in 1 2 3 4 5 6; do
  codes+="$(login lk.json locky wrong-password --interface 127.0.0.250) "
done
check "6 wrong passwords from one address: 401s, then 429 or 401 (locked)" "^401 401 401 .*(429|401) \$" "$codes"
code=$(login lk2.json locky "$user_password" --interface 127.0.0.250)
check "  ... then the right password from that address is refused too (locked): 429 or 401" "^(429|401)\$" "$code"
check_absent "  ... and no session cookie" "bastion_session" "$(cat lk2.json.h)"
echo "  (info) the right password from another address meanwhile: $(login lk3.json locky "$user_password" --interface 127.0.0.251) (per-address lockout: 200; per-account: 401/429)"
took "check 5b" "$t"

# --- 7. Hostile HTTP -----------------------------------------------------------------------
echo "== 7. hostile HTTP (each from 127.0.0.200; the server must keep serving)"
t=$SECONDS
hostile=(--interface 127.0.0.200)
raw() {  # raw NAME MODE WANT-REGEX: send raw.req over TLS (MODE all|headers); check the status line
  check "$1" "$3" "$(in_ns timeout 30 "$py" "$work/dw.py" raw 127.0.0.200 "$hport" "$ca" raw.req "$2" 2>&1)"
  alive
}
big=$(head -c 100000 /dev/zero | tr '\0' a)
repeated "a 100 kB header field: 431 or 400" "431|400" h1.out "${hostile[@]}" "${viewer[@]}" -H "X-Big: $big" "$base/studies"
alive
many=()
for i in $(seq 2000); do many+=(-H "X-Many-$i: $i"); done
check "2000 header fields: 431 or 400" "^(431|400)\$" "$(http h2.out "${hostile[@]}" "${viewer[@]}" "${many[@]}" "$base/studies")"
alive
head -c 2000000 /dev/zero | tr '\0' ' ' >bigbody.json
repeated "a 2 MB body to /api/login: 413" 413 h3.out "${hostile[@]}" -X POST -H 'Content-Type: application/json' --data-binary @bigbody.json "https://127.0.0.1:$hport/api/login"
alive
auth_line="Authorization: Bearer $mod_tok"
max_stow=$(sed -n 's/^max_stow_bytes = \([0-9]*\).*/\1/p' "$dir/bastion.toml")
printf 'POST /dicom-web/studies HTTP/1.1\r\nHost: 127.0.0.1\r\n%s\r\nContent-Type: %s\r\nContent-Length: %s\r\n\r\n' "$auth_line" "$stow_type" "$((${max_stow:-4294967296} + 1))" >raw.req
raw "STOW-RS with Content-Length: max_stow_bytes + 1 ($((${max_stow:-4294967296} + 1))), body not sent: 413 at once" headers "^HTTP/1\.[01] 413"
printf 'POST /dicom-web/studies HTTP/1.1\r\nHost: 127.0.0.1\r\n%s\r\nContent-Type: %s\r\nContent-Length: 4294967296\r\n\r\n' "$auth_line" "$stow_type" >raw.req
out=$(in_ns timeout 30 "$py" "$work/dw.py" raw 127.0.0.200 "$hport" "$ca" raw.req headers 2>&1)
echo "  (info) STOW-RS with Content-Length: 4294967296 (max_stow_bytes is ${max_stow:-unset}), body not sent: $out"
printf 'POST /dicom-web/studies HTTP/1.1\r\nHost: 127.0.0.1\r\n%s\r\nContent-Type: %s\r\nContent-Length: 99999999999999999999999\r\n\r\n' "$auth_line" "$stow_type" >raw.req
raw "STOW-RS with a Content-Length beyond 64 bits: 400 or 413" headers "^HTTP/1\.[01] (400|413)"
printf 'POST /dicom-web/studies HTTP/1.1\r\nHost: 127.0.0.1\r\n%s\r\nContent-Type: %s\r\nContent-Length: 10\r\nContent-Length: 20\r\n\r\n0123456789' "$auth_line" "$stow_type" >raw.req
raw "two different Content-Length fields: 400 (RFC 9112 6.3)" all "^HTTP/1\.[01] 400"
repeated "STOW-RS multipart/related without a boundary parameter: 400" 400 h4.out \
  "${hostile[@]}" "${modality[@]}" -X POST -H 'Content-Type: multipart/related; type="application/dicom"' --data-binary @stow1.json.body "$base/studies"
alive
code=$(http h5.out "${hostile[@]}" "${modality[@]}" -X POST -H 'Content-Type: multipart/related; type="application/dicom"; boundary=not-the-one' --data-binary @stow1.json.body "$base/studies")
expect "STOW-RS whose body never has the declared boundary: 400" 400 "$code"
alive
head -c -$((${#boundary} + 6)) stow1.json.body >truncated.body
code=$(http h6.out "${hostile[@]}" "${modality[@]}" -X POST -H "Content-Type: $stow_type" --data-binary @truncated.body "$base/studies")
expect "STOW-RS without the close delimiter: 400" 400 "$code"
alive
long=$(head -c 1000 /dev/zero | tr '\0' b)
repeated "STOW-RS with a 1000-character boundary (RFC 2046 5.1.1: at most 70): 400" 400 h7.out \
  "${hostile[@]}" "${modality[@]}" -X POST -H "Content-Type: multipart/related; type=\"application/dicom\"; boundary=$long" --data-binary @stow1.json.body "$base/studies"
alive
printf 'POST /dicom-web/studies HTTP/1.1\r\nHost: 127.0.0.1\r\n%s\r\nContent-Type: %s\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n' "$auth_line" "$stow_type" >raw.req
raw "both Content-Length and Transfer-Encoding: chunked: 400 (RFC 9112 6.1, smuggling)" all "^HTTP/1\.[01] 400"
printf 'POST /dicom-web/studies HTTP/1.1\r\nHost: 127.0.0.1\r\n%s\r\nContent-Type: %s\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n' "$auth_line" "$stow_type" >raw.req
raw "an invalid chunk size: 400" all "^HTTP/1\.[01] 400"
printf 'POST /dicom-web/studies HTTP/1.1\r\nHost: 127.0.0.1\r\n%s\r\nContent-Type: %s\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffffff\r\nhello\r\n' "$auth_line" "$stow_type" >raw.req
raw "a chunk size beyond 64 bits: 400 or 413" all "^HTTP/1\.[01] (400|413)"
printf 'POST /dicom-web/studies HTTP/1.1\r\nHost: 127.0.0.1\r\n%s\r\nContent-Type: %s\r\nTransfer-Encoding: chunked\r\n\r\n10000000000\r\nhello\r\n' "$auth_line" "$stow_type" >raw.req
raw "a 1 TiB chunk: 400 or 413 before its data" all "^HTTP/1\.[01] (400|413)"
printf 'POST /dicom-web/studies HTTP/1.1\r\nHost: 127.0.0.1\r\n%s\r\nContent-Type: %s\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n' "$auth_line" "$stow_type" >raw.req
raw "Transfer-Encoding: gzip, chunked: 400, 415 or 501 (not supported)" all "^HTTP/1\.[01] (400|415|501)"
printf 'POST /dicom-web/studies HTTP/1.1\r\nHost: 127.0.0.1\r\n%s\r\nContent-Type: %s\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n' "$auth_line" "$stow_type" >raw.req
raw "Transfer-Encoding: xchunked: 400 or 501" all "^HTTP/1\.[01] (400|501)"
printf 'GET /dicom-web/studies HTTP/1.1\r\n%s\r\n\r\n' "Authorization: Bearer $viewer_tok" >raw.req
raw "HTTP/1.1 without Host: 400 (RFC 9112 3.2)" all "^HTTP/1\.[01] 400"
printf 'GET /dicom-web/studies HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Bad: a\0b\r\n%s\r\n\r\n' "Authorization: Bearer $viewer_tok" >raw.req
raw "a NUL byte in a header field: 400" all "^HTTP/1\.[01] 400"
printf 'GET /dicom-web/studies HTTP/1.1\r\nHost: 127.0.0.1\r\n X-Folded: continued\r\n%s\r\n\r\n' "Authorization: Bearer $viewer_tok" >raw.req
raw "obsolete line folding: rejected (400) or unfolded (RFC 9112 5.2)" all "^HTTP/1\.[01] (400|200)"
$py -c 'print("{\"user\":" + "[" * 100000 + "]" * 100000 + ",\"password\":\"x\"}")' >bomb.json
check "a JSON nesting bomb (100,000 levels) to /api/login: 400 or 413" "^(400|413)\$" \
  "$(http h8.out "${hostile[@]}" -X POST -H 'Content-Type: application/json' --data-binary @bomb.json "https://127.0.0.1:$hport/api/login")"
alive
check "a login body that is not JSON: 400" "^400\$" \
  "$(http h9.out "${hostile[@]}" -X POST -H 'Content-Type: application/json' --data-binary '{"user":' "https://127.0.0.1:$hport/api/login")"
alive
for path in "/dicom-web/../../etc/passwd" "/dicom-web/%2e%2e/%2e%2e/etc/passwd" "/dicom-web/studies/..%2f..%2f..%2fetc%2fpasswd" \
  "/dicom-web/studies/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd" "/../../../../etc/passwd" "/dicom-web/studies/..%5c..%5cetc%5cpasswd" \
  "/dicom-web/studies/%252e%252e/%252e%252e/etc/passwd" "/dicom-web/studies/$st1/series/..%00/etc/passwd" "/wado/../../etc/passwd"; do
  code=$(http tr.out "${hostile[@]}" "${viewer[@]}" --path-as-is "https://127.0.0.1:$hport$path")
  check "GET $path: 400 or 404" "^(400|404)\$" "$code"
  expect "  ... no /etc/passwd in the answer" 0 "$(grep -ac 'root:' tr.out)"
done
alive
out=$(in_ns curl -sS --noproxy '*' --max-time 10 -o plain.out -w '%{http_code}' "http://127.0.0.1:$hport/dicom-web/studies" 2>&1)
check "plain HTTP to the HTTPS port: no HTTP answer, or 400" "^(000|400)|Empty reply|reset|closed" "$out"
check_absent "  ... and no data" "$st1" "$(cat plain.out 2>/dev/null)"
alive
for m in "PUT /studies" "PATCH /studies/$st1" "DELETE /studies" "POST /studies/$st1/metadata" "PUT /studies/$st1/series/$se1/instances/$sop1"; do
  method=${m%% *}
  path=${m#* }
  code=$(http mt.out "${hostile[@]}" "${admin[@]}" -X "$method" "$base$path")
  name=${path//$st1/\{study\}}
  name=${name//$se1/\{series\}}
  name=${name//$sop1/\{sop\}}
  expect "$method $name: 405" 405 "$code"
  check "  ... with an Allow header (RFC 9110 15.5.6)" "^[A-Z]" "$(hdr mt.out Allow)"
done
check "TRACE /dicom-web/studies: 405 or 501, nothing echoed" "^(405|501) no\$" \
  "$(http tc.out "${hostile[@]}" "${admin[@]}" -X TRACE -H 'X-Echo-Me: secret' "$base/studies") $(grep -q 'X-Echo-Me' tc.out && echo echoed || echo no)"
alive
took "check 7" "$t"

# --- end ----------------------------------------------------------------------------------
if kill -0 "$serve_pid" 2>/dev/null; then out=running; else out=$(tail -5 serve.err); fi
check "bastion serve is still running after all this" "^running\$" "$out"
for event in instances-stored authentication-failed study-deleted; do
  check "audit: $event recorded" "\"event\":\"$event\"" "$(grep -F "\"event\":\"$event\"" "$dir/audit/audit.log" | tail -1)"
done
check_audit_messages "the session's audit trail as DICOM audit messages, valid against PS3.15 A.5.1" "$bastion" "$dir"
finish
