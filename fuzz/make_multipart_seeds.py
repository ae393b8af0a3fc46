#!/usr/bin/env python3
"""Writes the seed corpus of multipart_fuzz (fuzz/corpus/multipart/).

Each seed is two bytes choosing the chunk size the body is fed in (1 + value % 1024), then a
multipart/related body with the boundary "fuzzb" (the one multipart_fuzz.cc uses). The body's
first line also goes to ParseMediaType, ParseAccept and ParseTarget, so some seeds start with a
Content-Type, an Accept value or a request target instead of a body.
The bodies are written here by hand in the shape PS3.18 STOW-RS and WADO-RS use (RFC 2046 5.1);
none comes from another project. Run from anywhere: python3 fuzz/make_multipart_seeds.py
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus", "multipart")
B = b"fuzzb"


def part(headers, data, first=False):
    out = b"" if first else b"\r\n"
    out += b"--" + B + b"\r\n"
    for name, value in headers:
        out += name + b": " + value + b"\r\n"
    return out + b"\r\n" + data


def close():
    return b"\r\n--" + B + b"--\r\n"


DICOM = b"\0" * 128 + b"DICM" + bytes(range(256))
CT = (b"Content-Type", b"application/dicom")

BODIES = {
    "stow_one_instance": part([CT], DICOM, first=True) + close(),
    "stow_two_instances_with_location": part([CT, (b"Content-Location", b"/i/1")], DICOM, True)
    + part([CT, (b"Content-Location", b"/i/2")], DICOM[:40])
    + close(),
    "no_headers_empty_data": part([], b"", True) + part([], b"") + close(),
    "preamble_and_epilogue": b"preamble text\r\n" + part([CT], b"x", True) + close()
    + b"epilogue\r\n--fuzzb\r\n",
    "first_delimiter_with_crlf": b"\r\n" + part([CT], b"data", True) + close(),
    "transport_padding": b"--fuzzb \t\r\n\r\nd\r\n--fuzzb\t\r\n\r\ne\r\n--fuzzb--  \r\n",
    "data_with_near_delimiters": part([CT], b"x--fuzzb\r\n--fuzz\r\r\n-\n--fuzzb\0--", True)
    + close(),
    "data_starting_with_dash_boundary_prefix": part([], b"--fuzz", True) + close(),
    "empty_part_sharing_crlf": b"--fuzzb\r\n\r\n--fuzzb\r\nA: 1\r\n\r\n--fuzzb--",
    "binary_crlf_nul": part([(b"Content-Type", b"application/octet-stream")],
                            b"\r\n\0\r\0\n" * 20, True) + close(),
    "no_close_delimiter": part([CT], b"data", True),
    "ends_in_headers": b"--fuzzb\r\nContent-Type: app",
    "folded_header": b"--fuzzb\r\nContent-Type: a/b\r\n c\r\n\r\nd" + close(),
    "header_without_colon": b"--fuzzb\r\nno colon\r\n\r\nd" + close(),
    "repeated_header": b"--fuzzb\r\nA: 1\r\na: 2\r\n\r\nd" + close(),
    "bare_lf_header": b"--fuzzb\r\nA: 1\n\r\nd" + close(),
    "delimiter_then_junk": part([], b"d", True) + b"\r\n--fuzzbX\r\n" + close(),
    "too_many_headers": b"--fuzzb\r\n" + b"".join(b"H%d: v\r\n" % i for i in range(6))
    + b"\r\nd" + close(),
    "too_many_parts": part([], b"0", True) + b"".join(part([], b"%d" % i) for i in range(20))
    + close(),
    "large_part": part([CT], b"\xAB" * 1100, True) + close(),
    "only_close": b"--fuzzb--\r\n",
    "obs_text_header": part([(b"X-Name", b"caf\xc3\xa9 \t value")], b"v", True) + close(),
    # First lines for the header parsers.
    "content_type_stow": b'multipart/related; type="application/dicom"; boundary=fuzzb\r\n'
    + part([CT], b"x", True) + close(),
    "content_type_quoted": b'multipart/related; type="application/dicom"; '
    b'boundary="a \\"q\\" b"; start="<1@x>"',
    "accept_wado": b'multipart/related; type="application/dicom"; '
    b"transfer-syntax=1.2.840.10008.1.2.1;q=0.9, application/dicom+json;q=0.5, */*;q=0",
    "accept_rendered": b"image/jpeg, image/png;q=0.8, image/*;q=0.1, , text/html;q=0.000",
    "accept_frames": b'multipart/related; type="application/octet-stream"; transfer-syntax=*',
    "target_qido": b"/dicom-web/studies?PatientName=DOE%5EJ*&includefield=00100020"
    b"&includefield=00081030&limit=10&offset=0&fuzzymatching=false",
    "target_wado": b"/dicom-web/studies/1.2.3/series/4.5.6/instances/7.8.9/frames/1,2,3",
    "target_traversal": b"/dicom-web/studies/%2e%2E/%252e/..%2fetc?x=+a%20b&&=1",
    "target_absolute_form": b"http://host/dicom-web/studies#frag",
}

CHUNKS = [0, 1, 2, 6, 15, 63, 1023]


def main():
    # Existing files (inputs merged in from fuzzing runs) are left alone.
    os.makedirs(OUT, exist_ok=True)
    for i, (name, body) in enumerate(sorted(BODIES.items())):
        selector = CHUNKS[i % len(CHUNKS)]
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(struct.pack(">H", selector) + body)
    print(f"wrote {len(BODIES)} seeds to {OUT}")


if __name__ == "__main__":
    main()
