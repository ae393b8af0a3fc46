// Frame extraction for WADO-RS /frames and the Image Pixel Module checks behind it: native and
// encapsulated layouts (Basic and Extended Offset Tables, fragment counts, start markers),
// every rejection with the error it must give, and real files from pydicom's test data.
#include "render/frames.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "base/mapped_file.h"
#include "dicom/reader.h"
#include "dicom/tag.h"
#include "render/pixel_description.h"

namespace bastion::render {
namespace {

using dicom::DataSet;
using dicom::Tag;
using dicom::Vr;
using Bytes = std::vector<std::uint8_t>;

constexpr std::string_view kExplicitLe = "1.2.840.10008.1.2.1";
constexpr std::string_view kBigEndian = "1.2.840.10008.1.2.2";
constexpr std::string_view kJpegBaseline = "1.2.840.10008.1.2.4.50";
constexpr std::string_view kJpeg2000 = "1.2.840.10008.1.2.4.90";
constexpr std::string_view kRle = "1.2.840.10008.1.2.5";
constexpr std::string_view kMpeg2 = "1.2.840.10008.1.2.4.100";

constexpr Tag kPixelData{0x7FE0, 0x0010};

// The Image Pixel Module of a `columns` x `rows` image of `frames` frames.
DataSet Image(std::uint16_t rows, std::uint16_t columns, std::uint16_t bits_allocated,
              std::uint32_t frames = 1, std::string_view photometric = "MONOCHROME2",
              std::uint16_t samples = 1) {
  DataSet ds;
  ds.SetU16(Tag{0x0028, 0x0002}, samples);
  ds.SetString(Tag{0x0028, 0x0004}, Vr::kCS, photometric);
  if (samples == 3) ds.SetU16(Tag{0x0028, 0x0006}, 0);
  if (frames != 1) ds.SetString(Tag{0x0028, 0x0008}, Vr::kIS, std::to_string(frames));
  ds.SetU16(Tag{0x0028, 0x0010}, rows);
  ds.SetU16(Tag{0x0028, 0x0011}, columns);
  ds.SetU16(Tag{0x0028, 0x0100}, bits_allocated);
  ds.SetU16(Tag{0x0028, 0x0101}, bits_allocated);
  ds.SetU16(Tag{0x0028, 0x0102}, static_cast<std::uint16_t>(bits_allocated - 1));
  ds.SetU16(Tag{0x0028, 0x0103}, 0);
  return ds;
}

Bytes Sequence(std::size_t n, std::uint8_t first = 0) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(first + i);
  return b;
}

// Encapsulated Pixel Data: `bot` as the Basic Offset Table, then the fragments.
void SetFragments(DataSet& ds, const Bytes& bot, const std::vector<Bytes>& fragments) {
  dicom::Element e;
  e.tag = kPixelData;
  e.vr = Vr::kOB;
  e.encapsulated = true;
  e.fragments.emplace_back(bot);
  for (const Bytes& f : fragments) e.fragments.emplace_back(f);
  ds.Insert(std::move(e));
}

Bytes U32s(std::initializer_list<std::uint32_t> values) {
  Bytes b;
  for (std::uint32_t v : values) {
    for (int i = 0; i < 4; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  return b;
}

Bytes U64s(std::initializer_list<std::uint64_t> values) {
  Bytes b;
  for (std::uint64_t v : values) {
    for (int i = 0; i < 8; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  return b;
}

Bytes ToBytes(const FrameBytes& f) { return Bytes(f.bytes().begin(), f.bytes().end()); }

Result<std::vector<FrameBytes>> Extract(const DataSet& ds, std::string_view ts,
                                        std::vector<std::uint32_t> numbers,
                                        const PixelLimits& limits = {}) {
  return ExtractFrames(ds, ts, numbers, limits);
}

// --- DescribePixels ---

TEST(DescribePixelsTest, ReadsTheImagePixelModule) {
  DataSet ds = Image(4, 6, 16, 3);
  ds.SetU16(Tag{0x0028, 0x0101}, 12);
  ds.SetU16(Tag{0x0028, 0x0102}, 11);
  ds.SetU16(Tag{0x0028, 0x0103}, 1);
  ds.SetString(Tag{0x0028, 0x1050}, Vr::kDS, "40\\400");
  ds.SetString(Tag{0x0028, 0x1051}, Vr::kDS, "350 \\1500");
  ds.SetString(Tag{0x0028, 0x1052}, Vr::kDS, "-1024");
  ds.SetString(Tag{0x0028, 0x1053}, Vr::kDS, "+2.5E0");
  auto d = DescribePixels(ds, {});
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->rows, 4u);
  EXPECT_EQ(d->columns, 6u);
  EXPECT_EQ(d->samples_per_pixel, 1);
  EXPECT_EQ(d->bits_allocated, 16);
  EXPECT_EQ(d->bits_stored, 12);
  EXPECT_EQ(d->high_bit, 11);
  EXPECT_EQ(d->pixel_representation, 1);
  EXPECT_EQ(d->photometric_interpretation, "MONOCHROME2");
  EXPECT_EQ(d->number_of_frames, 3u);
  EXPECT_DOUBLE_EQ(d->rescale_slope, 2.5);
  EXPECT_DOUBLE_EQ(d->rescale_intercept, -1024);
  EXPECT_EQ(d->window_center, 40.0);
  EXPECT_EQ(d->window_width, 350.0);
  EXPECT_EQ(d->voi_lut_function, VoiLutFunction::kLinear);
}

TEST(DescribePixelsTest, RejectsBitsAllocatedOtherThan1_8_16_32) {
  DataSet ds = Image(2, 2, 16);
  ds.SetU16(Tag{0x0028, 0x0100}, 12);
  auto d = DescribePixels(ds, {});
  EXPECT_EQ(d.status().code(), StatusCode::kMalformed);
  EXPECT_NE(d.status().message().find("Bits Allocated is 12"), std::string::npos);
}

TEST(DescribePixelsTest, RejectsBitsStoredAboveBitsAllocated) {
  DataSet ds = Image(2, 2, 8);
  ds.SetU16(Tag{0x0028, 0x0101}, 9);
  EXPECT_EQ(DescribePixels(ds, {}).status().code(), StatusCode::kMalformed);
  ds.SetU16(Tag{0x0028, 0x0101}, 0);
  EXPECT_EQ(DescribePixels(ds, {}).status().code(), StatusCode::kMalformed);
}

TEST(DescribePixelsTest, RejectsHighBitOutsideTheCellAndToleratesItAboveBitsStored) {
  DataSet ds = Image(2, 2, 16);
  ds.SetU16(Tag{0x0028, 0x0101}, 12);
  ds.SetU16(Tag{0x0028, 0x0102}, 16);
  EXPECT_EQ(DescribePixels(ds, {}).status().code(), StatusCode::kMalformed);
  ds.SetU16(Tag{0x0028, 0x0102}, 10);  // 12 bits cannot end at bit 10
  EXPECT_EQ(DescribePixels(ds, {}).status().code(), StatusCode::kMalformed);
  ds.SetU16(Tag{0x0028, 0x0102}, 15);  // top-aligned, as editions before 2011 allowed
  auto d = DescribePixels(ds, {});
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->high_bit, 15);
}

TEST(DescribePixelsTest, RejectsSamplesPerPixelOtherThan1Or3) {
  DataSet ds = Image(2, 2, 8);
  ds.SetU16(Tag{0x0028, 0x0002}, 2);
  EXPECT_EQ(DescribePixels(ds, {}).status().code(), StatusCode::kMalformed);
  ds.SetU16(Tag{0x0028, 0x0002}, 4);
  EXPECT_EQ(DescribePixels(ds, {}).status().code(), StatusCode::kUnsupported);
}

TEST(DescribePixelsTest, RejectsZeroRowsOrColumnsAndMissingAttributes) {
  DataSet ds = Image(0, 2, 8);
  EXPECT_EQ(DescribePixels(ds, {}).status().code(), StatusCode::kMalformed);
  ds = Image(2, 2, 8);
  ds.Remove(Tag{0x0028, 0x0102});
  auto d = DescribePixels(ds, {});
  EXPECT_EQ(d.status().code(), StatusCode::kMalformed);
  EXPECT_NE(d.status().message().find("High Bit (0028,0102) is missing"), std::string::npos);
  ds = Image(2, 2, 8);
  ds.Remove(Tag{0x0028, 0x0004});
  EXPECT_EQ(DescribePixels(ds, {}).status().code(), StatusCode::kMalformed);
}

TEST(DescribePixelsTest, RejectsAPhotometricInterpretationThatDoesNotMatchTheSamples) {
  DataSet ds = Image(2, 2, 8, 1, "RGB", 1);
  EXPECT_EQ(DescribePixels(ds, {}).status().code(), StatusCode::kMalformed);
  ds = Image(2, 2, 8, 1, "HSV", 3);
  EXPECT_EQ(DescribePixels(ds, {}).status().code(), StatusCode::kUnsupported);
}

TEST(DescribePixelsTest, RejectsNumberOfFramesThatIsNotAPositiveInteger) {
  DataSet ds = Image(2, 2, 8);
  for (const char* bad : {"0", "-3", "two", ""}) {
    ds.SetString(Tag{0x0028, 0x0008}, Vr::kIS, bad);
    EXPECT_EQ(DescribePixels(ds, {}).status().code(), StatusCode::kMalformed) << bad;
  }
}

TEST(DescribePixelsTest, EnforcesTheLimitsBeforeAnythingIsRead) {
  PixelLimits limits;
  limits.max_pixels_per_frame = 99;
  EXPECT_EQ(DescribePixels(Image(10, 10, 8), limits).status().code(), StatusCode::kLimitExceeded);
  limits = {};
  limits.max_frames = 4;
  EXPECT_EQ(DescribePixels(Image(2, 2, 8, 5), limits).status().code(), StatusCode::kLimitExceeded);
  limits = {};
  limits.max_decoded_bytes = 3 * 100 * 100 - 1;
  EXPECT_EQ(DescribePixels(Image(100, 100, 8, 1, "RGB", 3), limits).status().code(),
            StatusCode::kLimitExceeded);
}

TEST(DescribePixelsTest, IgnoresAWindowWidthBelowOneAndReadsTheVoiLutFunction) {
  DataSet ds = Image(2, 2, 8);
  ds.SetString(Tag{0x0028, 0x1050}, Vr::kDS, "10");
  ds.SetString(Tag{0x0028, 0x1051}, Vr::kDS, "0.5");
  ds.SetString(Tag{0x0028, 0x1056}, Vr::kCS, "SIGMOID");
  auto d = DescribePixels(ds, {});
  ASSERT_TRUE(d.ok());
  EXPECT_FALSE(d->window_center.has_value());
  EXPECT_FALSE(d->window_width.has_value());
  EXPECT_EQ(d->voi_lut_function, VoiLutFunction::kSigmoid);
}

TEST(DescribePixelsTest, RejectsARescaleSlopeThatIsNotADecimalString) {
  DataSet ds = Image(2, 2, 8);
  ds.SetString(Tag{0x0028, 0x1053}, Vr::kDS, "inf");
  EXPECT_EQ(DescribePixels(ds, {}).status().code(), StatusCode::kMalformed);
}

TEST(ParseDecimalStringTest, AcceptsTheFormsOfPs3_5AndNothingElse) {
  EXPECT_EQ(ParseDecimalString(" 12 "), 12.0);
  EXPECT_EQ(ParseDecimalString("+1.5"), 1.5);
  EXPECT_EQ(ParseDecimalString("-1e3"), -1000.0);
  EXPECT_EQ(ParseDecimalString(".25"), 0.25);
  for (const char* bad : {"", " ", "nan", "inf", "0x10", "1,5", "--1", "e"}) {
    EXPECT_FALSE(ParseDecimalString(bad).has_value()) << bad;
  }
}

// --- Native frames ---

TEST(ExtractFramesTest, ReturnsASingleNativeFrameAsAReferenceIntoTheValue) {
  DataSet ds = Image(2, 3, 16);
  ds.SetBytes(kPixelData, Vr::kOW, Sequence(12));
  auto frames = Extract(ds, kExplicitLe, {1});
  ASSERT_TRUE(frames.ok()) << frames.status().ToString();
  ASSERT_EQ(frames->size(), 1u);
  EXPECT_TRUE((*frames)[0].is_reference());
  EXPECT_EQ((*frames)[0].bytes().data(), ds.Find(kPixelData)->value.view().data());
  EXPECT_EQ(ToBytes((*frames)[0]), Sequence(12));
}

TEST(ExtractFramesTest, SlicesNativeMultiFrameInTheOrderAskedWithRepeats) {
  DataSet ds = Image(2, 2, 16, 3);
  ds.SetBytes(kPixelData, Vr::kOW, Sequence(24));
  auto frames = Extract(ds, kExplicitLe, {3, 1, 3});
  ASSERT_TRUE(frames.ok()) << frames.status().ToString();
  ASSERT_EQ(frames->size(), 3u);
  EXPECT_EQ(ToBytes((*frames)[0]), Sequence(8, 16));
  EXPECT_EQ(ToBytes((*frames)[1]), Sequence(8, 0));
  EXPECT_EQ(ToBytes((*frames)[2]), Sequence(8, 16));
}

TEST(ExtractFramesTest, IgnoresThePaddingByteAfterAnOddLengthNativeValue) {
  DataSet ds = Image(3, 3, 8);
  ds.SetBytes(kPixelData, Vr::kOB, Sequence(10));  // 9 bytes and a pad
  auto frames = Extract(ds, kExplicitLe, {1});
  ASSERT_TRUE(frames.ok());
  EXPECT_EQ((*frames)[0].size(), 9u);
}

TEST(ExtractFramesTest, FrameNumbersZeroOrPastTheEndAreNotFound) {
  DataSet ds = Image(2, 2, 8, 5);
  ds.SetBytes(kPixelData, Vr::kOB, Sequence(20));
  auto past = Extract(ds, kExplicitLe, {2, 7});
  EXPECT_EQ(past.status().code(), StatusCode::kNotFound);
  EXPECT_NE(past.status().message().find("frame 7 of 5"), std::string::npos);
  EXPECT_EQ(Extract(ds, kExplicitLe, {0}).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(Extract(ds, kExplicitLe, {}).status().code(), StatusCode::kMalformed);
}

TEST(ExtractFramesTest, RejectsNativePixelDataShorterThanItsFrames) {
  DataSet ds = Image(2, 2, 16, 3);
  ds.SetBytes(kPixelData, Vr::kOW, Sequence(23));
  auto frames = Extract(ds, kExplicitLe, {1});
  EXPECT_EQ(frames.status().code(), StatusCode::kMalformed);
  EXPECT_NE(frames.status().message().find("holds 23 bytes"), std::string::npos);
}

TEST(ExtractFramesTest, SlicesByteAlignedOneBitFramesAndRefusesUnalignedOnes) {
  DataSet aligned = Image(2, 8, 1, 2);  // 16 bits = 2 bytes a frame
  aligned.SetBytes(kPixelData, Vr::kOW, {0xA1, 0xA2, 0xB1, 0xB2});
  auto frames = Extract(aligned, kExplicitLe, {2});
  ASSERT_TRUE(frames.ok()) << frames.status().ToString();
  EXPECT_EQ(ToBytes((*frames)[0]), (Bytes{0xB1, 0xB2}));

  DataSet unaligned = Image(3, 3, 1, 2);  // 9 bits a frame
  unaligned.SetBytes(kPixelData, Vr::kOW, Bytes(4, 0));
  EXPECT_EQ(Extract(unaligned, kExplicitLe, {1}).status().code(), StatusCode::kUnsupported);

  DataSet single = Image(3, 3, 1);  // one frame of 9 bits: 2 bytes
  single.SetBytes(kPixelData, Vr::kOW, Bytes(2, 0xFF));
  frames = Extract(single, kExplicitLe, {1});
  ASSERT_TRUE(frames.ok());
  EXPECT_EQ((*frames)[0].size(), 2u);
}

TEST(ExtractFramesTest, NativeYbrFull422FramesAreTwoThirdsOfFullSize) {
  DataSet ds = Image(2, 2, 8, 2, "YBR_FULL_422", 3);
  ds.SetBytes(kPixelData, Vr::kOB, Sequence(16));
  auto frames = Extract(ds, kExplicitLe, {2});
  ASSERT_TRUE(frames.ok()) << frames.status().ToString();
  EXPECT_EQ(ToBytes((*frames)[0]), Sequence(8, 8));
}

TEST(ExtractFramesTest, RefusesBigEndianCellsTheReaderDidNotSwap) {
  DataSet ds = Image(2, 2, 32);
  ds.SetBytes(kPixelData, Vr::kOW, Sequence(16));
  EXPECT_EQ(Extract(ds, kBigEndian, {1}).status().code(), StatusCode::kUnsupported);
  DataSet ow16 = Image(2, 2, 16);
  ow16.SetBytes(kPixelData, Vr::kOW, Sequence(8));
  EXPECT_TRUE(Extract(ow16, kBigEndian, {1}).ok());
}

TEST(ExtractFramesTest, NoPixelDataIsNotFoundAndFloatPixelDataUnsupported) {
  DataSet ds = Image(2, 2, 8);
  EXPECT_EQ(Extract(ds, kExplicitLe, {1}).status().code(), StatusCode::kNotFound);
  ds.SetBytes(Tag{0x7FE0, 0x0008}, Vr::kOF, Bytes(16, 0));
  EXPECT_EQ(Extract(ds, kExplicitLe, {1}).status().code(), StatusCode::kUnsupported);
}

TEST(ExtractFramesTest, RejectsPixelDataWhoseEncodingContradictsTheTransferSyntax) {
  DataSet ds = Image(2, 2, 8);
  ds.SetBytes(kPixelData, Vr::kOB, Sequence(4));
  EXPECT_EQ(Extract(ds, kJpegBaseline, {1}).status().code(), StatusCode::kMalformed);
  DataSet enc = Image(2, 2, 8);
  SetFragments(enc, {}, {Sequence(4)});
  EXPECT_EQ(Extract(enc, kExplicitLe, {1}).status().code(), StatusCode::kMalformed);
  EXPECT_EQ(Extract(enc, "1.2.3.4", {1}).status().code(), StatusCode::kUnsupported);
}

TEST(ExtractFramesTest, RefusesMoreFrameNumbersThanTheLimit) {
  DataSet ds = Image(1, 1, 8, 2);
  ds.SetBytes(kPixelData, Vr::kOB, Sequence(2));
  PixelLimits limits;
  limits.max_frames = 2;
  EXPECT_EQ(Extract(ds, kExplicitLe, {1, 2, 1}, limits).status().code(),
            StatusCode::kLimitExceeded);
}

// --- Encapsulated frames ---

TEST(ExtractFramesTest, UsesTheBasicOffsetTableAndJoinsAFrameSplitOverFragments) {
  DataSet ds = Image(2, 2, 8, 2);
  // Fragment items: [0] 6 bytes at offset 0, [1] 4 bytes at 14, [2] 2 bytes at 26.
  SetFragments(ds, U32s({0, 14}), {Sequence(6, 0), Sequence(4, 10), Sequence(2, 20)});
  auto frames = Extract(ds, kJpegBaseline, {1, 2});
  ASSERT_TRUE(frames.ok()) << frames.status().ToString();
  EXPECT_TRUE((*frames)[0].is_reference());
  EXPECT_EQ(ToBytes((*frames)[0]), Sequence(6, 0));
  EXPECT_FALSE((*frames)[1].is_reference());
  EXPECT_EQ(ToBytes((*frames)[1]), (Bytes{10, 11, 12, 13, 20, 21}));
}

TEST(ExtractFramesTest, RejectsABasicOffsetTableThatDisagreesWithTheFragments) {
  DataSet ds = Image(2, 2, 8, 2);
  SetFragments(ds, U32s({0, 10}), {Sequence(6), Sequence(4)});  // 10 is inside fragment 0
  auto r = Extract(ds, kJpegBaseline, {2});
  EXPECT_EQ(r.status().code(), StatusCode::kMalformed);
  EXPECT_NE(r.status().message().find("does not start a fragment"), std::string::npos);

  SetFragments(ds, U32s({0}), {Sequence(6), Sequence(4)});  // one entry for two frames
  EXPECT_EQ(Extract(ds, kJpegBaseline, {1}).status().code(), StatusCode::kMalformed);
  SetFragments(ds, U32s({14, 0}), {Sequence(6), Sequence(4)});  // decreasing
  EXPECT_EQ(Extract(ds, kJpegBaseline, {1}).status().code(), StatusCode::kMalformed);
  SetFragments(ds, Bytes{0, 0, 0, 0, 14, 0}, {Sequence(6), Sequence(4)});  // not 4-byte entries
  EXPECT_EQ(Extract(ds, kJpegBaseline, {1}).status().code(), StatusCode::kMalformed);
}

TEST(ExtractFramesTest, TakesOneFragmentPerFrameWithoutAnOffsetTable) {
  DataSet ds = Image(2, 2, 8, 3);
  SetFragments(ds, {}, {Sequence(2, 0), Sequence(4, 10), Sequence(6, 20)});
  auto frames = Extract(ds, kRle, {2, 3});
  ASSERT_TRUE(frames.ok()) << frames.status().ToString();
  EXPECT_EQ(ToBytes((*frames)[0]), Sequence(4, 10));
  EXPECT_EQ(ToBytes((*frames)[1]), Sequence(6, 20));
}

TEST(ExtractFramesTest, JoinsAllFragmentsOfASingleFrame) {
  DataSet ds = Image(2, 2, 8);
  SetFragments(ds, {}, {Sequence(2, 0), Sequence(2, 2), Sequence(2, 4)});
  auto frames = Extract(ds, kJpeg2000, {1});
  ASSERT_TRUE(frames.ok());
  EXPECT_EQ(ToBytes((*frames)[0]), Sequence(6, 0));
}

TEST(ExtractFramesTest, SplitsFragmentsAtStartOfImageMarkersWithoutAnOffsetTable) {
  DataSet ds = Image(2, 2, 8, 2);
  SetFragments(ds, {},
               {Bytes{0xFF, 0xD8, 1, 2}, Bytes{3, 4}, Bytes{0xFF, 0xD8, 5, 6}, Bytes{0xFF, 0xD9}});
  auto frames = Extract(ds, kJpegBaseline, {1, 2});
  ASSERT_TRUE(frames.ok()) << frames.status().ToString();
  EXPECT_EQ(ToBytes((*frames)[0]), (Bytes{0xFF, 0xD8, 1, 2, 3, 4}));
  EXPECT_EQ(ToBytes((*frames)[1]), (Bytes{0xFF, 0xD8, 5, 6, 0xFF, 0xD9}));

  DataSet j2k = Image(2, 2, 8, 2);
  SetFragments(j2k, {},
               {Bytes{0xFF, 0x4F, 0xFF, 0x51}, Bytes{7}, Bytes{0xFF, 0x4F, 0xFF, 0x51, 8}});
  frames = Extract(j2k, kJpeg2000, {2});
  ASSERT_TRUE(frames.ok()) << frames.status().ToString();
  EXPECT_EQ(ToBytes((*frames)[0]), (Bytes{0xFF, 0x4F, 0xFF, 0x51, 8}));
}

TEST(ExtractFramesTest, RefusesMoreFragmentsThanFramesWhenFrameStartsCannotBeFound) {
  DataSet ds = Image(2, 2, 8, 2);
  SetFragments(ds, {}, {Bytes{0xFF, 0xD8}, Bytes{1}, Bytes{2}});  // one marker for two frames
  auto r = Extract(ds, kJpegBaseline, {1});
  EXPECT_EQ(r.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(r.status().message().find("3 fragments for 2 frames"), std::string::npos);
  SetFragments(ds, {}, {Bytes{0xFF, 0xD8}, Bytes{1}, Bytes{0xFF, 0xD8}});
  EXPECT_EQ(Extract(ds, kRle, {1}).status().code(), StatusCode::kUnsupported);
}

TEST(ExtractFramesTest, RejectsFewerFragmentsThanFrames) {
  DataSet ds = Image(2, 2, 8, 3);
  SetFragments(ds, {}, {Sequence(2), Sequence(2)});
  EXPECT_EQ(Extract(ds, kJpegBaseline, {1}).status().code(), StatusCode::kMalformed);
  SetFragments(ds, {}, {});
  EXPECT_EQ(Extract(ds, kJpegBaseline, {1}).status().code(), StatusCode::kMalformed);
}

TEST(ExtractFramesTest, UsesTheExtendedOffsetTableAndItsLengthsWithoutPadding) {
  DataSet ds = Image(2, 2, 8, 2);
  SetFragments(ds, {}, {Sequence(6, 0), Sequence(4, 10)});
  ds.SetBytes(Tag{0x7FE0, 0x0001}, Vr::kOV, U64s({0, 14}));
  ds.SetBytes(Tag{0x7FE0, 0x0002}, Vr::kOV, U64s({5, 4}));  // frame 1 is 5 bytes and a pad
  auto frames = Extract(ds, kJpegBaseline, {1, 2});
  ASSERT_TRUE(frames.ok()) << frames.status().ToString();
  EXPECT_EQ(ToBytes((*frames)[0]), Sequence(5, 0));
  EXPECT_EQ(ToBytes((*frames)[1]), Sequence(4, 10));
}

TEST(ExtractFramesTest, RejectsAnInconsistentExtendedOffsetTable) {
  DataSet ds = Image(2, 2, 8, 2);
  SetFragments(ds, {}, {Sequence(6), Sequence(4)});
  ds.SetBytes(Tag{0x7FE0, 0x0001}, Vr::kOV, U64s({0, 14}));
  EXPECT_EQ(Extract(ds, kJpegBaseline, {1}).status().code(), StatusCode::kMalformed);  // no lengths
  ds.SetBytes(Tag{0x7FE0, 0x0002}, Vr::kOV, U64s({6}));
  EXPECT_EQ(Extract(ds, kJpegBaseline, {1}).status().code(), StatusCode::kMalformed);  // 1 of 2
  ds.SetBytes(Tag{0x7FE0, 0x0002}, Vr::kOV, U64s({6, 5}));
  auto r = Extract(ds, kJpegBaseline, {2});  // 5 bytes asked of a 4-byte fragment
  EXPECT_EQ(r.status().code(), StatusCode::kMalformed);
  ds.SetBytes(Tag{0x7FE0, 0x0001}, Vr::kOV, U64s({0, 15}));
  ds.SetBytes(Tag{0x7FE0, 0x0002}, Vr::kOV, U64s({6, 4}));
  EXPECT_EQ(Extract(ds, kJpegBaseline, {1}).status().code(), StatusCode::kMalformed);
}

TEST(ExtractFramesTest, RejectsAFrameOfNoBytes) {
  // Found by render_fuzz: empty fragment items are well formed, an empty frame is not.
  DataSet ds = Image(2, 2, 8, 2);
  SetFragments(ds, {}, {Sequence(4), Bytes{}});
  auto r = Extract(ds, kRle, {2});
  EXPECT_EQ(r.status().code(), StatusCode::kMalformed);
  EXPECT_NE(r.status().message().find("frame 2 of 2 has no bytes"), std::string::npos);
  DataSet eot = Image(2, 2, 8);
  SetFragments(eot, {}, {Sequence(4)});
  eot.SetBytes(Tag{0x7FE0, 0x0001}, Vr::kOV, U64s({0}));
  eot.SetBytes(Tag{0x7FE0, 0x0002}, Vr::kOV, U64s({0}));
  EXPECT_EQ(Extract(eot, kJpegBaseline, {1}).status().code(), StatusCode::kMalformed);
}

TEST(ExtractFramesTest, RefusesToCopyMoreThanTheDecodedBytesLimit) {
  DataSet ds = Image(2, 2, 8);
  SetFragments(ds, {}, {Sequence(60), Sequence(60)});
  PixelLimits limits;
  limits.max_decoded_bytes = 200;
  EXPECT_TRUE(Extract(ds, kJpegBaseline, {1}, limits).ok());
  EXPECT_EQ(Extract(ds, kJpegBaseline, {1, 1}, limits).status().code(), StatusCode::kLimitExceeded);
}

TEST(ExtractFramesTest, RefusesToSplitVideo) {
  DataSet ds = Image(2, 2, 8, 2);
  SetFragments(ds, {}, {Sequence(6), Sequence(6)});
  EXPECT_EQ(Extract(ds, kMpeg2, {1}).status().code(), StatusCode::kUnsupported);
}

// --- Media types ---

TEST(EncapsulatedFrameMediaTypeTest, MapsTransferSyntaxesAsPs3_18Table8_7_3_5) {
  struct Row {
    std::string_view uid;
    std::string_view type;
    bool is_default;
  };
  for (const Row& row : {Row{"1.2.840.10008.1.2.4.50", "image/jpeg", false},
                         Row{"1.2.840.10008.1.2.4.51", "image/jpeg", false},
                         Row{"1.2.840.10008.1.2.4.57", "image/jpeg", false},
                         Row{"1.2.840.10008.1.2.4.70", "image/jpeg", true},
                         Row{"1.2.840.10008.1.2.4.80", "image/jls", true},
                         Row{"1.2.840.10008.1.2.4.81", "image/jls", false},
                         Row{"1.2.840.10008.1.2.4.90", "image/jp2", true},
                         Row{"1.2.840.10008.1.2.4.91", "image/jp2", false},
                         Row{"1.2.840.10008.1.2.4.92", "image/jpx", true},
                         Row{"1.2.840.10008.1.2.4.201", "image/jphc", true},
                         Row{"1.2.840.10008.1.2.5", "image/dicom-rle", true},
                         Row{"1.2.840.10008.1.2.4.100", "video/mpeg", true},
                         Row{"1.2.840.10008.1.2.4.102", "video/mp4", true}}) {
    auto m = EncapsulatedFrameMediaType(row.uid);
    ASSERT_TRUE(m.ok()) << row.uid;
    EXPECT_EQ(m->media_type, row.type) << row.uid;
    EXPECT_EQ(m->is_default_transfer_syntax, row.is_default) << row.uid;
  }
  EXPECT_EQ(EncapsulatedFrameMediaType(kExplicitLe).status().code(), StatusCode::kUnsupported);
  EXPECT_EQ(EncapsulatedFrameMediaType("1.2.3").status().code(), StatusCode::kUnsupported);
}

// --- pydicom's test files ---

constexpr std::string_view kPydicomFiles = BASTION_PYDICOM_DATA_DIR "/test_files/";

Result<dicom::Part10File> ReadPydicom(std::string_view name) {
  auto file = MappedFile::Open(std::string(kPydicomFiles) + std::string(name));
  if (!file.ok()) return file.status();
  return dicom::ReadPart10(*file);
}

TEST(ExtractFramesPydicomTest, SlicesTheFifteenFramesOfRtDose) {
  auto f = ReadPydicom("rtdose.dcm");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  auto frames = Extract(f->dataset, f->transfer_syntax.uid, {1, 15});
  ASSERT_TRUE(frames.ok()) << frames.status().ToString();
  EXPECT_EQ((*frames)[0].size(), 10u * 10u * 4u);
  EXPECT_EQ((*frames)[1].size(), 10u * 10u * 4u);
  EXPECT_EQ(Extract(f->dataset, f->transfer_syntax.uid, {16}).status().code(),
            StatusCode::kNotFound);
}

TEST(ExtractFramesPydicomTest, FindsTheCodestreamsOfEncapsulatedFiles) {
  struct Case {
    std::string_view file;
    Bytes starts_with;
  };
  for (const Case& c :
       {Case{"SC_rgb_jpeg_dcmtk.dcm", {0xFF, 0xD8}}, Case{"JPEG-lossy.dcm", {0xFF, 0xD8}},
        Case{"SC_rgb_jpeg_gdcm.dcm", {0xFF, 0xD8}}, Case{"JPEG2000.dcm", {0xFF, 0x4F, 0xFF, 0x51}},
        Case{"MR_small_RLE.dcm", {}}}) {
    auto f = ReadPydicom(c.file);
    ASSERT_TRUE(f.ok()) << c.file << ": " << f.status().ToString();
    auto frames = Extract(f->dataset, f->transfer_syntax.uid, {1});
    ASSERT_TRUE(frames.ok()) << c.file << ": " << frames.status().ToString();
    ASSERT_GE((*frames)[0].size(), c.starts_with.size() + 2) << c.file;
    EXPECT_TRUE(
        std::equal(c.starts_with.begin(), c.starts_with.end(), (*frames)[0].bytes().begin()))
        << c.file;
  }
}

}  // namespace
}  // namespace bastion::render
