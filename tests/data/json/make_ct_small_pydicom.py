#!/usr/bin/python3
"""Writes ct_small_pydicom.json: pydicom's DICOM JSON (Dataset.to_json_dict) of pydicom's
CT_small.dcm, without Pixel Data, as an independent reference for tests/dicom/json_model_test.cc.

Run once with the system pydicom (2.3): /usr/bin/python3 make_ct_small_pydicom.py
"""
import json

import pydicom
from pydicom.data import get_testdata_file

ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
d = ds.to_json_dict(bulk_data_threshold=1 << 30)
d.pop("7FE00010", None)
with open("ct_small_pydicom.json", "w") as f:
    json.dump(d, f, indent=1, sort_keys=True)
    f.write("\n")
