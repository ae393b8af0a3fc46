#!/usr/bin/python3
"""Helper of store_interop_test.sh: chooses the corpus files, and checks what Bastion stored.

Run with Debian's /usr/bin/python3 (python3-pydicom 2.3). Subcommands:

  select CORPUS OUT          classify every file under CORPUS: OUT/candidates.txt (Part 10 with a
                             storage SOP class and SOP instance UID) and OUT/excluded.tsv (path,
                             reason) for the rest
  rounds OUT REFUSED         REFUSED: the candidates storescu itself refuses (parsed from its output);
                             must equal STORESCU_REFUSES below. Writes OUT/round<k>.txt (the k-th
                             file of every SOP instance UID: the corpus reuses UIDs across
                             transfer syntaxes), OUT/storescu.cfg (one presentation context per
                             SOP class and exact transfer syntax, so storescu never converts),
                             OUT/duplicates.tsv (round>=2 file, expected status against round 1)
  statuses LOG               per-file C-STORE status from `storescu -v`/`-d` output: PATH<TAB>STATUS
  compare INDEX STATS LIST[:REF]...
                             every file in each LIST is in INDEX (`bastion index list --json`, by
                             SOP instance UID); the stored file has a zero preamble, the same
                             transfer syntax and the same data set as the reference (element by
                             element with raw value bytes, then byte for byte): the file itself,
                             or what DCMTK storescp received bit-preserving into REF from the same
                             storescu command; index size (file) and sha256 (data set) are right;
                             STATS (`bastion
                             index stats --json`) counts what the LISTs imply
  expect-stats LIST...       the patients/studies/series/instances the files imply
"""
import collections
import hashlib
import json
import os
import re
import sys
import warnings

import pydicom
from pydicom.dataelem import RawDataElement
from pydicom.uid import UID

warnings.simplefilter("ignore")  # the corpus is full of deliberately odd files

# Part 10 files with a storage SOP class that DCMTK 3.6.7's storescu refuses to send (it cannot
# parse them; `storescu -R` says "missing SOP class (or instance) in file ..., ignoring file").
# pydicom reads them, so they are listed here rather than found by a rule. `rounds` fails if
# storescu's refusals ever differ from this list.
STORESCU_REFUSES = {
    "SC_rgb_jpeg.dcm": "DCMTK misparses it: non-standard VR '  ' at (0008,0008), then garbage tags",
    "rtdose_rle.dcm": "DCMTK rejects it: odd-length OW Pixel Data in an RLE file",
    "rtdose_rle_1frame.dcm": "DCMTK rejects it: odd-length OW Pixel Data in an RLE file",
    "MR_truncated.dcm": "truncated file: Pixel Data ends 62 bytes early",
    "rtplan_truncated.dcm": "truncated file: ends inside (300a,012c) Isocenter Position",
}


def is_part10(path):
    with open(path, "rb") as f:
        head = f.read(132)
    return len(head) == 132 and head[128:] == b"DICM"


def read(path):
    return pydicom.dcmread(path)


def classify(path):
    """None if storescu should send it, else the reason it is left out."""
    if not is_part10(path):
        return "not DICOM Part 10 (no 'DICM' after a 128-byte preamble)"
    try:
        ds = read(path)
        for _ in ds.iterall():
            pass
    except Exception as e:  # noqa: BLE001 - any parse failure is a reason
        return f"pydicom cannot parse it: {type(e).__name__}: {e}"[:160]
    sop_class = ds.get("SOPClassUID")
    if not sop_class or not ds.get("SOPInstanceUID"):
        media = ds.file_meta.get("MediaStorageSOPClassUID")
        what = f" ({UID(media).name})" if media else ""
        return f"no SOP Class/Instance UID in the data set{what}"
    name = UID(str(sop_class)).name
    if not name.endswith("Storage") or "Directory" in name:
        return f"not a storage SOP class: {sop_class} ({name})"
    if "TransferSyntaxUID" not in ds.file_meta:
        return "no transfer syntax in the file meta information"
    return None


def cmd_select(corpus, out):
    candidates, excluded = [], []
    for root, dirs, files in os.walk(corpus):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(root, name)
            reason = classify(path)
            if reason:
                excluded.append((os.path.relpath(path, corpus), reason))
            else:
                candidates.append(path)
    with open(os.path.join(out, "candidates.txt"), "w") as f:
        f.writelines(p + "\n" for p in candidates)
    with open(os.path.join(out, "excluded.tsv"), "w") as f:
        f.writelines(f"{p}\t{r}\n" for p, r in excluded)
    print(f"{len(candidates)} candidates, {len(excluded)} files excluded by rule")


