// Rendered resources: the grayscale pipeline (Modality LUT, VOI LUT functions, MONOCHROME1),
// stored-bit masking and sign extension, color conversions, viewport scaling, JPEG Baseline
// input, JPEG and PNG output (decoded here with libjpeg and libpng to compare pixels), the
// errors for corrupt or unsupported input, and pydicom's sample files end to end.
#include "render/render.h"

#include <gtest/gtest.h>
#include <jpeglib.h>
#include <png.h>

#include <algorithm>
#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "base/mapped_file.h"
#include "dicom/reader.h"
#include "dicom/tag.h"

namespace bastion::render {
namespace {

using dicom::DataSet;
using dicom::Tag;
using dicom::Vr;
using Bytes = std::vector<std::uint8_t>;

constexpr std::string_view kExplicitLe = "1.2.840.10008.1.2.1";
constexpr std::string_view kJpegBaseline = "1.2.840.10008.1.2.4.50";
constexpr Tag kPixelData{0x7FE0, 0x0010};

// --- Building inputs ---

DataSet Module(std::uint16_t rows, std::uint16_t columns, std::uint16_t bits_allocated,
               std::string_view photometric = "MONOCHROME2", std::uint16_t samples = 1) {
  DataSet ds;
  ds.SetU16(Tag{0x0028, 0x0002}, samples);
  ds.SetString(Tag{0x0028, 0x0004}, Vr::kCS, photometric);
  if (samples == 3) ds.SetU16(Tag{0x0028, 0x0006}, 0);
  ds.SetU16(Tag{0x0028, 0x0010}, rows);
  ds.SetU16(Tag{0x0028, 0x0011}, columns);
  ds.SetU16(Tag{0x0028, 0x0100}, bits_allocated);
  ds.SetU16(Tag{0x0028, 0x0101}, bits_allocated);
  ds.SetU16(Tag{0x0028, 0x0102}, static_cast<std::uint16_t>(bits_allocated - 1));
  ds.SetU16(Tag{0x0028, 0x0103}, 0);
  return ds;
}

// A grayscale image of `columns` x `rows` whose cells (little endian, Bits Allocated wide)
// are `cells`.
DataSet Gray(std::uint16_t rows, std::uint16_t columns, std::uint16_t bits_allocated,
             const std::vector<std::uint32_t>& cells,
             std::string_view photometric = "MONOCHROME2") {
  DataSet ds = Module(rows, columns, bits_allocated, photometric);
  Bytes b;
  for (std::uint32_t c : cells) {
    for (int i = 0; i < bits_allocated / 8; ++i)
      b.push_back(static_cast<std::uint8_t>(c >> (8 * i)));
  }
  if (b.size() % 2) b.push_back(0);
  ds.SetBytes(kPixelData, bits_allocated > 8 ? Vr::kOW : Vr::kOB, std::move(b));
  return ds;
}

void SetWindow(DataSet& ds, std::string_view center, std::string_view width) {
  ds.SetString(Tag{0x0028, 0x1050}, Vr::kDS, center);
  ds.SetString(Tag{0x0028, 0x1051}, Vr::kDS, width);
}

void SetFragments(DataSet& ds, const std::vector<Bytes>& fragments) {
  dicom::Element e;
  e.tag = kPixelData;
  e.vr = Vr::kOB;
  e.encapsulated = true;
  e.fragments.emplace_back(Bytes{});
  for (const Bytes& f : fragments) e.fragments.emplace_back(f);
  ds.Insert(std::move(e));
}

// --- Decoding outputs (and encoding JPEG inputs) with the libraries themselves ---

struct Decoded {
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  int channels = 0;
  Bytes pixels;

