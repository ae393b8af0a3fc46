#!/usr/bin/python3
"""DICOMweb (PS3.18) benchmark client: the same requests, timed the same way, for any server.

  dwclient.py --base URL [--ca PEM] (--bearer TOKEN | --basic USER:PASSWORD) [--label NAME] COMMAND ...

  qido     --query NAME=KEY=VALUE ... [--iterations 200] [--warmup 5] [--expect NAME=COUNT ...]
           [--max-seconds 300] [--literal]
           GET BASE/studies?KEY=VALUE (values percent-encoded unless --literal) on ONE keep-alive
           connection; a CSV row per query with the median, p95, min and max of the timed requests
           (send to last body byte; at most --max-seconds per query, the row's iterations say how
           many) and the number of matches (JSON array length, checked against --expect).
  metadata --study UID --series UID [--iterations 20] [--expect COUNT]
           GET BASE/studies/S/series/SE/metadata: the first request on a fresh connection (reported
           as "cold": run_all.sh calls it right after the server starts, its store evicted from the
           page cache) then ITERATIONS more on the same connection ("warm").
  frames   --instances CSV [--clients 16] [--seconds 20] [--frame-bytes N] [--seed S]
           CLIENTS processes, each with its own keep-alive connection, GET
           .../instances/I/frames/1 of instances drawn at random (seeded, so both servers get the
           same sequence) from CSV (study,series,sop per line) until SECONDS have passed; counts
           frames whose single part holds exactly --frame-bytes bytes, and every byte received.
  stow     --files LIST [--clients 4] [--batch 50]
           POST BASE/studies, multipart/related; type="application/dicom", BATCH files per body; the
           bodies are dealt round-robin to CLIENTS processes, built in memory before the clock
           starts, sent on one keep-alive connection per client. Instances/s and MB/s (DICOM file
           bytes) over the wall time from the common start to the last response; instances
           counted from each response's ReferencedSOPSequence (0008,1199) and FailedSOPSequence
           (0008,1198).
  count    --study UID ... : instances held per study, from QIDO-RS
           GET BASE/studies?StudyInstanceUID=S&includefield=00201208 (Number of Study Related
           Instances); prints one number, the sum.

Every command prints CSV on stdout (header first) and diagnostics on stderr; exit status 0 means
every request answered 2xx with the expected content. Python standard library only (http.client,
ssl, multiprocessing): no third-party HTTP stack whose own speed would differ between servers.
HTTP/1.1 with keep-alive; a connection the server closes is reopened and counted ("reconnects").
No Accept-Encoding is sent, so neither server compresses.
"""
import argparse
import base64
import http.client
import json
import multiprocessing
import os
import random
import socket
import ssl
import statistics
import sys
import time
import urllib.parse
import uuid


def pct(values, q):
    """Nearest-rank percentile of a non-empty list."""
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(round(q / 100.0 * len(s) + 0.5)) - 1))
    return s[k]


class Client:
    """One HTTP/1.1 keep-alive connection to BASE with the benchmark's credentials."""

    def __init__(self, a):
        u = urllib.parse.urlsplit(a.base)
        self.https = u.scheme == "https"
        self.host = u.hostname
        self.port = u.port or (443 if self.https else 80)
        self.root = u.path.rstrip("/")
        self.ctx = None
        if self.https:
            self.ctx = ssl.create_default_context(cafile=a.ca) if a.ca else ssl.create_default_context()
        self.auth = {}
        if a.bearer:
            self.auth["Authorization"] = "Bearer " + a.bearer
        elif a.basic:
            self.auth["Authorization"] = "Basic " + base64.b64encode(a.basic.encode()).decode()
        self.conn = None
        self.reconnects = -1  # the first connection is not a reconnect
        self.tls_version = ""

    def _connect(self):
        if self.conn is not None:
            self.conn.close()
        if self.https:
            self.conn = http.client.HTTPSConnection(self.host, self.port, context=self.ctx, timeout=300)
        else:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=300)
        self.conn.connect()
        # Same socket option on both transports: requests are written in one go anyway.
        self.conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.https:
            self.tls_version = self.conn.sock.version() or ""
        self.reconnects += 1

    def request(self, method, path, headers=None, body=None):
        """Returns (status, headers as a dict with lower-case names, body bytes)."""
        h = dict(self.auth)
        if headers:
            h.update(headers)
        for attempt in (0, 1):
            if self.conn is None or self.conn.sock is None:
                self._connect()
            try:
                self.conn.request(method, self.root + path, body=body, headers=h)
                r = self.conn.getresponse()
                data = r.read()
                hdrs = {k.lower(): v for k, v in r.getheaders()}
                if r.will_close:
                    self.conn.close()
                return r.status, hdrs, data
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError,
                    http.client.CannotSendRequest, http.client.BadStatusLine):
                # The server closed an idle keep-alive connection between two requests: retry once.
                self.conn.close()
                self.conn = None
                if attempt == 1:
                    raise
        raise RuntimeError("unreachable")