def lines(path):
    with open(path) as f:
        return [line.rstrip("\n") for line in f if line.strip()]


def corpus_rel(path):
    return path.split("/test_files/", 1)[-1]


def cmd_rounds(out, refused_file):
    candidates = lines(os.path.join(out, "candidates.txt"))
    refused = {corpus_rel(p) for p in lines(refused_file)}
    ok = True
    for rel in sorted(refused - STORESCU_REFUSES.keys()):
        print(f"storescu refuses {rel}, which is not in STORESCU_REFUSES")
        ok = False
    for rel in sorted(STORESCU_REFUSES.keys() - refused):
        print(f"STORESCU_REFUSES lists {rel}, but storescu no longer refuses it")
        ok = False
    send = [p for p in candidates if corpus_rel(p) not in STORESCU_REFUSES]
    groups = collections.defaultdict(list)
    contexts = set()
    for p in send:
        ds = read(p)
        groups[str(ds.SOPInstanceUID)].append(p)
        contexts.add((str(ds.SOPClassUID), str(ds.file_meta.TransferSyntaxUID)))
    rounds = collections.defaultdict(list)
    for files in groups.values():
        for k, p in enumerate(sorted(files, key=corpus_rel), start=1):
            rounds[k].append(p)
    for k, files in rounds.items():
        with open(os.path.join(out, f"round{k}.txt"), "w") as f:
            f.writelines(p + "\n" for p in sorted(files, key=corpus_rel))
    with open(os.path.join(out, "duplicates.tsv"), "w") as f:
        for files in groups.values():
            first, *later = sorted(files, key=corpus_rel)
            for p in later:
                same = not compare_files(first, p)
                f.write(f"{p}\t{'0x0000' if same else '0x0111'}\n")
    write_storescu_cfg(os.path.join(out, "storescu.cfg"), sorted(contexts))
    print(f"{len(send)} files to send in {len(rounds)} rounds "
          f"({', '.join(str(len(rounds[k])) for k in sorted(rounds))}), "
          f"{len(groups)} SOP instances, {len(contexts)} presentation contexts")
    return 0 if ok else 1


def write_storescu_cfg(path, contexts):
    if len(contexts) > 128:
        sys.exit(f"{len(contexts)} presentation contexts: more than one association allows")
    syntaxes = sorted({ts for _, ts in contexts})
    with open(path, "w") as f:
        f.write("# written by store_interop.py: each SOP class with exactly its files' transfer syntax\n")
        f.write("[[TransferSyntaxes]]\n")
        for i, ts in enumerate(syntaxes):
            f.write(f"[TS{i}]\nTransferSyntax1 = {ts}\n")
        f.write("[[PresentationContexts]]\n[Corpus]\n")
        for n, (sop_class, ts) in enumerate(contexts, start=1):
            f.write(f"PresentationContext{n} = {sop_class}\\TS{syntaxes.index(ts)}\n")
        f.write("[[Profiles]]\n[Corpus]\nPresentationContexts = Corpus\n")


def cmd_statuses(log):
    """storescu logs 'Sending file: PATH', then the response; -d adds 'DIMSE Status : 0x....'."""
    current, status = None, None
    results = []

    def flush():
        if current is not None:
            results.append((current, status or "no response"))

    with open(log, errors="replace") as f:
        for line in f:
            m = re.search(r"Sending file: (.*)$", line)
            if m:
                flush()
                current, status = m.group(1).strip(), None
                continue
            m = re.search(r"DIMSE Status\s*:\s*(0x[0-9A-Fa-f]{4})", line)
            if m and current is not None:
                status = "0x" + m.group(1)[2:].lower()
                continue
            m = re.search(r"Received Store Response \((.*)\)", line)
            if m and current is not None and status is None:
                status = "0x0000" if m.group(1) == "Success" else m.group(1)
                continue
            m = re.search(r"Store Failed, file: |No presentation context for|Bad DICOM file", line)
            if m and current is not None and status is None:
                status = "not sent: " + line.strip()
    flush()
    for path, st in results:
        print(f"{path}\t{st}")


# --- data set comparison -------------------------------------------------------------------

