#!/usr/bin/python3
"""Writes the benchmark inputs (not committed) into a folder, default build/bench-data:

  ct_512.dcm          a 512x512 16-bit CT image (about 526 KB), typical modality output
  rtstruct_heavy.dcm  an RT Structure Set with 200 ROIs of 20 contours each: metadata-heavy,
                      deeply nested sequences, tens of thousands of elements
  ct/NNNN.dcm         --count N CT images of one series (for whole-process comparisons)

Run with Debian's /usr/bin/python3 (python3-pydicom, python3-numpy):
  /usr/bin/python3 bench/make_bench_files.py [--out DIR] [--count N] [--size 512]
"""
import argparse
import os

import numpy as np
from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian

ROOT = "2.25.3014593021875523908132985712836140"


def meta_for(sop_class, sop_instance):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = sop_instance
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    return meta


def common(ds, i):
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.PatientName = "Bench^Patient"
    ds.PatientID = "BENCH-1"
    ds.PatientBirthDate = "19600101"
    ds.PatientSex = "O"
    ds.StudyInstanceUID = ROOT + ".1"
    ds.SeriesInstanceUID = ROOT + ".2"
    ds.StudyDate = "20260101"
    ds.StudyTime = "120000"
    ds.AccessionNumber = "A1"
    ds.ReferringPhysicianName = "Ref^Doctor"
    ds.StudyID = "1"
    ds.SeriesNumber = 1
    ds.InstanceNumber = i + 1


def write_ct(path, i, size):
    uid = "%s.3.%d" % (ROOT, i)
    ds = FileDataset(path, {}, file_meta=meta_for("1.2.840.10008.5.1.4.1.1.2", uid),
                     preamble=b"\0" * 128)
    common(ds, i)
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    ds.SOPInstanceUID = uid
    ds.Modality = "CT"
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    ds.ImagePositionPatient = [-250.0, -250.0, float(i)]
    ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    ds.PixelSpacing = [0.9765625, 0.9765625]
    ds.SliceThickness = 1.0
    ds.KVP = 120
    ds.Rows = size
    ds.Columns = size
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = 16
    ds.BitsStored = 12
    ds.HighBit = 11
    ds.PixelRepresentation = 0
    ds.RescaleIntercept = "-1024"
    ds.RescaleSlope = "1"
    ds.WindowCenter = "40"
    ds.WindowWidth = "400"
    rng = np.random.default_rng(i)
    ds.PixelData = rng.integers(0, 4096, size * size, dtype=np.uint16).tobytes()
    ds.is_little_endian = True
    ds.is_implicit_VR = False
    ds.save_as(path, write_like_original=False)


def write_rtstruct(path, rois=200, contours=20, points=32):
    uid = ROOT + ".4.1"
    ds = FileDataset(path, {}, file_meta=meta_for("1.2.840.10008.5.1.4.1.1.481.3", uid),
                     preamble=b"\0" * 128)
    common(ds, 0)
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.481.3"
    ds.SOPInstanceUID = uid
    ds.Modality = "RTSTRUCT"
    ds.StructureSetLabel = "BENCH"
    ds.StructureSetROISequence = Sequence()
    ds.ROIContourSequence = Sequence()
    ds.RTROIObservationsSequence = Sequence()
    for r in range(rois):
        roi = Dataset()
        roi.ROINumber = r + 1
        roi.ReferencedFrameOfReferenceUID = ROOT + ".5"
        roi.ROIName = "ROI %d" % r
        roi.ROIGenerationAlgorithm = "MANUAL"
        ds.StructureSetROISequence.append(roi)
        rc = Dataset()
        rc.ReferencedROINumber = r + 1
        rc.ROIDisplayColor = [255, 0, 0]
        rc.ContourSequence = Sequence()
        for c in range(contours):
            contour = Dataset()
            image = Dataset()
            image.ReferencedSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
            image.ReferencedSOPInstanceUID = "%s.3.%d" % (ROOT, c)
            contour.ContourImageSequence = Sequence([image])
            contour.ContourGeometricType = "CLOSED_PLANAR"
            contour.NumberOfContourPoints = points
            contour.ContourData = [round(float(v), 2) for v in
                                   np.linspace(-100, 100, points * 3)]
            rc.ContourSequence.append(contour)
        ds.ROIContourSequence.append(rc)
        obs = Dataset()
        obs.ObservationNumber = r + 1
        obs.ReferencedROINumber = r + 1
        obs.RTROIInterpretedType = "ORGAN"
        obs.ROIInterpreter = ""
        ds.RTROIObservationsSequence.append(obs)
    ds.is_little_endian = True
    ds.is_implicit_VR = False
    ds.save_as(path, write_like_original=False)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="build/bench-data")
    ap.add_argument("--count", type=int, default=0)
    ap.add_argument("--size", type=int, default=512)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    write_ct(os.path.join(args.out, "ct_512.dcm"), 0, 512)
    write_rtstruct(os.path.join(args.out, "rtstruct_heavy.dcm"))
    if args.count:
        os.makedirs(os.path.join(args.out, "ct"), exist_ok=True)
        for i in range(args.count):
            write_ct(os.path.join(args.out, "ct", "%04d.dcm" % i), i, args.size)


if __name__ == "__main__":
    main()
