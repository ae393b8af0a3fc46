#!/usr/bin/env python3
"""Builds the seed corpora in fuzz/corpus/ and the crafted regression inputs.

Seeds: the small (< 64 KiB) Part 10 files of pydicom's test corpus (Debian python3-pydicom),
hand-crafted files for cases that corpus lacks (deep nesting, defined-length items, deflate
with sequences, Extended Offset Table), the data sets of those files with the selector byte
dataset_reader_fuzz expects, and DICOM JSON (pydicom's and PS3.18 F.2 examples).
Run from anywhere: python3 fuzz/make_seeds.py. Idempotent; leaves other files in corpus/ alone.
"""
import json
import os
import shutil
import struct
import zlib

PYDICOM = "/usr/lib/python3/dist-packages/pydicom/data"
ROOT = os.path.dirname(os.path.abspath(__file__))
MAX_SEED = 64 * 1024

TS = {
    "implicit": "1.2.840.10008.1.2",
    "explicit": "1.2.840.10008.1.2.1",
    "deflated": "1.2.840.10008.1.2.1.99",
    "big": "1.2.840.10008.1.2.2",
    "jpeg": "1.2.840.10008.1.2.4.50",
}
# dataset_reader_fuzz: selector byte % 5.
SELECTOR = {TS["implicit"]: 0, TS["explicit"]: 1, TS["big"]: 2, TS["deflated"]: 3}
LONG_VRS = {b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"UC", b"UN", b"UR", b"UT", b"SV", b"UV"}


def pad(value, byte=b" "):
    return value + byte if len(value) % 2 else value


def el_explicit(group, elem, vr, value, big=False, undefined=False):
    e = ">" if big else "<"
    head = struct.pack(e + "HH", group, elem) + vr
    length = 0xFFFFFFFF if undefined else len(value)
    if vr in LONG_VRS:
        return head + b"\0\0" + struct.pack(e + "I", length) + value
    return head + struct.pack(e + "H", length) + value


def el_implicit(group, elem, value, undefined=False):
    return struct.pack("<HHI", group, elem, 0xFFFFFFFF if undefined else len(value)) + value


def item(body, big=False, defined=False):
    e = ">" if big else "<"
    if defined:
        return struct.pack(e + "HHI", 0xFFFE, 0xE000, len(body)) + body
    return (struct.pack(e + "HHI", 0xFFFE, 0xE000, 0xFFFFFFFF) + body
            + struct.pack(e + "HHI", 0xFFFE, 0xE00D, 0))


def seq_delim(big=False):
    return struct.pack((">" if big else "<") + "HHI", 0xFFFE, 0xE0DD, 0)


def nested(depth, explicit=True, big=False, defined=False):
    """A chain of `depth` sequences (0040,A730 Content Sequence), each with one item."""
    leaf = (el_explicit(0x0010, 0x0010, b"PN", b"Leaf^Node ", big) if explicit
            else el_implicit(0x0010, 0x0010, b"Leaf^Node "))
    body = leaf
    for _ in range(depth):
        it = item(body, big, defined)
        if defined:
            body = (el_explicit(0x0040, 0xA730, b"SQ", it, big) if explicit
                    else el_implicit(0x0040, 0xA730, it))
        else:
            body = ((el_explicit(0x0040, 0xA730, b"SQ", b"", big, undefined=True) if explicit
                     else el_implicit(0x0040, 0xA730, b"", undefined=True)) + it + seq_delim(big))
    return body


def base_elements(explicit=True, big=False):
    def el(g, e, vr, v):
        return el_explicit(g, e, vr, v, big) if explicit else el_implicit(g, e, v)
    return (el(0x0008, 0x0005, b"CS", b"ISO_IR 100")
            + el(0x0008, 0x0016, b"UI", pad(b"1.2.840.10008.5.1.4.1.1.7", b"\0"))
            + el(0x0008, 0x0018, b"UI", pad(b"2.25.1234567890", b"\0"))
            + el(0x0008, 0x0060, b"CS", b"OT"))


def part10(dataset, ts):
    meta = (el_explicit(0x0002, 0x0001, b"OB", b"\0\1")
            + el_explicit(0x0002, 0x0002, b"UI", pad(b"1.2.840.10008.5.1.4.1.1.7", b"\0"))
            + el_explicit(0x0002, 0x0003, b"UI", pad(b"2.25.1234567890", b"\0"))
            + el_explicit(0x0002, 0x0010, b"UI", pad(ts.encode(), b"\0"))
            + el_explicit(0x0002, 0x0012, b"UI", pad(b"2.25.42", b"\0")))
    group_length = el_explicit(0x0002, 0x0000, b"UL", struct.pack("<I", len(meta)))
    return b"\0" * 128 + b"DICM" + group_length + meta + dataset


