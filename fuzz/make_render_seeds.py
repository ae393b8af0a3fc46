#!/usr/bin/env python3
"""Seed corpus for render_fuzz (fuzz/corpus/render/); standard library only.

Two kinds of input, as fuzz/render_fuzz.cc reads them (byte 0 selects):
  parsed      byte 0 < 0x80: the data set of a small pydicom test file after its File Meta
              Information, read by the fuzzer in kParsedSyntaxes[(byte 0 & 0x1F) % 5]; bit 0x40 asks for
              PNG, 0x20 for the thumbnail options.
  structured  byte 0 >= 0x80: a 16-byte header of pixel description values and render options
              (its layout is documented in render_fuzz.cc) followed by the pixel data, native or
              split into fragments. JPEG Baseline frames come from pydicom's files and from the
              tiny streams below (16x16 gray baseline, progressive and with restart markers, an
              8x8 YCbCr stream without JFIF), which we encoded once with libjpeg.

Run from the repository root: python3 fuzz/make_render_seeds.py
"""
import os
import struct
import sys

PYDICOM = "/usr/lib/python3/dist-packages/pydicom/data/test_files"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "render")

GRAY16 = bytes.fromhex("ffd8ffdb004300080606070605080707070909080a0c140d0c0b0b0c1912130f141d1a1f1e1d1a1c1c20242e2720222c231c1c2837292c30313434341f27393d38323c2e333432ffc0000b080010001001011100ffc4001500010100000000000000000000000000000604ffc40023100000030802030000000000000000000001020600040511122332a10313141521ffda0008010100003f000b0a4c636f4ce21498c6de998429318dbd34f1d5d25921d8eddbeca264997c3741035060a825c87c492316421f4c1301a45bffd9")
PROGRESSIVE16 = bytes.fromhex("ffd8ffdb004300080606070605080707070909080a0c140d0c0b0b0c1912130f141d1a1f1e1d1a1c1c20242e2720222c231c1c2837292c30313434341f27393d38323c2e333432ffc2000b080010001001011100ffc4001500010100000000000000000000000000000503ffda000801010000000109c627ffc400161001010100000000000000000000000000040003ffda0008010100010502c8d646b235bb8a4bffc4001c10000103050000000000000000000000000001023103111352c1ffda0008010100063f02820815b7c95346f4ffc4001a100002020300000000000000000000000000310121116171ffda0008010100013f214848484a3a6e26d945c7747fffda00080101000000100fffc400191000030101010000000000000000000000000111f14121ffda0008010100013f10cc330cc3b6dd2a289c5835ea54e8ffd9")
RESTART16X8 = bytes.fromhex("ffd8ffdb004300100b0c0e0c0a100e0d0e1211101318281a181616183123251d283a333d3c3933383740485c4e404457453738506d51575f626768673e4d71797064785c656763ffc0000b080008001001011100ffc40014000100000000000000000000000000000005ffc4001810000203000000000000000000000000000004052231ffdd00040002ffda0008010100003f000938bca8e2717953ffd9")
YCBCR8 = bytes.fromhex("ffd8ffdb004300100b0c0e0c0a100e0d0e1211101318281a181616183123251d283a333d3c3933383740485c4e404457453738506d51575f626768673e4d71797064785c656763ffdb0043011112121815182f1a1a2f634238426363636363636363636363636363636363636363636363636363636363636363636363636363636363636363636363636363ffc00011080008000803012200021101031101ffc4001500010100000000000000000000000000000002ffc4001810010003010000000000000000000000000005062232ffc40014010100000000000000000000000000000002ffc40014110100000000000000000000000000000000ffda000c03010002110311003f009ae45f190085ffd9")

SYNTAX_SELECTOR = {
    "1.2.840.10008.1.2": 0,
    "1.2.840.10008.1.2.1": 1,
    "1.2.840.10008.1.2.2": 2,
    "1.2.840.10008.1.2.4.50": 3,
    "1.2.840.10008.1.2.4.90": 4,
    "1.2.840.10008.1.2.4.91": 4,  # read alike: both encapsulated explicit VR LE
}

# Index into kStructuredSyntaxes of render_fuzz.cc.
EXPLICIT, BIG, JPEG, J2K, RLE, MPEG2 = 0, 1, 2, 3, 4, 5
# Index into kPhotometrics and kBitsAllocated.
MONO2, MONO1, RGB, YBR_FULL, YBR_422, PALETTE, YBR_420, HSV = range(8)
BA8, BA16, BA1, BA32 = 0, 1, 2, 3
NO_OFFSETS, BOT, EOT, LYING_BOT = 0, 1, 2, 3


