#!/usr/bin/python3
"""Writes what pydicom reads from each file of its test corpus (for pydicom_corpus_test.cc).

The corpus is Debian's python3-pydicom package, folder /usr/lib/python3/dist-packages/pydicom/data:
test_files/ (with zipMR.gz, a gzip-compressed Part 10 file), test_files/dicomdirtests/ (DICOMDIR
files and the instances they index) and charset_files/. For each corpus this script writes one JSON
file into tests/data/pydicom_reference/ describing, per file, either the error pydicom raised or
the File Meta Information and data set pydicom read: every element, recursively through sequence
items, with

    "t": tag as 8 hex digits          "v": pydicom's VR after its own resolution ("US or SS" for
    "rv": VR as written in the stream      ambiguous implicit tags, private dictionary VRs, UN
          (explicit VR only, when it       replaced by the dictionary VR, ...)
          differs from "v")
    "x": value bytes as hex, or        "h": first 32 hex digits of the SHA-256 of the value bytes
                                            plus "n": their count, for values over 64 bytes
    "i": sequence items (lists of elements), when pydicom reads the element as a sequence
    "f": encapsulated pixel data fragments (Basic Offset Table first), each {"x"|"h","n"}

Value bytes are the raw bytes pydicom read (before any conversion to Python values), normalised
to little endian: in explicit VR big endian data, multi-byte binary values are swapped per unit
of their stream VR, as Bastion holds them. Sequences that pydicom resolved from a defined-length
raw value (implicit VR private sequences, UN replaced by SQ) carry both "i" and the raw "x"/"h".

pydicom reads with force=True (it accepts files without preamble); its default configuration
otherwise. We use it only as an independent reading to compare with; nothing of pydicom runs in
Bastion.

Refresh (after a newer python3-pydicom is installed; use Debian's interpreter, which has it):
    /usr/bin/python3 tools/pydicom_reference.py
    git diff --stat tests/data/pydicom_reference/
then run dicom_test (PydicomCorpus*) and review every new difference before committing.
"""
import gzip
import hashlib
import io
import json
import os
import sys
import warnings

import pydicom
from pydicom.dataelem import RawDataElement
from pydicom.sequence import Sequence
from pydicom.tag import Tag

DATA_DIR = os.path.join(os.path.dirname(pydicom.__file__), "data")
OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data",
                       "pydicom_reference")

# Files in the corpus folders that are not DICOM and are not part of the corpus.
NOT_DICOM = {"README.txt", "README", "FileInfo.txt", "rtplan.dump", "rtstruct.dump",
             "test1.json", "test_PN.json"}

# Corpus name -> (folder under DATA_DIR, recurse into subfolders).
CORPORA = {
    "test_files": ("test_files", False),
    "dicomdirtests": ("test_files/dicomdirtests", True),
    "charset_files": ("charset_files", False),
}

SWAP_WIDTH = {"US": 2, "SS": 2, "OW": 2, "AT": 2, "UL": 4, "SL": 4, "FL": 4, "OF": 4, "OL": 4,
              "FD": 8, "OD": 8, "SV": 8, "UV": 8, "OV": 8}
PIXEL_DATA = Tag(0x7FE0, 0x0010)
MAX_INLINE = 64

# pydicom converts some elements while it reads (the File Meta Information, Specific Character
# Set); its conversion hook lets us keep every raw element it converts, keyed by tag and the
# position of its value in the (inflated) stream.
RAW_SEEN = {}


def remember_raw(raw, **_kwargs):
    RAW_SEEN[(int(raw.tag), raw.value_tell)] = raw
    return raw


pydicom.config.data_element_callback = remember_raw


def vr_text(vr):
    """pydicom 2.3 mixes plain strings and its VR enum; both compare equal to "SQ" etc."""
    if vr is None:
        return None
    return str(getattr(vr, "value", vr))


def value_entry(data):
    if len(data) <= MAX_INLINE:
        return {"x": data.hex()}
    return {"h": hashlib.sha256(data).hexdigest()[:32], "n": len(data)}


def to_little_endian(data, vr, little_endian):
    width = SWAP_WIDTH.get(vr, 1) if vr else 1
    if little_endian or width == 1:
        return bytes(data)
    out = bytearray(data)
    for i in range(0, len(out) - width + 1, width):
        out[i:i + width] = out[i:i + width][::-1]
    return bytes(out)