def deflate(data):
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def crafted_files():
    out = {}
    body = base_elements() + nested(8)
    out["crafted_explicit_nested8_undefined.dcm"] = part10(body, TS["explicit"])
    out["crafted_explicit_nested8_defined.dcm"] = part10(base_elements() + nested(8, defined=True), TS["explicit"])
    out["crafted_implicit_nested8.dcm"] = part10(base_elements(False) + nested(8, False), TS["implicit"])
    out["crafted_implicit_nested8_defined.dcm"] = part10(base_elements(False) + nested(8, False, defined=True), TS["implicit"])
    out["crafted_bigendian_nested8.dcm"] = part10(base_elements(True, True) + nested(8, True, True), TS["big"])
    out["crafted_deflated_nested8.dcm"] = part10(deflate(body), TS["deflated"])
    # Encapsulated pixel data with an Extended Offset Table (PS3.5 A.4, 7FE0,0001/0002).
    frames = [b"\xff\xd8" + bytes(range(30)) + b"\xff\xd9", b"\xff\xd8" + bytes(range(40)) + b"\xff\xd9"]
    offsets, lengths, pos = [], [], 0
    for f in frames:
        offsets.append(pos); lengths.append(len(f)); pos += 8 + len(f)
    pixel = (struct.pack("<HHI", 0xFFFE, 0xE000, 0)
             + b"".join(struct.pack("<HHI", 0xFFFE, 0xE000, len(f)) + f for f in frames)
             + seq_delim())
    enc = (base_elements()
           + el_explicit(0x0028, 0x0002, b"US", struct.pack("<H", 1))
           + el_explicit(0x0028, 0x0008, b"IS", b"2 ")
           + el_explicit(0x0028, 0x0010, b"US", struct.pack("<H", 4))
           + el_explicit(0x0028, 0x0011, b"US", struct.pack("<H", 4))
           + el_explicit(0x0028, 0x0100, b"US", struct.pack("<H", 8))
           + el_explicit(0x7FE0, 0x0001, b"OV", struct.pack("<2Q", *offsets))
           + el_explicit(0x7FE0, 0x0002, b"OV", struct.pack("<2Q", *lengths))
           + el_explicit(0x7FE0, 0x0010, b"OB", b"", undefined=True) + pixel)
    out["crafted_encapsulated_extended_offset_table.dcm"] = part10(enc, TS["jpeg"])
    # Basic Offset Table with entries.
    bot = struct.pack("<2I", *offsets)
    pixel_bot = (struct.pack("<HHI", 0xFFFE, 0xE000, len(bot)) + bot
                 + b"".join(struct.pack("<HHI", 0xFFFE, 0xE000, len(f)) + f for f in frames) + seq_delim())
    enc_bot = enc[: enc.index(struct.pack("<HH", 0x7FE0, 0x0001))] + \
        el_explicit(0x7FE0, 0x0010, b"OB", b"", undefined=True) + pixel_bot
    out["crafted_encapsulated_basic_offset_table.dcm"] = part10(enc_bot, TS["jpeg"])
    return out