def boundary_of(content_type):
    for p in content_type.split(";")[1:]:
        k, _, v = p.strip().partition("=")
        if k.strip().lower() == "boundary":
            return v.strip().strip('"')
    return None


def multipart_payloads(content_type, body):
    """Payload lengths of a multipart/related body (RFC 2046); None if it does not parse."""
    b = boundary_of(content_type)
    if not b:
        return None
    delim = b"--" + b.encode()
    pos = body.find(delim)
    if pos < 0:
        return None
    sizes = []
    while True:
        pos += len(delim)
        if body[pos:pos + 2] == b"--":
            return sizes
        head_end = body.find(b"\r\n\r\n", pos)
        if head_end < 0:
            return None
        start = head_end + 4
        nxt = body.find(b"\r\n" + delim, start)
        if nxt < 0:
            return None
        sizes.append(nxt - start)
        pos = nxt + 2


COLUMNS = ["kind", "server", "round", "name", "detail", "clients", "iterations", "expected", "matches",
           "median_ms", "p95_ms", "min_ms", "max_ms", "count", "bad", "bytes", "seconds", "rate", "mb_per_s",
           "reconnects", "tls", "status", "load1", "server_cpu_s"]


def header():
    print(",".join(COLUMNS))


def row(a, **kw):
    """One CSV row in the shared column order (run_all.sh concatenates every command's rows)."""
    kw.setdefault("server", a.label)
    kw.setdefault("round", a.round)
    kw.setdefault("load1", LOAD1)
    bad = set(kw) - set(COLUMNS)
    assert not bad, bad
    print(",".join("" if kw.get(c) is None else str(kw[c]).replace(",", ";") for c in COLUMNS))
    sys.stdout.flush()


def ms(x):
    return None if x is None else f"{x:.3f}"


with open("/proc/loadavg") as _f:
    LOAD1 = _f.read().split()[0]  # before the command's own load


# --- QIDO-RS ----------------------------------------------------------------------------------
def encode_query(qs, literal):
    """KEY=VALUE&... with each value percent-encoded (RFC 3986; '*' and ',' kept as they are, as
    PS3.18 8.3.4.1 writes them), or sent as given with --literal (only for a server that does not
    percent-decode query values: Orthanc 1.10 finds nothing for PatientName=A%5EB*)."""
    if literal:
        return qs
    out = []
    for kv in qs.split("&"):
        k, _, v = kv.partition("=")
        out.append(urllib.parse.quote(k, safe="") + "=" + urllib.parse.quote(v, safe="*,-."))
    return "&".join(out)


def cmd_qido(a):
    c = Client(a)
    expect = dict(e.split("=", 1) for e in a.expect)
    header()
    ok_all = True
    for q in a.query:
        name, qs = q.split("=", 1)
        path = "/studies?" + encode_query(qs, a.literal)
        status = "ok"
        times = []
        matches = None
        t_end = time.time() + a.max_seconds
        for i in range(a.warmup + a.iterations):
            if i > a.warmup and time.time() > t_end:
                print(f"qido {name}: stopped after {i - a.warmup} timed requests (--max-seconds {a.max_seconds})",
                      file=sys.stderr)
                break
            t0 = time.perf_counter()
            st, hdrs, data = c.request("GET", path, {"Accept": "application/dicom+json"})
            dt = (time.perf_counter() - t0) * 1000.0
            if st not in (200, 204):
                status = f"http_{st}"
                print(f"qido {name}: HTTP {st}: {data[:300]!r}", file=sys.stderr)
                break
            n = len(json.loads(data)) if st == 200 and data else 0
            if matches is None:
                matches = n
            elif n != matches:
                status = "unstable_match_count"
            if i >= a.warmup:
                times.append(dt)
        exp = expect.get(name, "")
        if status == "ok" and exp != "" and str(matches) != exp:
            status = "wrong_match_count"
        ok_all &= status == "ok"
        row(a, kind="qido", name=name, detail=qs, clients=1, iterations=len(times), expected=exp, matches=matches,
            median_ms=ms(statistics.median(times)) if times else None, p95_ms=ms(pct(times, 95)) if times else None,
            min_ms=ms(min(times)) if times else None, max_ms=ms(max(times)) if times else None,
            reconnects=c.reconnects, tls=c.tls_version, status=status)
    return 0 if ok_all else 1


