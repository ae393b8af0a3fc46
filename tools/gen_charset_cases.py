#!/usr/bin/python3
"""Generates tests/data/charset_cases.json: Specific Character Set decoding cases.

Each case is one text value: its raw bytes (hex), VR, the (0008,0005) terms in force and the
UTF-8 text it decodes to. Sources:
  * the character set test files Debian's python3-pydicom ships (pydicom/data/charset_files),
    which include the PS3.5 Annex H, I and J examples (chrH31, chrH32, chrI2, chrX1, chrX2);
  * values built here from the Annex J examples and from code tables, for sets those files
    do not cover (ISO 2022 IR 58, IR 159, GBK, GB18030 four-byte, the other ISO 8859 parts).

"expected" is what pydicom 2.3's own decoder (pydicom.charset.decode_bytes, applied per value
and per PN component group as pydicom does) returns, unless the case is listed in EXCEPTIONS,
where the standard says otherwise; then "expected" is the standard's reading, "pydicom" keeps
pydicom's output and "reason" says why. Bastion reads none of this at run time: charset_test.cc
checks that it decodes every case to "expected".

Refresh: /usr/bin/python3 tools/gen_charset_cases.py && git diff --stat tests/data/
"""
import glob
import json
import os
import warnings

import pydicom
from pydicom.charset import convert_encodings, decode_bytes
from pydicom.dataelem import RawDataElement
from pydicom.datadict import dictionary_VR
from pydicom.valuerep import PN_DELIMS, TEXT_VR_DELIMS

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data",
                   "charset_cases.json")
CHARSET_DIR = os.path.join(os.path.dirname(pydicom.__file__), "data", "charset_files")
TEXT_VRS = {"SH", "LO", "ST", "LT", "UC", "UT", "PN"}
SINGLE_VALUED = {"ST", "LT", "UT"}
SCS = 0x00080005
ESC = b"\x1b"

# (source, tag) -> (expected, reason): cases where pydicom's output is not the standard's.
_IR58_REASON = ("pydicom 2.3 decodes ISO 2022 IR 58 runs with Python's iso_ir_58 (gb2312) codec, "
                "which keeps the ESC $ ) A designation as text; PS3.5 J.3 reads it as switching "
                "G1 to GB 2312, so it contributes no characters")
EXCEPTIONS = {
    ("constructed", "J.3 IR 58 PN"): ("Zhang^XiaoDong=张^小东=", _IR58_REASON),
    ("constructed", "J.3 IR 58 LO"): ("第一次检查 ", _IR58_REASON),
}