def dataset_after_meta(data):
    """(transfer syntax uid, data set bytes) of a Part 10 file with a meta group length."""
    if len(data) < 144 or data[128:132] != b"DICM" or data[132:136] != b"\2\0\0\0":
        return None
    if data[136:138] != b"UL":
        return None
    meta_len = struct.unpack_from("<I", data, 140)[0]
    start = 144 + meta_len
    meta = data[144:start]
    ts = None
    pos = 0
    while pos + 8 <= len(meta):
        g, e = struct.unpack_from("<HH", meta, pos)
        vr = meta[pos + 4:pos + 6]
        if vr in LONG_VRS:
            n = struct.unpack_from("<I", meta, pos + 8)[0]; hdr = 12
        else:
            n = struct.unpack_from("<H", meta, pos + 6)[0]; hdr = 8
        if (g, e) == (2, 0x10):
            ts = meta[pos + hdr:pos + hdr + n].rstrip(b"\0 ").decode("ascii", "replace")
        pos += hdr + n
    return ts, data[start:]


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def main():
    part10_dir = os.path.join(ROOT, "corpus", "part10_reader")
    dataset_dir = os.path.join(ROOT, "corpus", "dataset_reader")
    json_dir = os.path.join(ROOT, "corpus", "json_decoder")
    # Only (re)writes its own files: the corpora also hold inputs merged from fuzzing runs
    # (named by their SHA-1), which must survive a refresh.
    for d in (part10_dir, dataset_dir, json_dir):
        os.makedirs(d, exist_ok=True)

    files = {}
    for sub in ("test_files", "charset_files"):
        folder = os.path.join(PYDICOM, sub)
        for name in sorted(os.listdir(folder)):
            path = os.path.join(folder, name)
            if name.endswith(".dcm") and os.path.getsize(path) < MAX_SEED:
                files[f"pydicom_{sub.split('_')[0]}_{name}"] = open(path, "rb").read()
    # A few of the DICOMDIR test tree (the rest are near-duplicates).
    for rel in ("dicomdirtests/DICOMDIR-empty.dcm",
                "dicomdirtests/TINY_ALPHA/PT000000/ST000000/SE000000/IM000000",
                "dicomdirtests/77654033/CR1/6154", "dicomdirtests/98892001/CT2N/6924"):
        files["pydicom_test_" + rel.replace("/", "_")] = open(os.path.join(PYDICOM, "test_files", rel), "rb").read()
    files.update(crafted_files())

    for name, data in files.items():
        write(os.path.join(part10_dir, name), data)
        split = dataset_after_meta(data)
        if split is None or split[0] is None:
            continue
        ts, body = split
        selector = SELECTOR.get(ts, 4)
        write(os.path.join(dataset_dir, name + ".ds"), bytes([selector]) + body)

    # Bare data sets in every selector, including the same body under a "wrong" syntax.
    body = base_elements() + nested(6)
    for sel in range(5):
        write(os.path.join(dataset_dir, f"crafted_selector{sel}_explicit_nested6.ds"), bytes([sel]) + body)
    write(os.path.join(dataset_dir, "crafted_implicit_nested6_defined.ds"),
          b"\0" + base_elements(False) + nested(6, False, defined=True))
    write(os.path.join(dataset_dir, "crafted_bigendian_nested6.ds"),
          b"\2" + base_elements(True, True) + nested(6, True, True))
    write(os.path.join(dataset_dir, "crafted_deflated_nested6.ds"), b"\3" + deflate(body))

    for name in ("test1.json", "test_PN.json"):
        shutil.copy(os.path.join(PYDICOM, "test_files", name), os.path.join(json_dir, "pydicom_" + name))
    for name, obj in json_examples().items():
        with open(os.path.join(json_dir, name), "w") as f:
            json.dump(obj, f, indent=1)

    # Regressions crafted up front: nesting far beyond max_sequence_depth.
    reg = os.path.join(ROOT, "regressions")
    write(os.path.join(reg, "part10_reader", "deep-nesting-2000-levels-undefined-length"),
          part10(base_elements() + nested(2000), TS["explicit"]))
    write(os.path.join(reg, "part10_reader", "deep-nesting-2000-levels-deflated"),
          part10(deflate(base_elements() + nested(2000)), TS["deflated"]))
    write(os.path.join(reg, "dataset_reader", "deep-nesting-2000-levels-implicit"),
          b"\0" + base_elements(False) + nested(2000, False))
    write(os.path.join(reg, "dataset_reader", "deep-nesting-2000-levels-defined-length"),
          b"\1" + base_elements() + nested(2000, defined=True))
    leaf = '{"00100010":{"vr":"PN","Value":[{"Alphabetic":"Leaf^Node"}]}}'
    deep = '{"0040A730":{"vr":"SQ","Value":[' * 2000 + leaf + "]}}" * 2000
    os.makedirs(os.path.join(reg, "json_decoder"), exist_ok=True)
    with open(os.path.join(reg, "json_decoder", "deep-nesting-2000-levels"), "w") as f:
        f.write(deep)
    with open(os.path.join(reg, "json_decoder", "deep-json-arrays-100000-levels"), "w") as f:
        f.write('{"00100010":{"vr":"PN","Value":' + "[" * 100000 + "]" * 100000 + "}}")


