#!/usr/bin/python3
"""Seeds for qido_params_fuzz: QIDO-RS query parameters (PS3.18 8.3.4) as the target reads them.
Byte 0 selects the resource (% 6: all studies, all series, series of a study, all instances,
instances of a study, instances of a series) and, with bit 3, tiny limits; then one
name=value pair per line, already percent-decoded. Each parameter list is written for every
resource with default limits, and for one resource with tiny limits. The committed corpus is
these seeds merged (-merge=1) with what a fuzzing run added.

  /usr/bin/python3 fuzz/make_qido_seeds.py fuzz/corpus/qido_params
"""
import hashlib
import os
import sys

CASES = [
    [],
    [("PatientName", "Doe*")],
    [("00100010", "doe^j?"), ("fuzzymatching", "true")],
    [("PatientName", "smi"), ("fuzzymatching", "false")],
    [("PatientName", "M\u00fcller^J\u00f6rg")],
    [("ReferringPhysicianName", "\u5c71\u7530^\u592a\u90ce")],
    [("PatientID", "P1"), ("StudyDate", "20260101-20260131")],
    [("StudyDate", "-20251231"), ("StudyTime", "080000-")],
    [("StudyDate", "2026-01-01")],
    [("StudyInstanceUID", "1.2.3,1.2.4\\1.2.5")],
    [("StudyInstanceUID", "1.2,,3")],
    [("0020000d", "1.2.840.10008.1")],
    [("SeriesInstanceUID", "1.2.3.4"), ("Modality", "CT")],
    [("SeriesNumber", "-3"), ("InstanceNumber", "12")],
    [("SeriesNumber", "1;DROP")],
    [("SOPInstanceUID", "1.2.3.4.5"), ("SOPClassUID", "1.2.840.10008.5.1.4.1.1.2")],
    [("AccessionNumber", "100%_x*"), ("StudyDescription", "CT*")],
    [("AccessionNumber", "*")],
    [("includefield", "all")],
    [("includefield", "StudyDescription,00080080"), ("includefield", "PatientAge")],
    [("includefield", "ReferencedStudySequence,SOPInstanceUID")],
    [("includefield", "00081110.00081150")],
    [("includefield", "PatientName,,StudyDate")],
    [("limit", "10"), ("offset", "20")],
    [("limit", "0")],
    [("limit", "99999999999999999999999")],
    [("offset", "-1")],
    [("limit", "5"), ("limit", "6")],
    [("fuzzymatching", "yes")],
    [("00081110.00081150", "1.2.3")],
    [("00091010", "private")],
    [("00100011", "unknown")],
    [("patientname", "lowercase")],
    [("PatientID", "1"), ("00100020", "2")],
    [("ModalitiesInStudy", "CT")],
    [("InstitutionalDepartmentName", "")],
    [("PatientName", "Doe\\Smith")],
    [("PatientName", "Doe\x01")],
    [("StudyInstanceUID", "1.2.3")],
    [("SeriesInstanceUID", "1.2.3.4")],
    [("SpecificCharacterSet", "ISO_IR 100"), ("PatientName", "x")],
    [("QueryRetrieveLevel", "")],
    [("x", "1")],
]


def encode(selector, params):
    text = "\n".join(name + "=" + value for name, value in params)
    return bytes([selector]) + text.encode("utf-8")


def main(out):
    os.makedirs(out, exist_ok=True)
    seeds = set()
    for i, params in enumerate(CASES):
        for resource in range(6):
            seeds.add(encode(resource, params))
        seeds.add(encode(8 | (i % 6), params))
    # Invalid UTF-8 in a text value, and a line without '='.
    seeds.add(bytes([0]) + b"PatientName=M\xfcller")
    seeds.add(bytes([1]) + b"includefield\nModality=MR")
    for seed in sorted(seeds):
        with open(os.path.join(out, hashlib.sha1(seed).hexdigest()), "wb") as f:
            f.write(seed)
    print(f"{len(seeds)} seeds in {out}")


if __name__ == "__main__":
    main(sys.argv[1])