  int at(std::uint32_t x, std::uint32_t y, int c = 0) const {
    return pixels[(static_cast<std::size_t>(y) * width + x) * static_cast<std::size_t>(channels) +
                  static_cast<std::size_t>(c)];
  }
};

Decoded DecodePng(const std::string& png) {
  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  Decoded d;
  if (!png_image_begin_read_from_memory(&image, png.data(), png.size())) return d;
  const bool color = (image.format & PNG_FORMAT_FLAG_COLOR) != 0;
  image.format = color ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
  d.pixels.resize(PNG_IMAGE_SIZE(image));
  if (!png_image_finish_read(&image, nullptr, d.pixels.data(), 0, nullptr)) return {};
  d.width = image.width;
  d.height = image.height;
  d.channels = color ? 3 : 1;
  return d;
}

struct TestJpegError {
  jpeg_error_mgr pub;
  std::jmp_buf jump;
};

void TestJpegErrorExit(j_common_ptr cinfo) {
  std::longjmp(reinterpret_cast<TestJpegError*>(cinfo->err)->jump, 1);
}

// Plain-C decode of our JPEG output; returns an empty image if libjpeg refuses it.
bool DecodeJpegInto(const std::string& jpeg, Decoded* d) {
  jpeg_decompress_struct cinfo;
  TestJpegError err;
  cinfo.err = jpeg_std_error(&err.pub);
  err.pub.error_exit = TestJpegErrorExit;
  if (setjmp(err.jump)) {
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, reinterpret_cast<const unsigned char*>(jpeg.data()),
               static_cast<unsigned long>(jpeg.size()));
  jpeg_read_header(&cinfo, TRUE);
  jpeg_start_decompress(&cinfo);
  d->width = cinfo.output_width;
  d->height = cinfo.output_height;
  d->channels = cinfo.output_components;
  d->pixels.resize(static_cast<std::size_t>(d->width) * d->height *
                   static_cast<std::size_t>(d->channels));
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = d->pixels.data() + static_cast<std::size_t>(cinfo.output_scanline) * d->width *
                                          static_cast<std::size_t>(d->channels);
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return true;
}

Decoded DecodeJpeg(const std::string& jpeg) {
  Decoded d;
  if (!DecodeJpegInto(jpeg, &d)) return {};
  return d;
}

enum class JpegInput { kGray, kYcbcrJfif, kRgbWithoutMarkers };

// A JPEG Baseline stream of `pixels` as a DICOM encoder might write it.
Bytes EncodeJpeg(const Bytes& pixels, std::uint32_t width, std::uint32_t height, JpegInput mode,
                 int quality = 95) {
  jpeg_compress_struct cinfo;
  jpeg_error_mgr err;
  cinfo.err = jpeg_std_error(&err);
  jpeg_create_compress(&cinfo);
  unsigned char* out = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&cinfo, &out, &size);
  cinfo.image_width = width;
  cinfo.image_height = height;
  cinfo.input_components = mode == JpegInput::kGray ? 1 : 3;
  cinfo.in_color_space = mode == JpegInput::kGray ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&cinfo);
  if (mode == JpegInput::kRgbWithoutMarkers) {
    // No color transform, no JFIF or Adobe marker and ordinary component ids 1, 2, 3: only
    // the Photometric Interpretation says these are RGB.
    jpeg_set_colorspace(&cinfo, JCS_RGB);
    cinfo.write_Adobe_marker = FALSE;
    cinfo.write_JFIF_header = FALSE;
    for (int i = 0; i < 3; ++i) cinfo.comp_info[i].component_id = i + 1;
  }
  jpeg_set_quality(&cinfo, quality, TRUE);
  jpeg_start_compress(&cinfo, TRUE);
  const std::size_t stride =
      static_cast<std::size_t>(width) * static_cast<std::size_t>(cinfo.input_components);
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row = const_cast<JSAMPLE*>(pixels.data()) + cinfo.next_scanline * stride;
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  Bytes b(out, out + size);
  std::free(out);
  if (b.size() % 2) b.push_back(0);
  return b;
}

RenderOptions Png() {
  RenderOptions o;
  o.format = RenderOptions::Format::kPng;
  return o;
}

Decoded RenderPng(const DataSet& ds, RenderOptions o = Png(), std::string_view ts = kExplicitLe,
                  std::uint32_t frame = 1) {
  o.format = RenderOptions::Format::kPng;
  auto r = RenderFrame(ds, ts, frame, o, {});
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) return {};
  return DecodePng(*r);
}

Bytes Row(const Decoded& d) { return d.pixels; }

double MeanAbsDiff(const Decoded& a, const Decoded& b) {
  if (a.pixels.size() != b.pixels.size() || a.pixels.empty()) return 1e9;
  double sum = 0;
  for (std::size_t i = 0; i < a.pixels.size(); ++i) sum += std::abs(a.pixels[i] - b.pixels[i]);
  return sum / static_cast<double>(a.pixels.size());
}

// --- Grayscale pipeline ---

TEST(RenderGrayTest, AppliesTheLinearWindowOfPs3_3C_11_2_1_2_1) {
  // Center 100, width 51: below 74.5 is black, above 124.5 white, linear between.
  DataSet ds = Gray(1, 7, 8, {0, 74, 75, 100, 124, 125, 255});
  SetWindow(ds, "100", "51");
  EXPECT_EQ(Row(RenderPng(ds)), (Bytes{0, 0, 3, 130, 252, 255, 255}));
}

TEST(RenderGrayTest, WindowOfTheOptionsReplacesTheDataSets) {
  DataSet ds = Gray(1, 4, 8, {0, 64, 128, 255});
  SetWindow(ds, "100", "51");
  RenderOptions o = Png();
  o.window_center = 128;  // with width 256: the identity on 8 bits
  o.window_width = 256;
  EXPECT_EQ(Row(RenderPng(ds, o)), (Bytes{0, 64, 128, 255}));
}