# --- WADO-RS metadata -------------------------------------------------------------------------
def cmd_metadata(a):
    c = Client(a)
    path = f"/studies/{a.study}/series/{a.series}/metadata"
    header()
    status = "ok"
    times = []
    nbytes = None
    first = None
    n = None
    for i in range(1 + a.iterations):
        t0 = time.perf_counter()
        st, hdrs, data = c.request("GET", path, {"Accept": "application/dicom+json"})
        dt = (time.perf_counter() - t0) * 1000.0
        if st != 200:
            status = f"http_{st}"
            print(f"metadata: HTTP {st}: {data[:300]!r}", file=sys.stderr)
            break
        if i == 0:
            first = dt
            n = len(json.loads(data))  # parsed once, after the cold request's clock stopped
            nbytes = len(data)
            if a.expect and n != a.expect:
                status = "wrong_instance_count"
        else:
            times.append(dt)
    row(a, kind="metadata", name="cold", detail="first request (new connection)", clients=1,
        iterations=1 if first is not None else 0, expected=a.expect, matches=n, median_ms=ms(first),
        p95_ms=ms(first), min_ms=ms(first), max_ms=ms(first), bytes=nbytes, tls=c.tls_version, status=status)
    row(a, kind="metadata", name="warm", detail="same connection", clients=1, iterations=len(times),
        expected=a.expect, matches=n, median_ms=ms(statistics.median(times)) if times else None,
        p95_ms=ms(pct(times, 95)) if times else None, min_ms=ms(min(times)) if times else None,
        max_ms=ms(max(times)) if times else None, bytes=nbytes, reconnects=c.reconnects, tls=c.tls_version,
        status=status)
    return 0 if status == "ok" else 1


# --- WADO-RS frames ---------------------------------------------------------------------------
def frames_worker(a, idx, instances, barrier, start_at, out):
    c = Client(a)
    rnd = random.Random(f"{a.seed}-{idx}")
    hdr = {"Accept": 'multipart/related; type="application/octet-stream"'}
    frames = nbytes = bad = 0
    lat = []
    err = ""
    try:
        s, se, i = instances[rnd.randrange(len(instances))]
        c.request("GET", f"/studies/{s}/series/{se}/instances/{i}/frames/1", hdr)  # connect + warm
    except Exception as e:  # noqa: BLE001 - reported, not hidden
        err = repr(e)
    barrier.wait()  # every client connected
    barrier.wait()  # start_at set
    t_start = start_at.value
    deadline = t_start + a.seconds
    last = t_start
    while not err and time.time() < deadline:
        s, se, i = instances[rnd.randrange(len(instances))]
        t0 = time.perf_counter()
        try:
            st, hdrs, data = c.request("GET", f"/studies/{s}/series/{se}/instances/{i}/frames/1", hdr)
        except Exception as e:  # noqa: BLE001
            err = repr(e)
            break
        lat.append((time.perf_counter() - t0) * 1000.0)
        last = time.time()
        nbytes += len(data)
        sizes = multipart_payloads(hdrs.get("content-type", ""), data) if st == 200 else None
        if sizes is not None and len(sizes) == 1 and (a.frame_bytes == 0 or sizes[0] == a.frame_bytes):
            frames += 1
        else:
            bad += 1
            if bad <= 3:
                print(f"frames client {idx}: HTTP {st} {hdrs.get('content-type')} parts {sizes} {data[:200]!r}",
                      file=sys.stderr)
    out.put((idx, frames, bad, nbytes, last, lat, c.reconnects, err, c.tls_version))


