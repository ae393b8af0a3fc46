#!/usr/bin/python3
"""Markdown tables from the raw CSV that bench/dicomweb/run_all.sh writes.

  /usr/bin/python3 report.py RESULTS.csv

A figure counts only if its row's status is "ok" (every response 2xx with the expected content:
QIDO match counts as expected.py computes them, 600 instances of metadata, frames of exactly one
part of the frame's size, every STOW instance referenced in the responses); others are shown with
their status and left out of the ratios. Ratios are "how many times better Bastion is": Orthanc's
latency over Bastion's, Bastion's rate over Orthanc's. Rounds are summarised by their median.
"""
import csv
import os
import statistics
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from report_lib import fmt, num, ratio  # noqa: E402


def ok(r):
    return r is not None and r["status"] == "ok"


def med(rows, key):
    v = [num(r[key]) for r in rows if ok(r) and num(r[key]) is not None]
    return statistics.median(v) if v else None


def verdict(cond):
    return "n/a" if cond is None else ("met" if cond else "NOT met")


def main():
    rows = list(csv.DictReader(open(sys.argv[1])))
    by = {}
    for r in rows:
        by.setdefault((r["kind"], r["server"], r["name"]), []).append(r)

    def one(kind, server, name):
        v = by.get((kind, server, name))
        return v[0] if v else None

    def cell_ms(r, n=False):
        if r is None:
            return "-"
        s = f"{fmt(num(r['median_ms']))} / {fmt(num(r['p95_ms']))}"
        if n:
            s += f" (n={r['iterations']})"
        return s if ok(r) else s + f" ({r['status']})"

    # --- summary against the targets ---
    bm = one("metadata", "bastion", "warm")
    om = one("metadata", "orthanc", "warm")
    bmm = num(bm["median_ms"]) if ok(bm) else None
    omm = num(om["median_ms"]) if ok(om) else None
    bf = med(by.get(("frames", "bastion", "frames/1"), []), "rate")
    of = med(by.get(("frames", "orthanc", "frames/1"), []), "rate")
    stow_name = next((k[2] for k in by if k[0] == "stow"), None)
    bs = med(by.get(("stow", "bastion", stow_name), []), "mb_per_s")
    os_ = med(by.get(("stow", "orthanc", stow_name), []), "mb_per_s")
    bsi = med(by.get(("stow", "bastion", stow_name), []), "rate")
    osi = med(by.get(("stow", "orthanc", stow_name), []), "rate")
    print("## Summary against the targets")
    print()
    print("| measure | Bastion | Orthanc | Bastion better by | target | verdict |")
    print("|---|---|---|---|---|---|")
    meta_ok = None if bmm is None or omm is None else (bmm < 100 and omm / bmm >= 5)
    print(f"| series metadata, 600 instances, warm median | {fmt(bmm, ' ms')} | {fmt(omm, ' ms')} | {ratio(omm, bmm)} "
          f"| < 100 ms and >= 5x | {verdict(meta_ok)} |")
    print(f"| frames/s, 16 clients (median of rounds) | {fmt(bf)} | {fmt(of)} | {ratio(bf, of)} | >= 2x | "
          f"{verdict(None if not bf or not of else bf / of >= 2)} |")
    print(f"| STOW-RS MB/s, 4 clients (median of rounds) | {fmt(bs)} | {fmt(os_)} | {ratio(bs, os_)} | >= 2x | "
          f"{verdict(None if not bs or not os_ else bs / os_ >= 2)} |")
    print(f"| STOW-RS instances/s | {fmt(bsi)} | {fmt(osi)} | {ratio(bsi, osi)} | (same) | |")
    print()

    # --- QIDO ---
    names = [("exact_id", "exact PatientID"), ("name_prefix", "PatientName prefix wildcard"),
             ("date_range", "StudyDate range (~1%)")]
    print("## QIDO-RS GET /dicom-web/studies, one keep-alive connection: median / p95 ms")
    print()
    print("| query | matches (expected) | Bastion | Orthanc | Orthanc / Bastion (medians) |")
    print("|---|---|---|---|---|")
    for key, label in names:
        b, o = one("qido", "bastion", key), one("qido", "orthanc", key)
        a = b or o
        if a is None:
            continue
        m = f"{(b or o)['matches']} ({a['expected']})"
        if b and o and b["matches"] != o["matches"]:
            m = f"Bastion {b['matches']}, Orthanc {o['matches']} (expected {a['expected']})"
        r = ratio(num(o["median_ms"]) if ok(o) else None, num(b["median_ms"]) if ok(b) else None)
        print(f"| {label} (`{a['detail']}`) | {m} | {cell_ms(b, True)} | {cell_ms(o, True)} | {r} |")
    print()

    # --- metadata ---
    print("## WADO-RS series metadata (600 instances, application/dicom+json): ms")
    print()
    print("| request | Bastion | Orthanc | Orthanc / Bastion | response bytes (Bastion / Orthanc) |")
    print("|---|---|---|---|---|")
    for name, label in (("cold", "cold: first request after start, store evicted from the page cache"),
                        ("warm", "warm: median / p95 of the following requests")):
        b, o = one("metadata", "bastion", name), one("metadata", "orthanc", name)
        if name == "cold":
            cb = fmt(num(b["median_ms"])) + ("" if ok(b) else f" ({b['status']})") if b else "-"
            co = fmt(num(o["median_ms"])) + ("" if ok(o) else f" ({o['status']})") if o else "-"
        else:
            cb, co = cell_ms(b), cell_ms(o)
        r = ratio(num(o["median_ms"]) if ok(o) else None, num(b["median_ms"]) if ok(b) else None)
        print(f"| {label} | {cb} | {co} | {r} | {b['bytes'] if b else '-'} / {o['bytes'] if o else '-'} |")
    print()

    # --- frames ---
    fr = sorted([r for r in rows if r["kind"] == "frames"], key=lambda r: (int(r["round"]), r["server"]))
    if fr:
        print(f"## WADO-RS frames/1 of random instances, {fr[0]['clients']} concurrent clients")
        print()
        print("| round | server | seconds | frames | frames/s | MB/s | latency median / p95 ms | status | load1 before |")
        print("|---|---|---|---|---|---|---|---|---|")
        for r in fr:
            print(f"| {r['round']} | {r['server']} | {fmt(num(r['seconds']))} | {r['count']} | {fmt(num(r['rate']))} "
                  f"| {fmt(num(r['mb_per_s']))} | {cell_ms(r)} | {r['status']} | {r['load1']} |")
        print()
        print(f"Median of rounds: Bastion {fmt(bf)} frames/s, Orthanc {fmt(of)} frames/s, Bastion / Orthanc {ratio(bf, of)}.")
        print()

    # --- STOW ---
    st = sorted([r for r in rows if r["kind"] == "stow"], key=lambda r: (int(r["round"]), r["server"]))
    if st:
        print(f"## STOW-RS POST /dicom-web/studies, {st[0]['clients']} concurrent clients, "
              f"{st[0]['name'].replace('batch', '')} instances per request")
        print()
        print("| round | server | instances sent | stored (failed) | seconds | instances/s | MB/s | server CPU s per 1000 instances | request median / p95 ms | HTTP | status | load1 before |")
        print("|---|---|---|---|---|---|---|---|---|---|---|---|")
        for r in st:
            cpu = num(r.get("server_cpu_s") or "")
            per = fmt(1000 * cpu / int(r["count"])) if cpu is not None and r["count"] not in ("", "0") else "n/a"
            print(f"| {r['round']} | {r['server']} | {r['expected']} | {r['count']} ({r['bad'] or 0}) | {fmt(num(r['seconds']))} "
                  f"| {fmt(num(r['rate']))} | {fmt(num(r['mb_per_s']))} | {per} | {cell_ms(r)} | {r['detail']} | {r['status']} | {r['load1']} |")
        print()
        print(f"Median of rounds: Bastion {fmt(bs)} MB/s ({fmt(bsi)} inst/s), Orthanc {fmt(os_)} MB/s ({fmt(osi)} inst/s), "
              f"Bastion / Orthanc {ratio(bs, os_)}.")
        cs = med(by.get(("stow", "ceiling", stow_name), []), "mb_per_s")
        if cs:
            print()
            print(f"The machine's durable-write ceiling (server `ceiling`: the same files, as many writer processes, "
                  f"one write + fsync per file, no network, no parsing, no index): {fmt(cs)} MB/s; Bastion reaches "
                  f"{100 * bs / cs:.0f}% of it, Orthanc {100 * os_ / cs:.0f}%." if bs and os_ else
                  f"The machine's durable-write ceiling: {fmt(cs)} MB/s.")
        print()
        for r in rows:
            if r["kind"] == "verify":
                print(f"- {r['server']}: {r['matches']} of {r['expected']} stowed instances found by QIDO-RS "
                      f"({r['detail']}): {r['status']}")
        print()

    # --- record ---
    print("## Loading and memory (not targets; for the record)")
    print()
    print("| server | what | instances | held afterwards | seconds | inst/s | status |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        if r["kind"] == "load":
            print(f"| {r['server']} | {r['name']}: {r['detail']} | {r['expected']} | {r['matches']} | {fmt(num(r['seconds']))} "
                  f"| {fmt(num(r['rate']))} | {r['status']} |")
    for r in rows:
        if r["kind"] == "memory":
            kib = num(r["matches"])
            print(f"| {r['server']} | peak resident memory (VmHWM) since its restart before the metadata test | | "
                  f"{fmt(kib / 1024, ' MiB') if kib else 'n/a'} | | | |")
    bad = [r for r in rows if r["status"] not in ("ok", "")]
    if bad:
        print()
        print("Rows that did not pass their checks (left out of the ratios):")
        print()
        for r in bad:
            print(f"- {r['kind']} {r['server']} round {r['round']} {r['name']}: {r['status']}")


if __name__ == "__main__":
    main()
