#!/usr/bin/python3
"""Write one large DICOM instance: Multi-frame Grayscale Word Secondary Capture, Explicit VR Little
Endian, 512x512 16-bit frames (512 KiB each), SIZE_MIB * 2 frames, so the pixel data is exactly
SIZE_MIB MiB (1024 -> 1 GiB, 2,048 frames). The header is written with pydicom, the pixel data is
streamed after it (never held in memory whole). Deterministic UIDs.

  /usr/bin/python3 make_big_instance.py OUT.dcm [SIZE_MIB=1024]
"""
import struct
import sys

import numpy as np
from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

MF_GRAYSCALE_WORD_SC = "1.2.840.10008.5.1.4.1.1.7.3"
PREFIX = "1.2.826.0.1.3680043.8.498."
ROWS = COLS = 512
FRAME_BYTES = ROWS * COLS * 2


def uid(what, size):
    return generate_uid(prefix=PREFIX, entropy_srcs=["bastion-big-instance", what, str(size)])


def main():
    out = sys.argv[1]
    size_mib = int(sys.argv[2]) if len(sys.argv) > 2 else 1024
    frames = size_mib * 1024 * 1024 // FRAME_BYTES
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = MF_GRAYSCALE_WORD_SC
    meta.MediaStorageSOPInstanceUID = uid("sop", size_mib)
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = PREFIX + "1"
    ds = FileDataset(None, {}, file_meta=meta, preamble=b"\0" * 128)
    ds.is_little_endian = True
    ds.is_implicit_VR = False
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.SOPClassUID = MF_GRAYSCALE_WORD_SC
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyDate = "20260101"
    ds.StudyTime = "120000"
    ds.AccessionNumber = "BIG1"
    ds.Modality = "OT"
    ds.ConversionType = "WSD"
    ds.PatientName = "BIG^INSTANCE"
    ds.PatientID = "BIG0001"
    ds.PatientBirthDate = "19700101"
    ds.PatientSex = "O"
    ds.StudyInstanceUID = uid("study", size_mib)
    ds.SeriesInstanceUID = uid("series", size_mib)
    ds.StudyID = "1"
    ds.SeriesNumber = 1
    ds.InstanceNumber = 1
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.NumberOfFrames = frames
    ds.FrameIncrementPointer = 0x00181063  # Frame Time
    ds.FrameTime = "33.3"
    ds.Rows = ROWS
    ds.Columns = COLS
    ds.BitsAllocated = 16
    ds.BitsStored = 12
    ds.HighBit = 11
    ds.PixelRepresentation = 0
    ds.save_as(out, write_like_original=False)

    rng = np.random.default_rng(1)
    y, x = np.ogrid[-1:1:complex(0, ROWS), -1:1:complex(0, COLS)]
    body = ((x / 0.85) ** 2 + (y / 0.65) ** 2 < 1).astype(np.uint16) * 1064
    pool = [(body + rng.integers(0, 40, size=(ROWS, COLS), dtype=np.uint16) * (body > 0)).astype("<u2").tobytes()
            for _ in range(16)]
    with open(out, "ab") as f:
        f.write(struct.pack("<HH2sHI", 0x7FE0, 0x0010, b"OW", 0, frames * FRAME_BYTES))
        for i in range(frames):
            f.write(pool[i % len(pool)])
    print(f"wrote {out}: {frames} frames, pixel data {frames * FRAME_BYTES} bytes")


if __name__ == "__main__":
    main()