def part10_dataset(data):
    """(transfer syntax UID, data set bytes) of a Part 10 file, or None."""
    if len(data) < 144 or data[128:132] != b"DICM" or data[132:136] != b"\x02\x00\x00\x00":
        return None
    group_length = struct.unpack_from("<I", data, 140)[0]
    meta_end = 144 + group_length
    pos, ts = 144, None
    while pos < meta_end:
        group, element = struct.unpack_from("<HH", data, pos)
        vr = data[pos + 4:pos + 6]
        if vr in (b"OB", b"OW", b"UN", b"SQ", b"UT", b"UC"):
            length = struct.unpack_from("<I", data, pos + 8)[0]
            value = pos + 12
        else:
            length = struct.unpack_from("<H", data, pos + 6)[0]
            value = pos + 8
        if (group, element) == (0x0002, 0x0010):
            ts = data[value:value + length].rstrip(b"\x00 ").decode()
        pos = value + length
    return ts, data[meta_end:]


def fragments_of(dataset):
    """The fragments (after the Basic Offset Table) of explicit VR LE encapsulated Pixel Data."""
    marker = b"\xe0\x7f\x10\x00OB\x00\x00\xff\xff\xff\xff"
    pos = dataset.find(marker)
    if pos < 0:
        return []
    pos += len(marker)
    items = []
    while pos + 8 <= len(dataset):
        group, element, length = struct.unpack_from("<HHI", dataset, pos)
        if (group, element) != (0xFFFE, 0xE000):
            break
        items.append(dataset[pos + 8:pos + 8 + length])
        pos += 8 + length
    return items[1:]


def header(rows, columns, photometric=MONO2, ba=BA8, frames=1, syntax=EXPLICIT, offsets=NO_OFFSETS,
           per_frame=1, samples_flip=False, planar=0, signed=False, drop_high=False,
           stored_lower=False, omit_frames=False, window=False, rescale=False, function=0,
           option_window=False, png=False, vcols=None, vrows=None, quality=90, center=128,
           width=200, render_frame=1, extract=0x01):
    """`extract`: low 2 bits count - 1, then 2 bits per frame number, v meaning frame v + 1."""
    b5 = photometric | (0x08 if samples_flip else 0) | (planar << 4) | (0x20 if signed else 0) |         (0x40 if drop_high else 0) | (0x80 if stored_lower else 0)
    b6 = ba | ((frames - 1) << 3) | (0x40 if omit_frames else 0)
    b7 = syntax | (offsets << 3) | ((per_frame - 1) << 5)
    b8 = (0x01 if window else 0) | (0x02 if rescale else 0) | (function << 2) |         (0x10 if option_window else 0) | (0x20 if png else 0) |         (0x40 if vcols is not None else 0) | (0x80 if vrows is not None else 0)
    return bytes([0x80]) + struct.pack("<HH", rows, columns) + bytes(
        [b5, b6, b7, b8, vcols or 0, vrows or 0, quality, center, width, render_frame, extract])


def ramp(n, step=7):
    return bytes((i * step) & 0xFF for i in range(n))