TEST(RenderGrayTest, WindowWidthOneIsAThreshold) {
  DataSet ds = Gray(1, 4, 8, {9, 10, 11, 12});
  RenderOptions o = Png();
  o.window_center = 11;
  o.window_width = 1;
  EXPECT_EQ(Row(RenderPng(ds, o)), (Bytes{0, 0, 255, 255}));
}

TEST(RenderGrayTest, LinearExactAndSigmoidFunctions) {
  DataSet ds = Gray(1, 3, 8, {50, 100, 150});
  RenderOptions o = Png();
  o.window_center = 100;
  o.window_width = 100;
  o.window_function = VoiLutFunction::kLinearExact;
  EXPECT_EQ(Row(RenderPng(ds, o)), (Bytes{0, 128, 255}));
  o.window_function = VoiLutFunction::kSigmoid;
  // 255 / (1 + exp(-4 (x - c) / w)): 30.3, 127.5, 224.7
  EXPECT_EQ(Row(RenderPng(ds, o)), (Bytes{30, 128, 225}));
}

TEST(RenderGrayTest, WithoutAWindowTheFramesRangeMapsToBlackAndWhite) {
  DataSet ds = Gray(2, 2, 16, {1000, 1010, 1020, 1030});
  EXPECT_EQ(Row(RenderPng(ds)), (Bytes{0, 85, 170, 255}));
}

TEST(RenderGrayTest, AConstantFrameWithoutAWindowIsBlack) {
  EXPECT_EQ(Row(RenderPng(Gray(1, 3, 8, {7, 7, 7}))), (Bytes{0, 0, 0}));
  EXPECT_EQ(Row(RenderPng(Gray(1, 3, 8, {7, 7, 7}, "MONOCHROME1"))), (Bytes{255, 255, 255}));
}

TEST(RenderGrayTest, Monochrome1IsInverted) {
  DataSet ds = Gray(2, 2, 16, {1000, 1010, 1020, 1030}, "MONOCHROME1");
  EXPECT_EQ(Row(RenderPng(ds)), (Bytes{255, 170, 85, 0}));
}

TEST(RenderGrayTest, MasksBitsAboveBitsStoredAndSignExtendsWithRescale) {
  // 12 of 16 bits, signed; the top 4 bits carry garbage (as overlays once did).
  DataSet ds = Gray(1, 4, 16, {0xFFFF, 0xF800, 0x77FF, 0xA000});  // -1, -2048, 2047, 0
  ds.SetU16(Tag{0x0028, 0x0101}, 12);
  ds.SetU16(Tag{0x0028, 0x0102}, 11);
  ds.SetU16(Tag{0x0028, 0x0103}, 1);
  ds.SetString(Tag{0x0028, 0x1053}, Vr::kDS, "2");
  ds.SetString(Tag{0x0028, 0x1052}, Vr::kDS, "10");  // modality values 8, -4086, 4104, 10
  RenderOptions o = Png();
  o.window_center = 10;
  o.window_width = 100;
  EXPECT_EQ(Row(RenderPng(ds, o)), (Bytes{124, 0, 255, 129}));
}

TEST(RenderGrayTest, ShiftsStoredBitsDownWhenHighBitIsAboveBitsStored) {
  DataSet ds = Gray(1, 3, 16, {0x0000, 0x8000, 0xFFF0});  // 12 bits in 15..4: 0, 2048, 4095
  ds.SetU16(Tag{0x0028, 0x0101}, 12);
  ds.SetU16(Tag{0x0028, 0x0102}, 15);
  RenderOptions o = Png();
  o.window_center = 2048;
  o.window_width = 4096;
  o.window_function = VoiLutFunction::kLinearExact;
  EXPECT_EQ(Row(RenderPng(ds, o)), (Bytes{0, 128, 255}));
}

TEST(RenderGrayTest, SignedThirtyTwoBitValuesFarApartAreMappedPerPixel) {
  // The range is too wide for a lookup table: the direct path must give the same result.
  DataSet ds = Gray(1, 3, 32, {0x80000000u, 0, 0x7FFFFFFFu});
  ds.SetU16(Tag{0x0028, 0x0103}, 1);
  EXPECT_EQ(Row(RenderPng(ds)), (Bytes{0, 128, 255}));
}

TEST(RenderGrayTest, UnpacksOneBitPixelsLeastSignificantBitFirst) {
  DataSet ds = Module(1, 8, 1);
  ds.SetBytes(kPixelData, Vr::kOW, {0b10100101, 0});
  EXPECT_EQ(Row(RenderPng(ds)), (Bytes{255, 0, 255, 0, 0, 255, 0, 255}));
}