def describe(va, vb):
    """How two raw values differ, briefly."""
    if isinstance(va, bytes) and isinstance(vb, bytes):
        if len(va) <= 40 and len(vb) <= 40:
            return f"value {va!r} vs {vb!r}"
        at = next((i for i, (x, y) in enumerate(zip(va, vb)) if x != y), min(len(va), len(vb)))
        return f"value of {len(va)} vs {len(vb)} bytes, first difference at byte {at}"
    return f"value {va!r} vs {vb!r}"


def compare_datasets(a, b, where=""):
    """List of differences between two data sets: same tags, same VR, same raw value bytes;
    sequences item by item."""
    diffs = []
    ta, tb = set(a._dict), set(b._dict)
    for tag in sorted(ta - tb):
        diffs.append(f"{where}{tag} only in the sent file")
    for tag in sorted(tb - ta):
        diffs.append(f"{where}{tag} only in the stored file")
    for tag in sorted(ta & tb):
        ra, rb = a._dict[tag], b._dict[tag]
        try:
            ea, eb = a[tag], b[tag]
            vr_a, vr_b = ea.VR, eb.VR
        except Exception:  # noqa: BLE001 - an unconvertible value: compare the raw bytes only
            ea = eb = None
            vr_a = ra.VR if isinstance(ra, RawDataElement) else None
            vr_b = rb.VR if isinstance(rb, RawDataElement) else None
        if vr_a != vr_b:
            diffs.append(f"{where}{tag} VR {vr_a} vs {vr_b}")
            continue
        if vr_a == "SQ" and ea is not None:
            if len(ea.value) != len(eb.value):
                diffs.append(f"{where}{tag} {len(ea.value)} vs {len(eb.value)} items")
                continue
            for i, (ia, ib) in enumerate(zip(ea.value, eb.value)):
                diffs.extend(compare_datasets(ia, ib, f"{where}{tag}[{i}]."))
            continue
        va = ra.value if isinstance(ra, RawDataElement) else ea.value
        vb = rb.value if isinstance(rb, RawDataElement) else eb.value
        if va != vb:
            diffs.append(f"{where}{tag} {describe(va, vb)}")
    return diffs


def compare_files(sent, stored):
    """Differences between two Part 10 files: transfer syntax and data set (not the meta)."""
    a, b = read(sent), read(stored)
    diffs = []
    ts_a, ts_b = a.file_meta.TransferSyntaxUID, b.file_meta.TransferSyntaxUID
    if ts_a != ts_b:
        diffs.append(f"transfer syntax {ts_a} sent, {ts_b} stored")
    return diffs + compare_datasets(a, b)


def identity(ds):
    return {
        "patient": (str(ds.get("PatientID", "") or ""), str(ds.get("IssuerOfPatientID", "") or "")),
        "study": str(ds.StudyInstanceUID),
        "series": str(ds.SeriesInstanceUID),
        "instance": str(ds.SOPInstanceUID),
    }


def expected_stats(files):
    sets = collections.defaultdict(set)
    for p in files:
        ds = pydicom.dcmread(p, stop_before_pixels=True)
        for k, v in identity(ds).items():
            sets[k].add(v)
    # A patient is PatientID + IssuerOfPatientID; a missing PatientID counts as the empty one.
    return {"patients": len(sets["patient"]), "studies": len(sets["study"]),
            "series": len(sets["series"]), "instances": len(sets["instance"])}


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def dataset_bytes(path):
    """The encoded data set: everything after the file meta information."""
    with open(path, "rb") as f:
        pydicom.filereader.read_preamble(f, False)
        pydicom.filereader._read_file_meta_info(f)
        return f.read()


def uid_map(directory):
    found = {}
    for root, _, files in os.walk(directory):
        for name in files:
            p = os.path.join(root, name)
            found[str(pydicom.dcmread(p, stop_before_pixels=True).SOPInstanceUID)] = p
    return found


