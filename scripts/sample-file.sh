#!/usr/bin/env bash
# Prints the path of the sample DICOM file `make serve` dumps until the server exists.
# Prefers a sample committed under tests/data/samples (written by tools/make_sample.py); falls
# back to pydicom's CT_small.dcm (Debian package python3-pydicom) and says so on stderr.
# Exits 1 if there is no sample at all.
set -euo pipefail
cd "$(dirname "$0")/.."

committed=(tests/data/samples/synthetic_ct.dcm tests/data/samples/ct_small.dcm)
fallback=/usr/lib/python3/dist-packages/pydicom/data/test_files/CT_small.dcm

for sample in "${committed[@]}"; do
  if [[ -f "$sample" ]]; then
    echo "$sample"
    exit 0
  fi
done
if [[ -f "$fallback" ]]; then
  echo "sample-file: no sample in tests/data/samples (${committed[*]}); using pydicom's $fallback" >&2
  echo "$fallback"
  exit 0
fi
echo "sample-file: no sample DICOM file: none of ${committed[*]} $fallback exists" >&2
echo "sample-file: (the last one comes from: apt-get install python3-pydicom)" >&2
exit 1