def pydicom_decode(raw, vr, terms):
    """Decodes like pydicom's reader: split values at '\\', PN component groups at '='."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        encodings = convert_encodings(terms or ["ISO_IR 6"])
        values = [raw] if vr in SINGLE_VALUED else raw.split(b"\\")
        out = []
        for value in values:
            if vr == "PN":
                out.append("=".join(decode_bytes(group, encodings, PN_DELIMS)
                                    for group in value.split(b"=")))
            else:
                out.append(decode_bytes(value, encodings, TEXT_VR_DELIMS))
        return "\\".join(out)


def terms_of(dataset, inherited):
    if SCS not in dataset:
        return inherited
    raw = dataset._dict[pydicom.tag.Tag(SCS)]
    value = raw.value if isinstance(raw, RawDataElement) else None
    if isinstance(value, bytes):
        return [t.strip(" \0") for t in value.decode("ascii").split("\\")]
    return list(dataset.SpecificCharacterSet) if dataset[SCS].VM > 1 else [dataset[SCS].value]


def walk(dataset, terms, source, path, cases):
    terms = terms_of(dataset, terms)
    for tag in sorted(dataset.keys()):
        raw = dataset._dict[tag]
        vr = raw.VR if isinstance(raw, RawDataElement) and raw.VR else dictionary_VR(tag)
        vr = str(vr)
        where = path + f"({tag.group:04X},{tag.element:04X})"
        if vr == "SQ":
            for index, item in enumerate(dataset[tag].value):
                walk(item, terms, source, f"{where}[{index}]", cases)
            continue
        if vr not in TEXT_VRS or not isinstance(raw, RawDataElement) or not raw.value:
            continue
        cases.append(make_case(source, where, vr, terms, raw.value))


def make_case(source, tag, vr, terms, raw, text=None, codec=None):
    """`text`/`codec`: what a constructed value was encoded from, the reference when pydicom
    does not know the term (it has no ISO_IR 203) and a cross-check when it does."""
    case = {"source": source, "tag": tag, "vr": vr, "charset": terms, "hex": raw.hex()}
    try:
        decoded = pydicom_decode(raw, vr, terms)
    except (UserWarning, LookupError, UnicodeError) as e:
        if text is None:
            raise
        case.update(expected=text, reference=f"Python codec {codec}; pydicom: {e}")
        return case
    if text is not None and decoded != text:
        raise SystemExit(f"{tag}: pydicom decodes {decoded!r}, encoded from {text!r}")
    if (source, tag) in EXCEPTIONS:
        expected, reason = EXCEPTIONS[(source, tag)]
        case.update(expected=expected, pydicom=decoded, reason=reason)
    else:
        case["expected"] = decoded
    return case


def constructed_cases():
    """Values for sets the shipped files do not cover, encoded from the code tables."""
    cases = []

    def add(name, vr, terms, raw, text=None, codec=None):
        cases.append(make_case("constructed", name, vr, terms, raw, text, codec))

    # PS3.5 J.3: ISO 2022 IR 58 (GB 2312 in G1), "Zhang^XiaoDong=张^小东=".
    gb = lambda s: s.encode("gb2312")
    add("J.3 IR 58 PN", "PN", ["", "ISO 2022 IR 58"],
        b"Zhang^XiaoDong=\x1b$)A" + gb("张") + b"^\x1b$)A" + gb("小东") + b"=")
    add("J.3 IR 58 LO", "LO", ["", "ISO 2022 IR 58"], b"\x1b$)A" + gb("第一次检查") + b" ")
    # PS3.5 J.2: GBK, "Wang^XiaoDong=王^小东=".
    add("J.2 GBK PN", "PN", ["GBK"], b"Wang^XiaoDong=" + "王^小东".encode("gbk") + b"=")
    # GB18030 characters outside GBK take four bytes.
    add("GB18030 four-byte LO", "LO", ["GB18030"], "é€😀 X".encode("gb18030"))
    # ISO 2022 IR 159 (JIS X 0212 in G0), e.g. for rare family names.
    jis212 = "丂乚".encode("iso2022_jp_2")  # ESC $ ( D ... ESC ( B
    add("IR 159 PN", "PN", ["", "ISO 2022 IR 87", "ISO 2022 IR 159"],
        b"Yamada^Tarou=" + jis212 + b"^" + "太郎".encode("iso2022_jp"))
    # ISO_IR 13 without code extensions: half-width katakana in G1.
    add("IR 13 PN", "PN", ["ISO_IR 13"], "ﾔﾏﾀﾞ^ﾀﾛｳ".encode("shift_jis"))
    # Switching between two single-byte G1 sets.
    add("IR 100 + IR 144 LO", "LO", ["ISO 2022 IR 100", "ISO 2022 IR 144"],
        "Jérôme ".encode("latin_1") + b"\x1b-L" + "Люксембург".encode("iso8859_5"))
    for term, codec, text in [
        ("ISO_IR 101", "iso8859_2", "Dvořák^Łukasz"),
        ("ISO_IR 109", "iso8859_3", "Ħal Għargħur"),
        ("ISO_IR 110", "iso8859_4", "Ķekava Ņikita"),
        ("ISO_IR 148", "iso8859_9", "Işıklı^Gülşen"),
        ("ISO_IR 203", "iso8859_15", "Œuvre 5€"),
        ("ISO_IR 166", "tis_620", "สมชาย^ใจดี"),
    ]:
        add(term, "PN" if "^" in text else "LO", [term], text.encode(codec), text, codec)
    return cases


def main():
    cases = []
    for path in sorted(glob.glob(os.path.join(CHARSET_DIR, "*.dcm"))):
        ds = pydicom.dcmread(path)
        walk(ds, None, os.path.basename(path), "", cases)
    cases += constructed_cases()
    # Identical (charset, vr, bytes) triples add nothing: keep the first.
    seen, unique = set(), []
    for case in cases:
        key = (tuple(case["charset"] or []), case["vr"], case["hex"])
        if key not in seen:
            seen.add(key)
            unique.append(case)
    doc = {
        "description": "Specific Character Set decoding cases; see tools/gen_charset_cases.py",
        "generator": f"tools/gen_charset_cases.py with pydicom {pydicom.__version__}",
        "cases": unique,
    }
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {len(unique)} cases to {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
