#!/usr/bin/python3
# From the team's benchmark starting kit (shared/bench/gen_dataset.py), kept in the repository so
# that the tests and benchmarks that need a generated corpus run from a clean clone.
"""Synthetic DICOM corpus generator for PACS benchmarks.

Run with the Debian python (has pydicom 2.3 + numpy):
  /usr/bin/python3 gen_dataset.py --out /tmp/bench-data/ct   --patients 5   --studies 2 --series 2 --instances 100            # 2000 CT 512x512 (~1 GB)
  /usr/bin/python3 gen_dataset.py --out /tmp/bench-data/tiny --patients 500 --studies 2 --series 1 --instances 5 --size 64  # 5000 tiny
  /usr/bin/python3 gen_dataset.py --out /tmp/bench-data/many --patients 1000 --studies 2 --series 1 --instances 1 --size 64 --seed 7

Layout: OUT/P<p>/S<s>/SE<e>/IM<i>.dcm ; also writes OUT/manifest.csv
(patient_id, patient_name, study_uid, series_uid, sop_uid, accession, path, bytes).
CT Image Storage, Explicit VR Little Endian, 16-bit MONOCHROME2 (signed, 12 bits stored,
rescale -1024), deterministic UIDs derived from --seed (so re-runs give the same UIDs).
"""
import argparse
import csv
import datetime
import os
import random
import zlib

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2"
UID_PREFIX = "1.2.826.0.1.3680043.8.498."  # pydicom's registered example root

LAST = ["SMITH", "JOHNSON", "WILLIAMS", "BROWN", "JONES", "MUELLER", "GARCIA", "MARTIN",
        "DUPONT", "ROSSI", "NOVAK", "KOWALSKI", "TANAKA", "SILVA", "NGUYEN", "PETERSEN",
        "OCONNOR", "SCHMIDT", "LEROY", "FISCHER"]
FIRST = ["JOHN", "MARY", "ANNA", "PETER", "LUCAS", "EMMA", "NOAH", "SOFIA", "LIAM", "MIA",
         "JAN", "EVA", "PAUL", "LEA", "MARC", "IDA"]
DESCR = ["CT CHEST W/O CONTRAST", "CT ABDOMEN PELVIS W CONTRAST", "CT HEAD W/O CONTRAST",
         "CT ANGIO CHEST", "CT LUMBAR SPINE", "CT SINUS", "CT CARDIAC CALCIUM SCORE"]
SERIES_DESCR = ["AXIAL 1.25MM", "AXIAL 5MM", "CORONAL MPR", "SAGITTAL MPR", "BONE KERNEL"]


def uid(seed, *parts):
    return generate_uid(prefix=UID_PREFIX, entropy_srcs=[str(seed)] + [str(p) for p in parts])


def phantom(size, z, rng):
    """Cheap CT-like slice: body ellipse (~0 HU), lungs (~-800 HU), bone ring, noise.
    Stored values = HU + 1024 (RescaleIntercept -1024), air = 0."""
    y, x = np.ogrid[-1:1:complex(0, size), -1:1:complex(0, size)]
    img = np.zeros((size, size), dtype=np.int16)
    body = (x / 0.85) ** 2 + (y / 0.65) ** 2 < 1
    img[body] = 1024 + 40
    r = 0.25 + 0.05 * np.sin(z / 15.0)
    lung_l = ((x + 0.35) / r) ** 2 + (y / 0.4) ** 2 < 1
    lung_r = ((x - 0.35) / r) ** 2 + (y / 0.4) ** 2 < 1
    img[lung_l | lung_r] = 1024 - 800
    ring = np.abs(np.sqrt((x / 0.85) ** 2 + (y / 0.65) ** 2) - 0.93) < 0.03
    img[ring] = 1024 + 700
    noise = rng.integers(-20, 21, size=(size, size), dtype=np.int16)
    img = np.clip(img + noise * body, 0, 4095).astype(np.int16)
    return img


