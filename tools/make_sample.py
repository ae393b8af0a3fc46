#!/usr/bin/python3
"""Writes tests/data/samples/synthetic_ct.dcm: a small synthetic CT image (64x64, 16-bit) with a
fictitious patient, used by `make serve` to demonstrate the codec and by tests as a known file.

Run with Debian's /usr/bin/python3 (python3-pydicom, python3-numpy). The output is committed;
re-run only to change the sample.
"""
import os

import numpy as np
from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "samples",
                   "synthetic_ct.dcm")
ROOT = "2.25.181907287451036546453128419846012094817"  # a fixed UUID-derived root for samples

meta = FileMetaDataset()
meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
meta.MediaStorageSOPInstanceUID = ROOT + ".3.1"
meta.TransferSyntaxUID = ExplicitVRLittleEndian
ds = FileDataset(OUT, {}, file_meta=meta, preamble=b"\0" * 128)
ds.SpecificCharacterSet = "ISO_IR 192"
ds.SOPClassUID = meta.MediaStorageSOPClassUID
ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
ds.StudyInstanceUID = ROOT + ".1"
ds.SeriesInstanceUID = ROOT + ".2"
ds.Modality = "CT"
ds.PatientName = "Synthetic^Sample"
ds.PatientID = "SAMPLE-0001"
ds.PatientBirthDate = "19700101"
ds.StudyDate = "20260101"
ds.StudyDescription = "Synthetic sample, no real patient"
ds.SeriesNumber = 1
ds.InstanceNumber = 1
ds.Rows = 64
ds.Columns = 64
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
y, x = np.mgrid[0:64, 0:64]
image = (1024 + 800 * np.exp(-((x - 32) ** 2 + (y - 32) ** 2) / 200.0)).astype(np.uint16)
ds.PixelData = image.tobytes()
ds.is_little_endian = True
ds.is_implicit_VR = False
ds.save_as(OUT, write_like_original=False)
print("wrote", OUT)