def cmd_compare(index_file, stats_file, specs):
    with open(index_file) as f:
        index = json.load(f)
    if isinstance(index, dict):  # tolerate {"instances": [...]}
        index = next(v for v in index.values() if isinstance(v, list))
    by_uid = {row["sop_instance_uid"]: row for row in index}
    problems, notes = [], []
    identical = 0
    all_files = []
    for spec in specs:
        list_file, _, ref_dir = spec.partition(":")
        files = lines(list_file)
        all_files += files
        refs = uid_map(ref_dir) if ref_dir else None
        for p in files:
            ds = pydicom.dcmread(p, stop_before_pixels=True)
            uid = str(ds.SOPInstanceUID)
            name = corpus_rel(p)
            ref = p if refs is None else refs.get(uid)
            if ref is None:
                problems.append(f"{name}: the reference storescp did not receive it")
                continue
            if refs is not None:
                altered = compare_files(p, ref)
                if altered:
                    notes.append(f"note: storescu sends {name} altered: " + "; ".join(altered[:3])
                                 + (f" (+{len(altered) - 3} more)" if len(altered) > 3 else ""))
            row = by_uid.get(uid)
            if row is None:
                problems.append(f"{name}: SOP instance {uid} is not in the index")
                continue
            stored = row["path"]
            if not os.path.isfile(stored):
                problems.append(f"{name}: stored file {stored} does not exist")
                continue
            with open(stored, "rb") as f:
                head = f.read(132)
            if head[:128] != bytes(128) or head[128:] != b"DICM":
                problems.append(f"{name}: stored file {stored} has no zero preamble + DICM")
            if row.get("transfer_syntax_uid") != str(ds.file_meta.TransferSyntaxUID):
                problems.append(f"{name}: index transfer syntax {row.get('transfer_syntax_uid')}, "
                                f"sent {ds.file_meta.TransferSyntaxUID}")
            if row.get("sop_class_uid") != str(ds.SOPClassUID):
                problems.append(f"{name}: index SOP class {row.get('sop_class_uid')}, sent {ds.SOPClassUID}")
            for key, attr in (("study_instance_uid", "StudyInstanceUID"),
                              ("series_instance_uid", "SeriesInstanceUID")):
                if row.get(key) != str(ds.get(attr)):
                    problems.append(f"{name}: index {key} {row.get(key)}, sent {ds.get(attr)}")
            size = os.path.getsize(stored)
            if row.get("size") != size:
                problems.append(f"{name}: index size {row.get('size')}, the file has {size} bytes")
            # Bastion's sha256 is of the data set (what duplicate detection compares), not the file.
            if row.get("sha256") != hashlib.sha256(dataset_bytes(stored)).hexdigest():
                whole = " (it is the whole file's)" if row.get("sha256") == sha256(stored) else ""
                problems.append(f"{name}: index sha256 is not that of the stored data set{whole}")
            try:
                diffs = compare_files(ref, stored)
            except Exception as e:  # noqa: BLE001 - an unreadable stored file is a finding
                diffs = [f"cannot read the stored file: {type(e).__name__}: {e}"]
            if diffs:
                problems.append(f"{name}: data set differs: " + "; ".join(diffs[:5])
                                + (f" (+{len(diffs) - 5} more)" if len(diffs) > 5 else ""))
            elif dataset_bytes(ref) != dataset_bytes(stored):
                problems.append(f"{name}: same elements and values, but the data set is not byte-identical")
            else:
                identical += 1
    with open(stats_file) as f:
        stats = json.load(f)
    want = expected_stats(all_files)
    for key, n in want.items():
        if stats.get(key) != n:
            problems.append(f"index stats: {key} = {stats.get(key)}, expected {n}")
    total = sum(row.get("size", 0) for row in index)
    if stats.get("bytes") != total:
        problems.append(f"index stats: bytes = {stats.get('bytes')}, the listed files add up to {total}")
    if len(index) != want["instances"]:
        problems.append(f"index list has {len(index)} rows, expected {want['instances']}")
    for line in notes + problems[:60]:
        print(line)
    if len(problems) > 60:
        print(f"... and {len(problems) - 60} more problems")
    print(f"{identical} of {len(all_files)} sent files read back with a byte-identical data set; "
          f"expected {json.dumps(want)}, index stats {json.dumps(stats)}")
    return 1 if problems else 0


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    cmd, args = argv[1], argv[2:]
    if cmd == "select" and len(args) == 2:
        return cmd_select(*args)
    if cmd == "rounds" and len(args) == 2:
        return cmd_rounds(*args)
    if cmd == "statuses" and len(args) == 1:
        return cmd_statuses(*args)
    if cmd == "compare" and len(args) >= 3:
        return cmd_compare(args[0], args[1], args[2:])
    if cmd == "expect-stats" and args:
        files = [p for a in args for p in lines(a)]
        print(json.dumps(expected_stats(files)))
        return 0
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv) or 0)
