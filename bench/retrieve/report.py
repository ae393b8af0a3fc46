#!/usr/bin/python3
"""Markdown tables from the raw CSV that run_all.sh writes.

  /usr/bin/python3 report.py RESULTS.csv

A C-FIND figure counts only if every request ended with status 0x0000 and returned the expected
number of matches; a retrieve figure only if the receiver got every instance. Others are shown
with their status.
"""
import csv
import os
import statistics
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from report_lib import fmt, num, ratio  # noqa: E402


def main():
    rows = list(csv.DictReader(open(sys.argv[1])))
    find = {(r["server"], r["size"], r["transport"], r["name"]): r for r in rows if r["kind"] == "find"}
    names = [("exact_id", "exact PatientID"), ("name_prefix", "PatientName prefix wildcard"),
             ("date_range", "StudyDate range (~1%)")]
    sizes = sorted({r["size"] for r in rows if r["kind"] == "find"}, key=int)

    def cell(r):
        if r is None:
            return "-", None
        med, p95 = num(r["median_ms"]), num(r["p95_ms"])
        ok = r["status"] == "ok"
        s = f"{fmt(med)} / {fmt(p95)}"
        if not ok:
            s += f" ({r['status']})"
        return s, med if ok else None

    print("## C-FIND, STUDY level, one association: median / p95 ms (matches)")
    print()
    print("| studies | query | matches | Bastion plaintext | Bastion TLS | Orthanc plaintext | Orthanc / Bastion (plaintext medians) |")
    print("|---|---|---|---|---|---|---|")
    for size in sizes:
        for key, label in names:
            bp, bpm = cell(find.get(("bastion", size, "plaintext", key)))
            bt, _ = cell(find.get(("bastion", size, "tls", key)))
            op, opm = cell(find.get(("orthanc", size, "plaintext", key)))
            any_r = find.get(("bastion", size, "plaintext", key)) or find.get(("orthanc", size, "plaintext", key))
            m = any_r["expected"] if any_r else "?"
            print(f"| {int(size):,} | {label} (`{any_r['detail'] if any_r else ''}`) | {m} | {bp} | {bt} | {op} | {ratio(opm, bpm)} |")
    errors = [r for r in rows if r["kind"] == "find" and r["name"] == "error"]
    for r in errors:
        print(f"\nError, {r['server']} {r['size']} {r['transport']}: {r['status']}")
    print()
    print("## Loading the C-FIND corpora (not a target; for the record)")
    print()
    print("| server | corpus | how | seconds | inst/s | instances held | status |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        if r["kind"] == "load":
            print(f"| {r['server']} | {r['size']} | {r['transport']} | {fmt(num(r['seconds']))} | {fmt(num(r['inst_per_s']))} | {r['received']} | {r['status']} |")
    print()
    rt = {}
    for r in rows:
        if r["kind"] == "retrieve":
            rt.setdefault((r["server"], r["name"]), []).append(r)
    if rt:
        rounds = max(len(v) for v in rt.values())
        print(f"## Retrieve of one 2,000-instance CT 512x512 study into DCMTK (plaintext), end to end, median of {rounds} [min-max]")
        print()

        def ips(s, op):
            rs = rt.get((s, op), [])
            if not rs:
                return "-", None
            good = [r for r in rs if r["status"] == "ok" and r["received"] == r["files"]]
            v = [num(r["inst_per_s"]) for r in good]
            if not v:
                return "failed: " + "; ".join(f"{r['status']}, received {r['received']}" for r in rs), None
            m = statistics.median(v)
            secs = statistics.median(num(r["seconds"]) for r in good)
            txt = f"{fmt(m)} [{fmt(min(v))}-{fmt(max(v))}] inst/s ({fmt(num(good[0]['bytes']) / secs / 1e6)} MB/s)"
            if len(good) < len(rs):
                txt += f" ({len(rs) - len(good)} failed: " + "; ".join(f"{r['status']}, received {r['received']}" for r in rs if r not in good) + ")"
            return txt, m

        ceil_txt, ceil = ips("storescp", "storescu-ceiling")
        print("| operation | Bastion | Orthanc | Bastion / Orthanc | Bastion / receiver ceiling |")
        print("|---|---|---|---|---|")
        for op, label in [("c-move", "C-MOVE (movescu -> storescp --fork)"), ("c-get", "C-GET (getscu -od)")]:
            bt, bv = ips("bastion", op)
            ot, ov = ips("orthanc", op)
            print(f"| {label} | {bt} | {ot} | {ratio(bv, ov)} | {f'{bv / ceil:.0%}' if bv and ceil else 'n/a'} |")
        print(f"\nReceiving-peer ceiling (storescu of the same 2,000 files into the same storescp, one association): {ceil_txt}.")
        print("\nEvery transfer (inst/s, load average before it):\n")
        print("| round | " + " | ".join(f"{s} {op}" for (s, op) in sorted(rt)) + " |")
        print("|---|" + "---|" * len(rt))
        for i in range(rounds):
            cells = []
            for k in sorted(rt):
                r = rt[k][i] if i < len(rt[k]) else None
                cells.append("-" if r is None else f"{fmt(num(r['inst_per_s']))} ({r['load1']}){'' if r['status'] == 'ok' else ' ' + r['status']}")
            print(f"| {i + 1} | " + " | ".join(cells) + " |")

if __name__ == "__main__":
    main()