def cmd_frames(a):
    instances = []
    with open(a.instances) as f:
        for line in f:
            p = line.strip().split(",")
            if len(p) == 3:
                instances.append(tuple(p))
    barrier = multiprocessing.Barrier(a.clients + 1)
    start_at = multiprocessing.Value("d", 0.0)
    out = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=frames_worker, args=(a, k, instances, barrier, start_at, out))
             for k in range(a.clients)]
    for p in procs:
        p.start()
    barrier.wait(timeout=120)
    start_at.value = time.time()
    barrier.wait(timeout=120)
    res = [out.get(timeout=a.seconds + 600) for _ in procs]
    for p in procs:
        p.join()
    frames = sum(r[1] for r in res)
    bad = sum(r[2] for r in res)
    nbytes = sum(r[3] for r in res)
    end = max(r[4] for r in res)
    lat = [x for r in res for x in r[5]]
    errs = [r[7] for r in res if r[7]]
    secs = max(end - start_at.value, 1e-9)
    status = "ok" if not bad and not errs else ("errors" if errs else "bad_frames")
    for e in errs[:3]:
        print("frames: " + e, file=sys.stderr)
    header()
    row(a, kind="frames", name="frames/1", detail=f"{len(instances)} instances; random", clients=a.clients,
        iterations=len(lat), expected=a.frame_bytes, median_ms=ms(statistics.median(lat)) if lat else None,
        p95_ms=ms(pct(lat, 95)) if lat else None, min_ms=ms(min(lat)) if lat else None,
        max_ms=ms(max(lat)) if lat else None, count=frames, bad=bad, bytes=nbytes, seconds=f"{secs:.3f}",
        rate=f"{frames / secs:.1f}", mb_per_s=f"{nbytes / secs / 1e6:.1f}", reconnects=sum(r[6] for r in res),
        tls=res[0][8], status=status)
    return 0 if status == "ok" else 1


# --- STOW-RS ----------------------------------------------------------------------------------
def stow_body(files):
    boundary = "dwbench-" + uuid.uuid4().hex
    parts = []
    for path in files:
        with open(path, "rb") as f:
            parts.append(b"--" + boundary.encode() + b"\r\nContent-Type: application/dicom\r\n\r\n" + f.read() + b"\r\n")
    parts.append(b"--" + boundary.encode() + b"--\r\n")
    return boundary, b"".join(parts)


def sop_counts(data):
    """(referenced, failed) item counts of a STOW-RS response (PS3.18 10.5.3, JSON)."""
    try:
        j = json.loads(data) if data else {}
    except ValueError:
        return None, None
    if isinstance(j, list):
        j = j[0] if j else {}

    def n(tag):
        v = j.get(tag, {}).get("Value")
        return len(v) if isinstance(v, list) else 0

    return n("00081199"), n("00081198")


def stow_worker(a, idx, batches, barrier, out):
    c = Client(a)
    bodies = [stow_body(b) for b in batches]  # built before the clock starts
    file_bytes = sum(os.path.getsize(p) for b in batches for p in b)
    err = ""
    try:
        c._connect()  # TCP and TLS handshakes before the clock starts (no request: STOW-only roles)
    except Exception as e:  # noqa: BLE001
        err = repr(e)
    barrier.wait()
    stored = failed = 0
    statuses = []
    lat = []
    last = time.time()
    for (boundary, body), files in zip(bodies, batches):
        if err:
            break
        ct = f'multipart/related; type="application/dicom"; boundary={boundary}'
        t0 = time.perf_counter()
        try:
            st, hdrs, data = c.request("POST", "/studies", {"Content-Type": ct, "Accept": "application/dicom+json"}, body)
        except Exception as e:  # noqa: BLE001
            err = repr(e)
            break
        lat.append((time.perf_counter() - t0) * 1000.0)
        last = time.time()
        statuses.append(st)
        ref, fail = sop_counts(data)
        if st not in (200, 202) or ref is None:
            print(f"stow client {idx}: HTTP {st}: {data[:300]!r}", file=sys.stderr)
        stored += ref or 0
        failed += fail or 0
        if fail:
            print(f"stow client {idx}: HTTP {st}, {fail} failed: {data[:400]!r}", file=sys.stderr)
    out.put((idx, stored, failed, file_bytes, last, lat, statuses, err, c.tls_version))