def make_instance(a, p, s, e, i, pat, study, series, rng, noise_cache):
    now = datetime.datetime.now()
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CT_IMAGE_STORAGE
    sop_uid = uid(a.seed, "sop", p, s, e, i)
    meta.MediaStorageSOPInstanceUID = sop_uid
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = UID_PREFIX + "1"
    meta.ImplementationVersionName = "PACSBENCH_GEN1"
    ds = FileDataset(None, {}, file_meta=meta, preamble=b"\0" * 128)
    ds.is_little_endian = True
    ds.is_implicit_VR = False
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    ds.InstanceCreationDate = now.strftime("%Y%m%d")
    ds.InstanceCreationTime = now.strftime("%H%M%S")
    ds.SOPClassUID = CT_IMAGE_STORAGE
    ds.SOPInstanceUID = sop_uid
    ds.StudyDate = study["date"]
    ds.SeriesDate = study["date"]
    ds.AcquisitionDate = study["date"]
    ds.ContentDate = study["date"]
    ds.StudyTime = study["time"]
    ds.SeriesTime = study["time"]
    ds.ContentTime = study["time"]
    ds.AccessionNumber = study["accession"]
    ds.Modality = "CT"
    ds.Manufacturer = "PACSBENCH"
    ds.InstitutionName = "BENCH GENERAL HOSPITAL"
    ds.ReferringPhysicianName = "WHO^CARES"
    ds.StationName = "CT01"
    ds.StudyDescription = study["descr"]
    ds.SeriesDescription = series["descr"]
    ds.ManufacturerModelName = "SYNTH-CT"
    ds.PatientName = pat["name"]
    ds.PatientID = pat["id"]
    ds.IssuerOfPatientID = "BENCH"
    ds.PatientBirthDate = pat["birth"]
    ds.PatientSex = pat["sex"]
    ds.PatientAge = pat["age"]
    ds.BodyPartExamined = "CHEST"
    ds.SliceThickness = "1.25"
    ds.KVP = "120"
    ds.DeviceSerialNumber = "0001"
    ds.SoftwareVersions = "1.0"
    ds.ProtocolName = study["descr"]
    ds.PatientPosition = "HFS"
    ds.StudyInstanceUID = study["uid"]
    ds.SeriesInstanceUID = series["uid"]
    ds.StudyID = str(s + 1)
    ds.SeriesNumber = e + 1
    ds.AcquisitionNumber = 1
    ds.InstanceNumber = i + 1
    z = -1.25 * i + 0.0
    ds.ImagePositionPatient = ["-250", "-250", f"{z:.2f}"]
    ds.ImageOrientationPatient = ["1", "0", "0", "0", "1", "0"]
    ds.FrameOfReferenceUID = study["for"]
    ds.PositionReferenceIndicator = ""
    ds.SliceLocation = f"{z:.2f}"
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = a.size
    ds.Columns = a.size
    ds.PixelSpacing = [f"{500.0 / a.size:.4f}", f"{500.0 / a.size:.4f}"]
    ds.BitsAllocated = 16
    ds.BitsStored = 12
    ds.HighBit = 11
    ds.PixelRepresentation = 1
    ds.WindowCenter = "40"
    ds.WindowWidth = "400"
    ds.RescaleIntercept = "-1024"
    ds.RescaleSlope = "1"
    ds.RescaleType = "HU"
    key = i % 32  # reuse 32 phantom slices per size to keep generation fast; noise differs via roll
    if key not in noise_cache:
        noise_cache[key] = phantom(a.size, key, rng)
    img = np.roll(noise_cache[key], (i * 7 + e * 3 + s) % a.size, axis=1)
    ds.PixelData = img.tobytes()
    return ds


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--patients", type=int, default=5)
    ap.add_argument("--studies", type=int, default=2, help="studies per patient")
    ap.add_argument("--series", type=int, default=2, help="series per study")
    ap.add_argument("--instances", type=int, default=100, help="instances per series")
    ap.add_argument("--size", type=int, default=512, help="rows=columns (512 = CT, 64 = tiny)")
    ap.add_argument("--seed", default="1", help="UID/name seed; use different seeds for disjoint corpora")
    a = ap.parse_args()

    rnd = random.Random(a.seed)
    rng = np.random.default_rng(zlib.crc32(a.seed.encode()))
    os.makedirs(a.out, exist_ok=True)
    noise_cache = {}
    n = 0
    total = 0
    with open(os.path.join(a.out, "manifest.csv"), "w", newline="") as mf:
        w = csv.writer(mf)
        w.writerow(["patient_id", "patient_name", "study_uid", "series_uid", "sop_uid", "accession", "path", "bytes"])
        for p in range(a.patients):
            by = rnd.randint(1930, 2015)
            pat = {
                "id": f"S{a.seed}P{p:06d}",
                "name": f"{rnd.choice(LAST)}^{rnd.choice(FIRST)}",
                "birth": f"{by}{rnd.randint(1, 12):02d}{rnd.randint(1, 28):02d}",
                "sex": rnd.choice("MF"),
                "age": f"{2024 - by:03d}Y",
            }
            for s in range(a.studies):
                d = datetime.date(2015, 1, 1) + datetime.timedelta(days=rnd.randint(0, 3400))
                study = {
                    "uid": uid(a.seed, "study", p, s),
                    "for": uid(a.seed, "for", p, s),
                    "date": d.strftime("%Y%m%d"),
                    "time": f"{rnd.randint(7, 19):02d}{rnd.randint(0, 59):02d}{rnd.randint(0, 59):02d}",
                    "accession": f"A{a.seed}{p:06d}{s:02d}",
                    "descr": rnd.choice(DESCR),
                }
                for e in range(a.series):
                    series = {"uid": uid(a.seed, "series", p, s, e), "descr": SERIES_DESCR[e % len(SERIES_DESCR)]}
                    d_dir = os.path.join(a.out, f"P{p:05d}", f"S{s:02d}", f"SE{e:02d}")
                    os.makedirs(d_dir, exist_ok=True)
                    for i in range(a.instances):
                        ds = make_instance(a, p, s, e, i, pat, study, series, rng, noise_cache)
                        path = os.path.join(d_dir, f"IM{i:05d}.dcm")
                        ds.save_as(path, write_like_original=False)
                        sz = os.path.getsize(path)
                        total += sz
                        n += 1
                        w.writerow([pat["id"], pat["name"], study["uid"], series["uid"], ds.SOPInstanceUID,
                                    study["accession"], path, sz])
    print(f"wrote {n} instances, {total} bytes ({total / 1e6:.1f} MB) to {a.out}")


if __name__ == "__main__":
    main()
