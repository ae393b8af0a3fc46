#!/usr/bin/python3
"""Seeds for instance_record_fuzz: small data sets with the UIDs and text attributes the index
extracts, in the four native transfer syntaxes (byte 0 selects it, as the target expects), with
valid and invalid UIDs and several Specific Character Sets.

  /usr/bin/python3 fuzz/make_instance_record_seeds.py fuzz/corpus/instance_record
"""
import hashlib
import io
import sys
import zlib

from pydicom.dataset import Dataset
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_dataset


def encode(ds, selector):
    little = selector != 2
    implicit = selector == 0
    buf = DicomBytesIO()
    buf.is_little_endian = little
    buf.is_implicit_VR = implicit
    write_dataset(buf, ds)
    data = buf.getvalue()
    if selector == 3:
        c = zlib.compressobj(9, zlib.DEFLATED, -15)
        data = c.compress(data) + c.flush()
    return bytes([selector]) + data


def make(study="1.2.826.0.1.3680043.2.1", sop="1.2.826.0.1.3680043.2.1.1.1", charset=None,
         name="Doe^Jane"):
    ds = Dataset()
    if charset:
        ds.SpecificCharacterSet = charset
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    ds.SOPInstanceUID = sop
    ds.StudyDate = "20261201"
    ds.AccessionNumber = "A123"
    ds.Modality = "CT"
    ds.InstitutionName = "General Hospital"
    ds.ReferringPhysicianName = "Who^Doctor"
    ds.PatientName = name
    ds.PatientID = "PID-1"
    ds.IssuerOfPatientID = "HOSP"
    ds.StudyInstanceUID = study
    ds.SeriesInstanceUID = study + ".1"
    ds.SeriesNumber = "3"
    ds.InstanceNumber = "7"
    return ds


def main(out):
    cases = [
        make(),
        make(charset="ISO_IR 100", name="M\u00fcller^J\u00f6rg"),
        make(charset="ISO_IR 192", name="\u5c71\u7530^\u592a\u90ce"),
        make(charset="ISO 2022 IR 87", name="Yamada^Tarou=\u5c71\u7530^\u592a\u90ce"),
        make(study="1.2.3/../../etc"),
        make(study="1." + "2" * 70),
        make(sop="1..2"),
    ]
    n = 0
    for ds in cases:
        for selector in range(4):
            try:
                seed = encode(ds, selector)
            except Exception:  # pydicom cannot encode this case in this syntax
                continue
            with open(f"{out}/{hashlib.sha1(seed).hexdigest()}", "wb") as f:
                f.write(seed)
            n += 1
    print(f"{n} seeds in {out}")


if __name__ == "__main__":
    main(sys.argv[1])