def fragments(data, little_endian):
    """Splits an encapsulated pixel data value (items after the header) into fragments."""
    order = "little" if little_endian else "big"
    out, pos = [], 0
    while pos + 8 <= len(data):
        group = int.from_bytes(data[pos:pos + 2], order)
        element = int.from_bytes(data[pos + 2:pos + 4], order)
        length = int.from_bytes(data[pos + 4:pos + 8], order)
        pos += 8
        if (group, element) == (0xFFFE, 0xE0DD):
            break
        if (group, element) != (0xFFFE, 0xE000):
            raise ValueError("encapsulated pixel data: (%04X,%04X) where an item was expected"
                             % (group, element))
        out.append(value_entry(bytes(data[pos:pos + length])))
        pos += length
    return out


def describe(ds):
    elements = []
    for tag in sorted(ds.keys()):
        raw = ds.get_item(tag)
        if not isinstance(raw, RawDataElement):
            raw = RAW_SEEN.get((int(tag), raw.file_tell), raw)
        entry = {"t": "%08X" % int(tag)}
        raw_vr = None
        raw_value = None
        little = True
        undefined = False
        if isinstance(raw, RawDataElement):
            raw_vr = None if raw.is_implicit_VR else vr_text(raw.VR)
            raw_value = raw.value if raw.value is not None else b""
            little = raw.is_little_endian
            undefined = raw.length == 0xFFFFFFFF
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                elem = ds[tag]
            vr = vr_text(elem.VR)
        except Exception as e:  # pydicom cannot convert the value; keep the raw view
            elem = None
            vr = raw_vr or "UN"
            entry["conversion_error"] = str(e)[:200]
        entry["v"] = vr
        if raw_vr is not None and raw_vr != vr:
            entry["rv"] = raw_vr
        # An empty defined-length sequence converts to a plain empty list.
        if elem is not None and (isinstance(elem.value, Sequence) or
                                 (vr == "SQ" and isinstance(elem.value, list))):
            entry["i"] = [describe(item) for item in elem.value]
            if raw_value is not None:
                entry.update(value_entry(bytes(raw_value)))
        elif tag == PIXEL_DATA and undefined:
            entry["f"] = fragments(raw_value, little)
        else:
            if raw_value is None:  # a DataElement that was never raw: not expected here
                raise ValueError("element %s has no raw value" % entry["t"])
            entry.update(value_entry(to_little_endian(raw_value, raw_vr, little)))
        elements.append(entry)
    return elements


def read(path):
    RAW_SEEN.clear()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if path.endswith(".gz"):
            with gzip.open(path, "rb") as f:
                ds = pydicom.dcmread(io.BytesIO(f.read()), force=True)
        else:
            ds = pydicom.dcmread(path, force=True)
        return {
            "outcome": "parsed",
            "meta": describe(ds.file_meta) if ds.file_meta is not None else [],
            "dataset": describe(ds),
        }


def corpus_files(folder, recurse):
    base = os.path.join(DATA_DIR, folder)
    if recurse:
        found = []
        for root, _dirs, files in os.walk(base):
            found += [os.path.join(root, f) for f in files]
    else:
        found = [os.path.join(base, f) for f in os.listdir(base)
                 if os.path.isfile(os.path.join(base, f))]
    return sorted(f for f in found if os.path.basename(f) not in NOT_DICOM)


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    for name, (folder, recurse) in CORPORA.items():
        files = {}
        for path in corpus_files(folder, recurse):
            rel = os.path.relpath(path, DATA_DIR)
            try:
                files[rel] = read(path)
            except Exception as e:  # pydicom refused the file
                files[rel] = {"outcome": "error", "error": "%s: %s" % (type(e).__name__, e)}
        doc = {"generator": "tools/pydicom_reference.py",
               "pydicom_version": pydicom.__version__,
               "data_dir": DATA_DIR,
               "files": files}
        out = os.path.join(OUT_DIR, name + ".json")
        with open(out, "w") as f:
            # One file per line keeps diffs readable and the size small.
            f.write("{\n")
            f.write('"generator": %s,\n' % json.dumps(doc["generator"]))
            f.write('"pydicom_version": %s,\n' % json.dumps(doc["pydicom_version"]))
            f.write('"data_dir": %s,\n' % json.dumps(doc["data_dir"]))
            f.write('"files": {\n')
            rows = ["%s: %s" % (json.dumps(k), json.dumps(v, separators=(",", ":")))
                    for k, v in files.items()]
            f.write(",\n".join(rows))
            f.write("\n}}\n")
        errors = sum(1 for v in files.values() if v["outcome"] != "parsed")
        print("%s: %d files (%d refused by pydicom) -> %s (%d bytes)" % (
            name, len(files), errors, os.path.relpath(out), os.path.getsize(out)))


if __name__ == "__main__":
    sys.exit(main())