TEST(RenderGrayTest, RendersTheFrameAskedForOfAMultiFrameImage) {
  DataSet ds = Gray(1, 2, 8, {1, 2, 30, 40});
  ds.SetString(Tag{0x0028, 0x0008}, Vr::kIS, "2");
  RenderOptions o = Png();
  o.window_center = 128;
  o.window_width = 256;
  EXPECT_EQ(Row(RenderPng(ds, o, kExplicitLe, 2)), (Bytes{30, 40}));
  auto r = RenderFrame(ds, kExplicitLe, 3, o, {});
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
}

// --- Color ---

TEST(RenderColorTest, RgbOfEitherPlanarConfigurationGivesTheSamePixels) {
  DataSet by_pixel = Module(1, 2, 8, "RGB", 3);
  by_pixel.SetBytes(kPixelData, Vr::kOB, {10, 20, 30, 40, 50, 60});
  DataSet by_plane = Module(1, 2, 8, "RGB", 3);
  by_plane.SetU16(Tag{0x0028, 0x0006}, 1);
  by_plane.SetBytes(kPixelData, Vr::kOB, {10, 40, 20, 50, 30, 60});
  Decoded a = RenderPng(by_pixel);
  EXPECT_EQ(a.channels, 3);
  EXPECT_EQ(a.pixels, (Bytes{10, 20, 30, 40, 50, 60}));
  EXPECT_EQ(RenderPng(by_plane).pixels, a.pixels);
}

TEST(RenderColorTest, ConvertsYbrFullToRgb) {
  DataSet ds = Module(1, 3, 8, "YBR_FULL", 3);
  // Gray, and BT.601 full-range red and blue.
  ds.SetBytes(kPixelData, Vr::kOB, {128, 128, 128, 76, 85, 255, 29, 255, 107});
  Decoded d = RenderPng(ds);
  ASSERT_EQ(d.pixels.size(), 9u);
  const Bytes expected = {128, 128, 128, 255, 0, 0, 0, 0, 255};
  for (std::size_t i = 0; i < 9; ++i) EXPECT_NEAR(d.pixels[i], expected[i], 2) << i;
}

TEST(RenderColorTest, ConvertsNativeYbrFull422SharingChromaBetweenPixelPairs) {
  DataSet ds = Module(1, 2, 8, "YBR_FULL_422", 3);
  ds.SetBytes(kPixelData, Vr::kOB, {50, 200, 128, 128});  // Y1 Y2 Cb Cr: two grays
  EXPECT_EQ(RenderPng(ds).pixels, (Bytes{50, 50, 50, 200, 200, 200}));
}

TEST(RenderColorTest, PaletteColorAndSixteenBitColorAreUnsupported) {
  DataSet palette = Gray(1, 2, 8, {1, 2}, "PALETTE COLOR");
  EXPECT_EQ(RenderFrame(palette, kExplicitLe, 1, Png(), {}).status().code(),
            StatusCode::kUnsupported);
  DataSet rgb16 = Module(1, 1, 16, "RGB", 3);
  rgb16.SetBytes(kPixelData, Vr::kOW, Bytes(6, 0));
  EXPECT_EQ(RenderFrame(rgb16, kExplicitLe, 1, Png(), {}).status().code(),
            StatusCode::kUnsupported);
}

// --- Viewport ---

TEST(RenderViewportTest, ShrinksByAreaAverage) {
  DataSet ds = Gray(4, 4, 8,
                    {0, 4, 100, 104,    //
                     8, 12, 108, 112,   //
                     200, 202, 40, 40,  //
                     204, 206, 40, 44});
  RenderOptions o = Png();
  o.window_center = 128;
  o.window_width = 256;
  o.viewport_columns = 2;
  o.viewport_rows = 2;
  Decoded d = RenderPng(ds, o);
  EXPECT_EQ(d.width, 2u);
  EXPECT_EQ(d.height, 2u);
  EXPECT_EQ(d.pixels, (Bytes{6, 106, 203, 41}));
}

TEST(RenderViewportTest, EnlargesBilinearly) {
  DataSet ds = Gray(1, 2, 8, {0, 200});
  RenderOptions o = Png();
  o.window_center = 128;
  o.window_width = 256;
  o.viewport_columns = 4;
  Decoded d = RenderPng(ds, o);
  EXPECT_EQ(d.width, 4u);
  EXPECT_EQ(d.height, 2u);
  // Source centers at 0.5 and 1.5 of 2; output centers at 0.25, 0.75, 1.25, 1.75 of 2.
  EXPECT_EQ(d.pixels, (Bytes{0, 50, 150, 200, 0, 50, 150, 200}));
}