def json_examples():
    """Examples in the shape of PS3.18 F.2 (F.2.1.1.2 and Table F.2.3-1), written for Bastion."""
    study = {
        "00080005": {"vr": "CS", "Value": ["ISO_IR 192"]},
        "00080020": {"vr": "DA", "Value": ["20130409"]},
        "00080030": {"vr": "TM", "Value": ["131600.0000"]},
        "00080050": {"vr": "SH", "Value": ["11235813"]},
        "00080056": {"vr": "CS", "Value": ["ONLINE"]},
        "00080061": {"vr": "CS", "Value": ["CT", "PET"]},
        "00080090": {"vr": "PN", "Value": [{"Alphabetic": "^Bob^^Dr."}]},
        "00081190": {"vr": "UR", "Value": ["https://example.org/studies/1.2.392.200036.9116.2.2.2.1762893313.1029997326.945873"]},
        "00090010": {"vr": "LO", "Value": ["Vendor A"]},
        "00091002": {"vr": "UN", "InlineBinary": "z0x9c8v7"},
        "00100010": {"vr": "PN", "Value": [{"Alphabetic": "Wang^XiaoDong", "Ideographic": "王^小東"}]},
        "00100020": {"vr": "LO", "Value": ["12345"]},
        "00100021": {"vr": "LO", "Value": ["Hospital A"]},
        "00100030": {"vr": "DA", "Value": ["19670701"]},
        "00100040": {"vr": "CS", "Value": ["M"]},
        "00101002": {"vr": "SQ", "Value": [
            {"00100020": {"vr": "LO", "Value": ["54321"]}, "00100021": {"vr": "LO", "Value": ["Hospital B"]}},
            {"00100020": {"vr": "LO", "Value": ["24680"]}, "00100021": {"vr": "LO", "Value": ["Hospital C"]}}]},
        "0020000D": {"vr": "UI", "Value": ["1.2.392.200036.9116.2.2.2.1762893313.1029997326.945873"]},
        "00200010": {"vr": "SH", "Value": ["11235813"]},
        "00201206": {"vr": "IS", "Value": [4]},
        "00201208": {"vr": "IS", "Value": [942]},
    }
    every_vr = {
        "00080016": {"vr": "UI", "Value": ["1.2.840.10008.5.1.4.1.1.7"]},
        "00080018": {"vr": "UI", "Value": ["2.25.1234567890"]},
        "00081160": {"vr": "IS", "Value": [1, 2, 3]},
        "00101010": {"vr": "AS", "Value": ["045Y"]},
        "00101020": {"vr": "DS", "Value": [1.75, -0.5, 1e3]},
        "00181030": {"vr": "LO"},
        "00204000": {"vr": "LT", "Value": ["line one\r\nline two"]},
        "00280010": {"vr": "US", "Value": [512]},
        "00280106": {"vr": "SS", "Value": [-32768]},
        "00281052": {"vr": "DS", "Value": ["-1024"]},
        "00186020": {"vr": "SL", "Value": [-2147483648, 2147483647]},
        "00209057": {"vr": "UL", "Value": [4294967295]},
        "00209165": {"vr": "AT", "Value": ["00100020", "7FE00010"]},
        "00460040": {"vr": "FD", "Value": [3.141592653589793, -0.0]},
        "00460042": {"vr": "FL", "Value": [1.5]},
        "00720078": {"vr": "UC", "Value": ["unlimited characters"]},
        "00720064": {"vr": "SV", "Value": [-9007199254740991]},
        "00720068": {"vr": "UV", "Value": [18446744073709551615]},
        "0040A124": {"vr": "UI", "Value": ["1.2.3"]},
        "0040A160": {"vr": "UT", "Value": ["unlimited text"]},
        "0040A30A": {"vr": "DS", "Value": [None, 2.5]},
        "00420011": {"vr": "OB", "InlineBinary": "AAECAwQFBgc="},
        "00660023": {"vr": "OF", "InlineBinary": "AACAPwAAAEA="},
        "00660040": {"vr": "OL", "InlineBinary": "AQAAAAIAAAA="},
        "7FE00008": {"vr": "OF", "BulkDataURI": "https://example.org/bulk/1"},
        "7FE00009": {"vr": "OD", "InlineBinary": "AAAAAAAA8D8="},
        "7FE00010": {"vr": "OW", "BulkDataURI": "https://example.org/studies/1/series/2/instances/3/frames/1"},
        "00100010": {"vr": "PN", "Value": [
            {"Alphabetic": "Yamada^Tarou", "Ideographic": "山田^太郎", "Phonetic": "やまだ^たろう"},
            {"Alphabetic": "Hong^Gildong", "Ideographic": "洪^吉洞", "Phonetic": "홍^길동"}]},
    }
    return {
        "ps3.18_f2_study_query_result.json": [study],
        "bastion_every_vr.json": every_vr,
        "bastion_empty_values.json": {"00100010": {"vr": "PN"}, "00100020": {"vr": "LO", "Value": []},
                                     "00081115": {"vr": "SQ", "Value": []}, "00081140": {"vr": "SQ"}},
        "bastion_nested_sequences.json": nested_json(6),
    }


def nested_json(depth):
    obj = {"00100010": {"vr": "PN", "Value": [{"Alphabetic": "Leaf^Node"}]}}
    for _ in range(depth):
        obj = {"0040A730": {"vr": "SQ", "Value": [obj, {"0040A160": {"vr": "UT", "Value": ["x"]}}]}}
    return obj


if __name__ == "__main__":
    main()