def structured_seeds():
    s = {}
    s["native-mono2-8bit-window-png"] = header(4, 4, window=True, png=True) + ramp(16)
    s["native-mono1-16bit-signed-12-stored-rescale"] = header(
        4, 4, MONO1, BA16, signed=True, stored_lower=True, rescale=True, center=100) + ramp(32, 37)
    s["native-16bit-top-aligned-high-bit"] = header(2, 4, ba=BA16, stored_lower=True,
                                                    window=True) + ramp(16, 29)
    s["native-1bit-8x2"] = header(2, 8, ba=BA1) + bytes([0xA5, 0x3C])
    s["native-1bit-multiframe-unaligned"] = header(3, 3, ba=BA1, frames=2) + bytes(4)
    s["native-32bit-3x3-sigmoid"] = header(3, 3, ba=BA32, window=True, function=2,
                                           signed=True) + ramp(36, 61)
    s["native-rgb-planar1"] = header(2, 2, RGB, planar=1, png=True) + ramp(12, 20)
    s["native-ybr-full"] = header(2, 2, YBR_FULL) + ramp(12, 20)
    s["native-ybr-full-422"] = header(2, 4, YBR_422, png=True) + ramp(16, 15)
    s["native-palette"] = header(2, 2, PALETTE) + ramp(4)
    s["native-multiframe-3-render-2"] = header(2, 2, frames=3, render_frame=2,
                                               extract=0x03 | (2 << 2) | (1 << 4)) + ramp(12)
    s["native-truncated"] = header(8, 8, ba=BA16) + ramp(30)
    s["native-viewport-enlarge"] = header(2, 3, vcols=9, vrows=40, option_window=True,
                                          center=70, width=120) + ramp(6, 40)
    s["native-viewport-shrink-png"] = header(16, 16, vcols=5, png=True) + ramp(256, 3)
    s["native-big-endian-16"] = header(2, 2, ba=BA16, syntax=BIG) + ramp(8)
    s["jpeg-gray16"] = header(16, 16, syntax=JPEG, png=True) + GRAY16
    s["jpeg-gray16-thumbnail-window"] = header(16, 16, syntax=JPEG, window=True, vcols=128,
                                               vrows=128) + GRAY16
    s["jpeg-gray16-progressive"] = header(16, 16, syntax=JPEG) + PROGRESSIVE16
    s["jpeg-gray16x8-restart-markers"] = header(8, 16, MONO1, syntax=JPEG) + RESTART16X8
    s["jpeg-ycbcr8-rgb"] = header(8, 8, RGB, syntax=JPEG) + YCBCR8
    s["jpeg-ycbcr8-ybr-full-422-png"] = header(8, 8, YBR_422, syntax=JPEG, png=True) + YCBCR8
    s["jpeg-size-mismatch"] = header(16, 15, syntax=JPEG) + GRAY16
    s["jpeg-truncated"] = header(16, 16, syntax=JPEG) + GRAY16[:-20]
    s["jpeg-two-frames-bot-two-fragments-each"] = header(
        16, 16, frames=2, syntax=JPEG, offsets=BOT, per_frame=2, render_frame=2,
        extract=0x01 | (1 << 2)) + GRAY16 + GRAY16
    s["jpeg-two-frames-eot"] = header(16, 16, frames=2, syntax=JPEG, offsets=EOT, width=1,
                                      extract=0x01 | (1 << 2)) + GRAY16 + GRAY16
    s["jpeg-two-frames-lying-bot"] = header(16, 16, frames=2, syntax=JPEG, offsets=LYING_BOT,
                                            center=3) + GRAY16 + GRAY16
    s["jpeg-three-fragments-markers"] = header(16, 16, frames=3, syntax=JPEG, per_frame=3,
                                               extract=0x02 | (2 << 2) | (1 << 4)) + GRAY16 * 3
    s["j2k-two-frames"] = header(4, 4, frames=2, syntax=J2K) + b"\xff\x4f\xff\x51" + bytes(12)
    s["rle-one-frame"] = header(4, 4, syntax=RLE) + bytes(64)
    s["mpeg2-video"] = header(4, 4, frames=2, syntax=MPEG2) + bytes(32)
    for name in sorted(os.listdir(PYDICOM)):
        if name in ("SC_rgb_jpeg_dcmtk.dcm", "SC_rgb_small_odd_jpeg.dcm", "SC_rgb_dcmtk_+eb+cr.dcm"):
            with open(os.path.join(PYDICOM, name), "rb") as f:
                parsed = part10_dataset(f.read())
            frames = fragments_of(parsed[1]) if parsed else []
            if frames:
                size = 100 if "small_odd" not in name else 3
                photometric = RGB if "+cr" in name else YBR_FULL
                s["jpeg-frame-of-" + name[:-4]] = header(size, size, photometric, syntax=JPEG,
                                                         vcols=32) + frames[0]
    return s


PARSED_FILES = [
    ("SC_rgb_small_odd.dcm", 0x00), ("SC_rgb_small_odd_jpeg.dcm", 0x40),
    ("SC_rgb_jpeg_dcmtk.dcm", 0x20), ("SC_rgb_dcmtk_+eb+cy+n2.dcm", 0x00),
    ("SC_jpeg_no_color_transform.dcm", 0x40), ("MR_small.dcm", 0x20),
    ("MR_small_bigendian.dcm", 0x00), ("rtdose_1frame.dcm", 0x40), ("rtdose.dcm", 0x00),
    ("ExplVR_BigEnd.dcm", 0x20), ("JPEG2000.dcm", 0x00), ("SC_rgb_gdcm_KY.dcm", 0x00),
]


def parsed_seeds():
    s = {}
    for name, flags in PARSED_FILES:
        path = os.path.join(PYDICOM, name)
        if not os.path.exists(path):
            continue
        with open(path, "rb") as f:
            parsed = part10_dataset(f.read())
        if parsed is None or parsed[0] not in SYNTAX_SELECTOR:
            continue
        s["parsed-" + name[:-4]] = bytes([SYNTAX_SELECTOR[parsed[0]] | flags]) + parsed[1]
    return s


def main():
    os.makedirs(OUT, exist_ok=True)
    seeds = {**structured_seeds(), **parsed_seeds()}
    for name, data in sorted(seeds.items()):
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    print("%d seeds, %d bytes in %s" % (len(seeds), sum(map(len, seeds.values())), OUT),
          file=sys.stderr)


if __name__ == "__main__":
    main()
