#!/usr/bin/python3
"""Markdown tables from the raw CSV that run_all.sh writes.

  /usr/bin/python3 report.py RESULTS.csv ROUNDS

A measurement counts only if every storescu exited 0 and the server then held every instance
sent; the others are listed as failures and left out of medians.
"""
import csv
import os
import statistics
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from report_lib import fmt, num, ratio  # noqa: E402

SERVERS = [("bastion-plain", "Bastion plaintext"), ("orthanc", "Orthanc plaintext"),
           ("storescp", "storescp plaintext"), ("bastion-tls", "Bastion TLS")]
COLS = [("ct", "1"), ("ct", "4"), ("tiny", "1"), ("tiny", "4")]
MIB = 1024  # KiB


def valid(r):
    if r["clients_ok"] != "1" or num(r["seconds"]) is None:
        return False
    return r["kind"] == "ceiling" or r["stored"] == r["files"] or (r["kind"] == "big" and r["stored"] == "2")


def main():
    rows = list(csv.DictReader(open(sys.argv[1])))
    rounds = sys.argv[2]
    groups = {}
    for r in rows:
        groups.setdefault((r["kind"], r["server"], r["workload"], r["conc"]), []).append(r)

    def values(kind, server, wl, conc, field):
        return [num(r[field]) for r in groups.get((kind, server, wl, conc), []) if valid(r) and num(r[field]) is not None]

    def med(kind, server, wl, conc, field):
        v = values(kind, server, wl, conc, field)
        return statistics.median(v) if v else None

    def cell(kind, server, wl, conc, field, scale=1.0):
        v = [x / scale for x in values(kind, server, wl, conc, field)]
        all_ = groups.get((kind, server, wl, conc), [])
        if not all_:
            return "-"
        if not v:
            return "failed"
        s = f"{fmt(statistics.median(v))} [{fmt(min(v))}-{fmt(max(v))}]"
        if len(v) < len(all_):
            s += f" ({len(all_) - len(v)} failed)"
        return s

    present = [(k, label) for k, label in SERVERS if any(key[1] == k for key in groups)]
    head = " | ".join(f"{wl.upper() if wl == 'ct' else wl} x{c}" for wl, c in COLS)
    for field, title in (("inst_per_s", "instances/s"), ("mb_per_s", "MB/s (1 MB = 10^6 bytes)")):
        print(f"## C-STORE throughput, {title}")
        print()
        if field == "inst_per_s":
            print(f"Medians of {rounds} rounds, min-max in brackets. storescu as the client everywhere; x1: one")
            print("association with the whole list; x4: the list split into 4 contiguous parts, 4 storescu")
            print("processes started together, time from the first start to the last end. Fresh empty store")
            print("per measurement. fsync ceiling: the same files written by 1 (x1) or 4 (x4) processes,")
            print("one write + fsync per file, no network, no DICOM (files/s in the instances/s table).")
            print()
        print(f"| server | {head} |")
        print("|---|" + "---|" * len(COLS))
        for k, label in present:
            print(f"| {label} | " + " | ".join(cell("store", k, wl, c, field) for wl, c in COLS) + " |")
        print("| fsync-per-file ceiling | " + " | ".join(cell("ceiling", "fsync-ceiling", wl, c, field) for wl, c in COLS) + " |")
        print()

    print("## Ratios of median instances/s")
    print()
    print(f"| ratio | {head} |")
    print("|---|" + "---|" * len(COLS))
    pairs = [("bastion-plain", "orthanc", "Bastion plaintext / Orthanc plaintext"),
             ("bastion-plain", "storescp", "Bastion plaintext / storescp plaintext"),
             ("bastion-plain", "ceiling", "Bastion plaintext / fsync ceiling"),
             ("bastion-tls", "bastion-plain", "Bastion TLS / Bastion plaintext"),
             ("bastion-tls", "orthanc", "Bastion TLS / Orthanc plaintext (not like with like)"),
             ("bastion-tls", "ceiling", "Bastion TLS / fsync ceiling"),
             ("orthanc", "ceiling", "Orthanc / fsync ceiling"),
             ("storescp", "ceiling", "storescp (no fsync) / fsync ceiling")]

    def m(server, wl, c):
        if server == "ceiling":
            return med("ceiling", "fsync-ceiling", wl, c, "inst_per_s")
        return med("store", server, wl, c, "inst_per_s")

    for a, b, label in pairs:
        if a != "ceiling" and not any(key[1] == a for key in groups):
            continue
        if b != "ceiling" and not any(key[1] == b for key in groups):
            continue
        print(f"| {label} | " + " | ".join(ratio(m(a, wl, c), m(b, wl, c), suffix="") for wl, c in COLS) + " |")
    print()

    print("## Peak resident memory (VmHWM of the server process, MiB)")
    print()
    print("Each measurement has its own freshly started server. Once it answered C-ECHO, its VmHWM was")
    print("read (start-up peak) and reset to the current VmRSS (`echo 5 > /proc/PID/clear_refs`); VmHWM")
    print("read right after the last storescu ended is the peak during the stores. storescp is left")
    print("out: with --fork each association is handled by a child process.")
    print()
    mem_servers = [(k, label) for k, label in present if k != "storescp"]
    print(f"| server | {head} |")
    print("|---|" + "---|" * len(COLS))
    for k, label in mem_servers:
        print(f"| {label}, peak during the stores | " + " | ".join(cell("store", k, wl, c, "vmhwm_kib", MIB) for wl, c in COLS) + " |")
    for k, label in mem_servers:
        print(f"| {label}, start-up peak (before the reset) | " + " | ".join(cell("store", k, wl, c, "hwm_before_reset_kib", MIB) for wl, c in COLS) + " |")
    print()

    big = [r for r in rows if r["kind"] == "big"]
    if big:
        print("## One large instance")
        print()
        print("Fresh server, one CT instance stored first (warm-up), then the large instance with one storescu")
        print("over plaintext. VmRSS in MiB: idle after start, before the large store (after the warm-up), peak")
        print("of samples every 100 ms during it, 2 s after it; VmHWM (reset just before the large store) read")
        print("after it; growth = max(peak sample, VmHWM after) - VmRSS before.")
        print()
        print("| server | size (MB) | seconds | MB/s | stored | VmRSS idle | before | peak sampled | VmHWM after | after | growth |")
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        for r in big:
            label = dict(SERVERS).get(r["server"], r["server"])
            kib = {f: num(r[f]) for f in ("rss_idle_kib", "rss_before_kib", "rss_peak_kib", "vmhwm_kib", "rss_after_kib")}
            mib = {f: (f"{v / MIB:,.0f}" if v is not None else "n/a") for f, v in kib.items()}
            growth = None
            if valid(r) and kib["rss_before_kib"] is not None and (kib["rss_peak_kib"] or kib["vmhwm_kib"]):
                growth = max(kib["rss_peak_kib"] or 0, kib["vmhwm_kib"] or 0) - kib["rss_before_kib"]
            status = "yes" if valid(r) else f"no ({r['stored']} of 2 held, clients_ok={r['clients_ok']})"
            print(f"| {label} | {int(r['bytes']) / 1e6:,.0f} | {r['seconds']} | {r['mb_per_s']} | {status} | "
                  f"{mib['rss_idle_kib']} | {mib['rss_before_kib']} | {mib['rss_peak_kib']} | {mib['vmhwm_kib']} | "
                  f"{mib['rss_after_kib']} | {'n/a' if growth is None else f'{growth / MIB:,.1f}'} |")
        print()

    if any(key[1] == "bastion-plain" for key in groups):
        print("## Targets")
        print()
        print("| target | measured | met |")
        print("|---|---|---|")

        def target(label, value, ok, shown):
            print(f"| {label} | {shown} | {'n/a' if value is None else ('yes' if ok else 'no')} |")

        for wl, c, need in (("ct", "1", 2.5), ("ct", "4", 2.5), ("tiny", "4", 1.5)):
            a, b = m("bastion-plain", wl, c), m("orthanc", wl, c)
            v = a / b if a and b else None
            target(f"Bastion >= {need}x Orthanc instances/s, {wl.upper() if wl == 'ct' else wl} x{c}", v,
                   v is not None and v >= need, "n/a" if v is None else f"{v:.2f}x ({fmt(a)} vs {fmt(b)})")
        for c in ("1", "4"):
            a, b = m("bastion-plain", "ct", c), m("ceiling", "ct", c)
            v = a / b if a and b else None
            target(f"Bastion CT x{c} within 25% of the fsync ceiling ({c} writer{'s' if c == '4' else ''})", v,
                   v is not None and v >= 0.75, "n/a" if v is None else f"{v:.2f} of it ({fmt(a)} vs {fmt(b)} files/s)")
        for k, label in (("bastion-plain", "plaintext"), ("bastion-tls", "TLS")):
            a, b = med("store", k, "ct", "4", "vmhwm_kib"), med("store", "orthanc", "ct", "4", "vmhwm_kib")
            v = a / b if a and b else None
            a0 = med("store", k, "ct", "4", "hwm_before_reset_kib")
            b0 = med("store", "orthanc", "ct", "4", "hwm_before_reset_kib")
            extra = f"; start-up peaks {a0 / MIB:,.0f} vs {b0 / MIB:,.0f} MiB" if a0 and b0 else ""
            target(f"Bastion {label} peak RSS below Orthanc's, CT x4", v, v is not None and a < b,
                   "n/a" if v is None else f"{a / MIB:,.0f} MiB vs {b / MIB:,.0f} MiB during the stores{extra}")
        for r in big:
            if r["server"] != "bastion-plain":
                continue
            before, peak, hwm = num(r["rss_before_kib"]), num(r["rss_peak_kib"]), num(r["vmhwm_kib"])
            g = max(peak or 0, hwm or 0) - before if before is not None and (peak or hwm) else None
            if not valid(r):
                g = None
            target(f"{int(r['bytes']) / 1e6:,.0f} MB instance raises Bastion's RSS by < 64 MiB", g,
                   g is not None and g < 64 * MIB, "n/a (store failed)" if g is None else f"{g / MIB:,.1f} MiB")
        print()

    bad = [r for r in rows if not valid(r)]
    if bad:
        print("## Failed measurements (left out of the medians)")
        print()
        print("| kind | round | server | workload | x | seconds | held / sent | clients ok |")
        print("|---|---|---|---|---|---|---|---|")
        for r in bad:
            sent = "2 (with the warm-up)" if r["kind"] == "big" else r["files"]
            print(f"| {r['kind']} | {r['rep']} | {r['server']} | {r['workload']} | {r['conc']} | {r['seconds']} | "
                  f"{r['stored']} / {sent} | {r['clients_ok']} |")
        print()


if __name__ == "__main__":
    main()