def cmd_stow(a):
    with open(a.files) as f:
        files = [line.strip() for line in f if line.strip()]
    batches = [files[k:k + a.batch] for k in range(0, len(files), a.batch)]
    per = [batches[k::a.clients] for k in range(a.clients)]
    barrier = multiprocessing.Barrier(a.clients + 1)
    out = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=stow_worker, args=(a, k, per[k], barrier, out)) for k in range(a.clients)]
    for p in procs:
        p.start()
    barrier.wait(timeout=600)
    t0 = time.time()
    cpu0 = process_cpu_seconds(a.server_pid)
    res = [out.get(timeout=3600) for _ in procs]
    cpu1 = process_cpu_seconds(a.server_pid)
    for p in procs:
        p.join()
    stored = sum(r[1] for r in res)
    failed = sum(r[2] for r in res)
    nbytes = sum(r[3] for r in res)
    end = max(r[4] for r in res)
    lat = [x for r in res for x in r[5]]
    statuses = sorted({s for r in res for s in r[6]})
    errs = [r[7] for r in res if r[7]]
    tls = res[0][8]
    for e in errs[:3]:
        print("stow: " + e, file=sys.stderr)
    secs = max(end - t0, 1e-9)
    status = "ok" if stored == len(files) and not failed and not errs else "incomplete"
    header()
    row(a, kind="stow", name=f"batch{a.batch}", detail="HTTP " + "/".join(map(str, statuses)), clients=a.clients,
        iterations=len(lat), expected=len(files), matches=stored,
        median_ms=ms(statistics.median(lat)) if lat else None, p95_ms=ms(pct(lat, 95)) if lat else None,
        min_ms=ms(min(lat)) if lat else None, max_ms=ms(max(lat)) if lat else None, count=stored, bad=failed,
        bytes=nbytes, seconds=f"{secs:.3f}", rate=f"{stored / secs:.1f}", mb_per_s=f"{nbytes / secs / 1e6:.1f}",
        tls=tls, status=status, server_cpu_s=f"{cpu1 - cpu0:.2f}" if cpu0 is not None and cpu1 is not None else None)
    return 0 if status == "ok" else 1


def process_cpu_seconds(pid):
    """User plus system CPU time of process `pid` (all its threads) so far, or None."""
    if not pid:
        return None
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


# --- count ------------------------------------------------------------------------------------
def cmd_count(a):
    c = Client(a)
    total = 0
    for s in a.study:
        st, hdrs, data = c.request("GET", f"/studies?StudyInstanceUID={s}&includefield=00201208",
                                   {"Accept": "application/dicom+json"})
        if st == 204 or (st == 200 and not json.loads(data or b"[]")):
            continue
        if st != 200:
            print(f"count {s}: HTTP {st}: {data[:300]!r}", file=sys.stderr)
            return 1
        v = json.loads(data)[0].get("00201208", {}).get("Value", [0])[0]
        total += int(v)
    print(total)
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", required=True, help="DICOMweb root, e.g. https://127.0.0.1:8443/dicom-web")
    ap.add_argument("--ca", help="PEM file of the CA that signed the server's certificate")
    ap.add_argument("--bearer")
    ap.add_argument("--basic", help="USER:PASSWORD")
    ap.add_argument("--label", default="", help="the server column of the CSV")
    ap.add_argument("--round", default="1", help="the round column of the CSV")
    sub = ap.add_subparsers(dest="cmd", required=True)
    q = sub.add_parser("qido")
    q.add_argument("--query", action="append", required=True, help="NAME=KEY=VALUE[&KEY=VALUE...], not encoded")
    q.add_argument("--literal", action="store_true", help="send the values without percent-encoding them")
    q.add_argument("--expect", action="append", default=[], help="NAME=COUNT")
    q.add_argument("--iterations", type=int, default=200)
    q.add_argument("--warmup", type=int, default=5)
    q.add_argument("--max-seconds", type=float, default=300,
                   help="stop a query's timed loop after this long (the row gives the count)")
    m = sub.add_parser("metadata")
    m.add_argument("--study", required=True)
    m.add_argument("--series", required=True)
    m.add_argument("--iterations", type=int, default=20)
    m.add_argument("--expect", type=int, default=0)
    f = sub.add_parser("frames")
    f.add_argument("--instances", required=True)
    f.add_argument("--clients", type=int, default=16)
    f.add_argument("--seconds", type=float, default=20)
    f.add_argument("--frame-bytes", type=int, default=0)
    f.add_argument("--seed", default="frames")
    s = sub.add_parser("stow")
    s.add_argument("--files", required=True)
    s.add_argument("--clients", type=int, default=4)
    s.add_argument("--batch", type=int, default=50)
    s.add_argument("--server-pid", type=int, default=0, help="report this process's CPU time while it stores")
    c = sub.add_parser("count")
    c.add_argument("--study", action="append", required=True)
    a = ap.parse_args()
    return {"qido": cmd_qido, "metadata": cmd_metadata, "frames": cmd_frames, "stow": cmd_stow,
            "count": cmd_count}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