TEST(RenderViewportTest, FitsInsideTheViewportKeepingTheAspectRatio) {
  DataSet ds = Gray(4, 8, 8, std::vector<std::uint32_t>(32, 9));
  RenderOptions o = Png();
  o.viewport_columns = 10;
  o.viewport_rows = 10;
  Decoded d = RenderPng(ds, o);
  EXPECT_EQ(d.width, 10u);
  EXPECT_EQ(d.height, 5u);
  o.viewport_columns.reset();
  o.viewport_rows = 2;
  d = RenderPng(ds, o);
  EXPECT_EQ(d.width, 4u);
  EXPECT_EQ(d.height, 2u);
  o.viewport_rows.reset();
  o.viewport_columns = 3;
  d = RenderPng(ds, o);
  EXPECT_EQ(d.width, 3u);
  EXPECT_EQ(d.height, 2u);  // 1.5 rounds to 2
}

TEST(RenderViewportTest, CapsTheOutputAtTheFrameLimit) {
  DataSet ds = Gray(10, 10, 8, std::vector<std::uint32_t>(100, 9));
  RenderOptions o = Png();
  o.viewport_columns = 1000;
  o.viewport_rows = 1000;
  PixelLimits limits;
  limits.max_pixels_per_frame = 10000;
  auto r = RenderFrame(ds, kExplicitLe, 1, o, limits);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  Decoded d = DecodePng(*r);
  EXPECT_EQ(d.width, 100u);
  EXPECT_EQ(d.height, 100u);
}

// --- Output formats and options ---

Bytes Gradient(std::uint32_t width, std::uint32_t height, int channels) {
  Bytes b(static_cast<std::size_t>(width) * height * static_cast<std::size_t>(channels));
  for (std::uint32_t y = 0; y < height; ++y) {
    for (std::uint32_t x = 0; x < width; ++x) {
      for (int c = 0; c < channels; ++c) {
        b[(static_cast<std::size_t>(y) * width + x) * static_cast<std::size_t>(channels) +
          static_cast<std::size_t>(c)] =
            static_cast<std::uint8_t>((x * 3 + y * 2 + static_cast<std::uint32_t>(c) * 30) % 256);
      }
    }
  }
  return b;
}

TEST(RenderOutputTest, JpegOutputDecodesCloseToThePixels) {
  const Bytes pixels = Gradient(32, 16, 1);
  DataSet ds = Module(16, 32, 8);
  ds.SetBytes(kPixelData, Vr::kOB, pixels);
  RenderOptions o;
  o.window_center = 128;
  o.window_width = 256;
  o.quality = 95;
  auto jpeg = RenderFrame(ds, kExplicitLe, 1, o, {});
  ASSERT_TRUE(jpeg.ok()) << jpeg.status().ToString();
  ASSERT_GE(jpeg->size(), 2u);
  EXPECT_EQ(static_cast<std::uint8_t>((*jpeg)[0]), 0xFF);
  EXPECT_EQ(static_cast<std::uint8_t>((*jpeg)[1]), 0xD8);
  Decoded d = DecodeJpeg(*jpeg);
  Decoded expected{32, 16, 1, pixels};
  EXPECT_EQ(d.width, 32u);
  EXPECT_EQ(d.channels, 1);
  EXPECT_LT(MeanAbsDiff(d, expected), 2.0);
}

TEST(RenderOutputTest, LowerQualityMakesASmallerJpeg) {
  DataSet ds = Module(64, 64, 8, "RGB", 3);
  ds.SetBytes(kPixelData, Vr::kOB, Gradient(64, 64, 3));
  RenderOptions o;
  o.quality = 95;
  auto high = RenderFrame(ds, kExplicitLe, 1, o, {});
  o.quality = 10;
  auto low = RenderFrame(ds, kExplicitLe, 1, o, {});
  ASSERT_TRUE(high.ok() && low.ok());
  EXPECT_LT(low->size(), high->size());
  EXPECT_EQ(DecodeJpeg(*low).channels, 3);
}

TEST(RenderOutputTest, RejectsOptionsOutOfRange) {
  DataSet ds = Gray(1, 1, 8, {1});
  auto code = [&](RenderOptions o) {
    return RenderFrame(ds, kExplicitLe, 1, o, {}).status().code();
  };
  RenderOptions o;
  o.quality = 0;
  EXPECT_EQ(code(o), StatusCode::kMalformed);
  o.quality = 101;
  EXPECT_EQ(code(o), StatusCode::kMalformed);
  o = {};
  o.window_center = 1;
  EXPECT_EQ(code(o), StatusCode::kMalformed);
  o.window_width = 0.5;
  EXPECT_EQ(code(o), StatusCode::kMalformed);
  o.window_function = VoiLutFunction::kLinearExact;
  EXPECT_TRUE(RenderFrame(ds, kExplicitLe, 1, o, {}).ok());
  o = {};
  o.viewport_rows = 0;
  EXPECT_EQ(code(o), StatusCode::kMalformed);
}

TEST(RenderOutputTest, ThumbnailIsAJpegInside128By128) {
  RenderOptions t = ThumbnailOptions();
  EXPECT_EQ(t.viewport_columns, 128u);
  EXPECT_EQ(t.viewport_rows, 128u);
  EXPECT_EQ(t.quality, 80);
  EXPECT_EQ(t.format, RenderOptions::Format::kJpeg);
  DataSet ds = Module(256, 512, 8);
  ds.SetBytes(kPixelData, Vr::kOB, Gradient(512, 256, 1));
  auto r = RenderFrame(ds, kExplicitLe, 1, t, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  Decoded d = DecodeJpeg(*r);
  EXPECT_EQ(d.width, 128u);
  EXPECT_EQ(d.height, 64u);
}

// --- Errors ---

TEST(RenderErrorTest, TruncatedPixelDataIsMalformed) {
  DataSet ds = Module(4, 4, 16);
  ds.SetBytes(kPixelData, Vr::kOW, Bytes(30, 0));
  EXPECT_EQ(RenderFrame(ds, kExplicitLe, 1, Png(), {}).status().code(), StatusCode::kMalformed);
}

TEST(RenderErrorTest, UnsupportedSyntaxesAreNamed) {
  DataSet ds = Module(2, 2, 8);
  SetFragments(ds, {{0xFF, 0x4F, 0xFF, 0x51}});
  auto r = RenderFrame(ds, "1.2.840.10008.1.2.4.90", 1, {}, {});
  EXPECT_EQ(r.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(r.status().message().find("rendering JPEG 2000 is not supported"), std::string::npos)
      << r.status().message();
  r = RenderFrame(ds, "1.2.840.10008.1.2.5", 1, {}, {});
  EXPECT_NE(r.status().message().find("RLE"), std::string::npos);
}

// --- JPEG Baseline input ---

TEST(RenderJpegInputTest, DecodesGrayJpegThroughTheWindow) {
  const Bytes pixels = Gradient(32, 16, 1);
  DataSet ds = Module(16, 32, 8);
  SetFragments(ds, {EncodeJpeg(pixels, 32, 16, JpegInput::kGray)});
  RenderOptions o = Png();
  o.window_center = 128;
  o.window_width = 256;
  Decoded d = RenderPng(ds, o, kJpegBaseline);
  EXPECT_EQ(d.channels, 1);
  EXPECT_LT(MeanAbsDiff(d, Decoded{32, 16, 1, pixels}), 2.0);
  // MONOCHROME1 inverts JPEG input as it does native.
  ds.SetString(Tag{0x0028, 0x0004}, Vr::kCS, "MONOCHROME1");
  Decoded inverted = RenderPng(ds, o, kJpegBaseline);
  ASSERT_EQ(inverted.pixels.size(), d.pixels.size());
  for (std::size_t i = 0; i < d.pixels.size(); ++i)
    EXPECT_EQ(inverted.pixels[i], 255 - d.pixels[i]);
}

TEST(RenderJpegInputTest, DecodesYcbcrJpegToRgb) {
  const Bytes pixels = Gradient(32, 32, 3);
  DataSet ds = Module(32, 32, 8, "YBR_FULL_422", 3);
  SetFragments(ds, {EncodeJpeg(pixels, 32, 32, JpegInput::kYcbcrJfif)});
  Decoded d = RenderPng(ds, Png(), kJpegBaseline);
  EXPECT_EQ(d.channels, 3);
  EXPECT_LT(MeanAbsDiff(d, Decoded{32, 32, 3, pixels}), 3.0);
}

TEST(RenderJpegInputTest, RgbPhotometricWithoutMarkersMeansNoColorTransform) {
  const Bytes pixels = Gradient(32, 32, 3);
  DataSet ds = Module(32, 32, 8, "RGB", 3);
  SetFragments(ds, {EncodeJpeg(pixels, 32, 32, JpegInput::kRgbWithoutMarkers)});
  Decoded d = RenderPng(ds, Png(), kJpegBaseline);
  EXPECT_LT(MeanAbsDiff(d, Decoded{32, 32, 3, pixels}), 3.0);
}

TEST(RenderJpegInputTest, ScalesLargeJpegsForThumbnails) {
  DataSet ds = Module(512, 512, 8);
  SetFragments(ds, {EncodeJpeg(Gradient(512, 512, 1), 512, 512, JpegInput::kGray, 80)});
  auto r = RenderFrame(ds, kJpegBaseline, 1, ThumbnailOptions(), {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  Decoded d = DecodeJpeg(*r);
  EXPECT_EQ(d.width, 128u);
  EXPECT_EQ(d.height, 128u);
}

TEST(RenderJpegInputTest, CorruptJpegIsMalformed) {
  DataSet ds = Module(16, 16, 8);
  const Bytes good = EncodeJpeg(Gradient(16, 16, 1), 16, 16, JpegInput::kGray);
  const std::vector<Bytes> corrupt = {
      {0x12, 0x34, 0x56, 0x78},                          // not a JPEG at all
      {0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x02, 0xFF, 0xD9},  // SOF too short
      Bytes(good.begin(), good.begin() + 20),            // ends inside the tables
      {0xFF, 0xD8, 0xFF, 0xD9},                          // no image
  };
  for (const Bytes& c : corrupt) {
    SetFragments(ds, {c});
    auto r = RenderFrame(ds, kJpegBaseline, 1, {}, {});
    EXPECT_EQ(r.status().code(), StatusCode::kMalformed) << r.status().ToString();
  }
  // Entropy-coded data cut short decodes what is there (libjpeg's warning is ignored).
  Bytes cut(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(good.size() - 10));
  cut.resize(cut.size() + cut.size() % 2);
  SetFragments(ds, {cut});
  EXPECT_TRUE(RenderFrame(ds, kJpegBaseline, 1, {}, {}).ok());
}

TEST(RenderJpegInputTest, RejectsAJpegThatDisagreesWithTheDataSet) {
  DataSet ds = Module(16, 20, 8);  // the stream is 16 x 16
  SetFragments(ds, {EncodeJpeg(Gradient(16, 16, 1), 16, 16, JpegInput::kGray)});
  auto r = RenderFrame(ds, kJpegBaseline, 1, {}, {});
  EXPECT_EQ(r.status().code(), StatusCode::kMalformed);
  EXPECT_NE(r.status().message().find("16x16"), std::string::npos);
  DataSet color = Module(16, 16, 8, "RGB", 3);  // the stream has one component
  SetFragments(color, {EncodeJpeg(Gradient(16, 16, 1), 16, 16, JpegInput::kGray)});
  EXPECT_EQ(RenderFrame(color, kJpegBaseline, 1, {}, {}).status().code(), StatusCode::kMalformed);
}

TEST(RenderJpegInputTest, ChecksTheDecodedSizeAgainstTheLimitsBeforeDecoding) {
  DataSet ds = Module(64, 64, 8);
  SetFragments(ds, {EncodeJpeg(Gradient(64, 64, 1), 64, 64, JpegInput::kGray)});
  PixelLimits limits;
  limits.max_pixels_per_frame = 64 * 64 - 1;
  EXPECT_EQ(RenderFrame(ds, kJpegBaseline, 1, {}, limits).status().code(),
            StatusCode::kLimitExceeded);
}

// --- pydicom's test files ---

constexpr std::string_view kPydicomFiles = BASTION_PYDICOM_DATA_DIR "/test_files/";

Result<dicom::Part10File> ReadPydicom(std::string_view name) {
  auto mapped = MappedFile::Open(std::string(kPydicomFiles) + std::string(name));
  if (!mapped.ok()) return mapped.status();
  return dicom::ReadPart10(*mapped);
}

Decoded RenderFile(std::string_view name, RenderOptions o = Png(), std::uint32_t frame = 1) {
  auto f = ReadPydicom(name);
  EXPECT_TRUE(f.ok()) << name << ": " << f.status().ToString();
  if (!f.ok()) return {};
  auto r = RenderFrame(f->dataset, f->transfer_syntax.uid, frame, o, {});
  EXPECT_TRUE(r.ok()) << name << ": " << r.status().ToString();
  if (!r.ok()) return {};
  return o.format == RenderOptions::Format::kPng ? DecodePng(*r) : DecodeJpeg(*r);
}

TEST(RenderPydicomTest, RendersSampleFilesAtTheirSize) {
  struct Case {
    std::string_view file;
    std::uint32_t width;
    std::uint32_t height;
    int channels;
  };
  for (const Case& c :
       {Case{"CT_small.dcm", 128, 128, 1}, Case{"MR_small.dcm", 64, 64, 1},
        Case{"MR_small_bigendian.dcm", 64, 64, 1}, Case{"MR_small_implicit.dcm", 64, 64, 1},
        Case{"MR_small_padded.dcm", 64, 64, 1}, Case{"SC_rgb_jpeg_dcmtk.dcm", 100, 100, 3},
        Case{"SC_rgb_small_odd.dcm", 3, 3, 3}, Case{"SC_rgb_small_odd_jpeg.dcm", 3, 3, 3},
        Case{"SC_ybr_full_422_uncompressed.dcm", 100, 100, 3},
        Case{"SC_jpeg_no_color_transform.dcm", 256, 256, 3},
        Case{"SC_rgb_jpeg_lossy_gdcm.dcm", 100, 100, 3}, Case{"ExplVR_BigEnd.dcm", 80, 60, 3},
        Case{"image_dfl.dcm", 512, 512, 1}, Case{"liver_1frame.dcm", 512, 512, 1},
        Case{"rtdose.dcm", 10, 10, 1}}) {
    Decoded d = RenderFile(c.file);
    EXPECT_EQ(d.width, c.width) << c.file;
    EXPECT_EQ(d.height, c.height) << c.file;
    EXPECT_EQ(d.channels, c.channels) << c.file;
    Decoded thumb = RenderFile(c.file, ThumbnailOptions());
    EXPECT_LE(thumb.width, 128u) << c.file;
    EXPECT_LE(thumb.height, 128u) << c.file;
    EXPECT_TRUE(thumb.width == 128u || thumb.height == 128u) << c.file;
  }
}

TEST(RenderPydicomTest, EveryFrameOfAMultiFrameFileRenders) {
  auto f = ReadPydicom("rtdose.dcm");
  ASSERT_TRUE(f.ok());
  for (std::uint32_t frame = 1; frame <= 15; ++frame) {
    EXPECT_TRUE(RenderFrame(f->dataset, f->transfer_syntax.uid, frame, {}, {}).ok()) << frame;
  }
}

TEST(RenderPydicomTest, EncodingsOfTheSameImageRenderAlike) {
  // The same MR slice in three native syntaxes: identical output.
  Decoded mr = RenderFile("MR_small.dcm");
  EXPECT_EQ(RenderFile("MR_small_bigendian.dcm").pixels, mr.pixels);
  EXPECT_EQ(RenderFile("MR_small_implicit.dcm").pixels, mr.pixels);
  // Native references and their JPEG Baseline encodings (YCbCr with JFIF, and RGB without a
  // color transform): close.
  EXPECT_LT(
      MeanAbsDiff(RenderFile("SC_rgb_small_odd_jpeg.dcm"), RenderFile("SC_rgb_small_odd.dcm")),
      8.0);
  EXPECT_LT(
      MeanAbsDiff(RenderFile("SC_jpeg_no_color_transform.dcm"), RenderFile("SC_rgb_jpeg_dcmd.dcm")),
      3.0);
  EXPECT_LT(MeanAbsDiff(RenderFile("SC_rgb_dcmtk_+eb+cy+n2.dcm"),
                        RenderFile("SC_ybr_full_422_uncompressed.dcm")),
            3.0);
}

TEST(RenderPydicomTest, CtUsesRescaleAndItsOwnRangeWithoutAWindow) {
  auto f = ReadPydicom("CT_small.dcm");
  ASSERT_TRUE(f.ok());
  RenderOptions o = Png();
  o.window_center = 40;  // a soft-tissue window in Hounsfield units
  o.window_width = 400;
  auto r = RenderFrame(f->dataset, f->transfer_syntax.uid, 1, o, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  Decoded windowed = DecodePng(*r);
  Decoded full = RenderFile("CT_small.dcm");
  EXPECT_NE(windowed.pixels, full.pixels);
  EXPECT_EQ(*std::min_element(full.pixels.begin(), full.pixels.end()), 0);
  EXPECT_EQ(*std::max_element(full.pixels.begin(), full.pixels.end()), 255);
}

TEST(RenderPydicomTest, CompressedSyntaxesWeDoNotDecodeAreUnsupported) {
  for (std::string_view name : {"JPEG2000.dcm", "JPEG-lossy.dcm", "MR_small_RLE.dcm",
                                "MR_small_jpeg_ls_lossless.dcm", "SC_rgb_jpeg_gdcm.dcm"}) {
    // MR_small_jpeg_ls_lossless.dcm marks its encapsulated Pixel Data OW: lenient reading.
    auto mapped = MappedFile::Open(std::string(kPydicomFiles) + std::string(name));
    ASSERT_TRUE(mapped.ok()) << name;
    auto f = dicom::ReadPart10(*mapped, dicom::LenientReadOptions());
    ASSERT_TRUE(f.ok()) << name;
    auto r = RenderFrame(f->dataset, f->transfer_syntax.uid, 1, {}, {});
    EXPECT_EQ(r.status().code(), StatusCode::kUnsupported) << name << ": " << r.status().ToString();
  }
}

}  // namespace
}  // namespace bastion::render
