#include "render/render.h"

// libpng before <csetjmp>: png.h brings its own setjmp declarations.
#include <png.h>

#include <algorithm>
#include <cmath>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <limits>
#include <span>
#include <type_traits>
#include <vector>

// jpeglib.h needs FILE and size_t declared first.
#include <jerror.h>
#include <jpeglib.h>

#include "dicom/transfer_syntax.h"
#include "render/frames.h"

namespace bastion::render {

namespace {

constexpr std::string_view kJpegBaseline = "1.2.840.10008.1.2.4.50";

// An 8-bit image, grayscale (1 channel) or RGB (3, interleaved), rows top to bottom.
struct Image {
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  int channels = 1;
  std::vector<std::uint8_t> pixels;
};

// ---------------------------------------------------------------------------------------------
// libjpeg and libpng glue.
//
// Both libraries report fatal errors by calling a handler that must not return. Ours longjmp
// back to a setjmp in one of the small functions below, which hold only trivially destructible
// locals and call nothing but the C library, so the jump skips no C++ destructor. The C++ code
// around them owns the buffers and the library structs (plain C structs destroyed by a guard
// after the jump has already returned).
// ---------------------------------------------------------------------------------------------

struct JpegErrorManager {
  jpeg_error_mgr pub;  // first member: libjpeg hands us a pointer to it
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void JpegErrorExit(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<JpegErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}
// Warnings (corrupt data libjpeg decodes around, as "premature end of data segment") are
// ignored by design: what can be shown is shown. Nothing is printed to stderr.
void JpegEmitMessage(j_common_ptr, int) {}
void JpegOutputMessage(j_common_ptr) {}

void InstallJpegErrors(JpegErrorManager* err, jpeg_error_mgr** slot) {
  *slot = jpeg_std_error(&err->pub);
  err->pub.error_exit = JpegErrorExit;
  err->pub.emit_message = JpegEmitMessage;
  err->pub.output_message = JpegOutputMessage;
  err->message[0] = '\0';
}

void SetMessage(char* dst, std::size_t size, const char* text) {
  std::snprintf(dst, size, "%s", text);
}

struct JpegDecoder {
  jpeg_decompress_struct cinfo;
  JpegErrorManager err;
};

// Creates the decompressor and reads the header (SOI to the first SOS).
bool JpegReadHeader(JpegDecoder* d, const std::uint8_t* data, std::size_t size) {
  InstallJpegErrors(&d->err, &d->cinfo.err);
  if (setjmp(d->err.jump)) return false;
  jpeg_create_decompress(&d->cinfo);
  jpeg_mem_src(&d->cinfo, data, static_cast<unsigned long>(size));
  (void)jpeg_read_header(&d->cinfo, TRUE);
  return true;
}

bool JpegCalcOutputDimensions(JpegDecoder* d) {
  if (setjmp(d->err.jump)) return false;
  jpeg_calc_output_dimensions(&d->cinfo);
  return true;
}

// Decodes into `out` (height rows of `stride` bytes), which the caller sized from the output
// dimensions computed before; a disagreement is refused rather than written past the buffer.
bool JpegReadPixels(JpegDecoder* d, std::uint8_t* out, std::size_t stride, JDIMENSION width,
                    JDIMENSION height) {
  if (setjmp(d->err.jump)) return false;
  (void)jpeg_start_decompress(&d->cinfo);
  if (d->cinfo.output_width != width || d->cinfo.output_height != height ||
      static_cast<std::size_t>(d->cinfo.output_width) *
              static_cast<std::size_t>(d->cinfo.output_components) !=
          stride) {
    SetMessage(d->err.message, sizeof d->err.message, "output size changed at start");
    return false;
  }
  while (d->cinfo.output_scanline < d->cinfo.output_height) {
    JSAMPROW row = out + static_cast<std::size_t>(d->cinfo.output_scanline) * stride;
    if (jpeg_read_scanlines(&d->cinfo, &row, 1) != 1) {
      SetMessage(d->err.message, sizeof d->err.message, "decoder made no progress");
      return false;
    }
  }
  return true;
}

struct JpegEncoder {
  jpeg_compress_struct cinfo;
  JpegErrorManager err;
  jpeg_destination_mgr dest;
  std::string* out;  // sized by the caller; grown by JpegDestEmpty
};

void JpegDestInit(j_compress_ptr cinfo) {
  auto* e = static_cast<JpegEncoder*>(cinfo->client_data);
  e->dest.next_output_byte = reinterpret_cast<JOCTET*>(e->out->data());
  e->dest.free_in_buffer = e->out->size();
}

// Called when the buffer is full: doubles it. An allocation failure becomes a libjpeg error
// (raised after the catch block has ended, so the jump leaves no exception in flight).
boolean JpegDestEmpty(j_compress_ptr cinfo) {
  auto* e = static_cast<JpegEncoder*>(cinfo->client_data);
  const std::size_t used = e->out->size();
  bool grown = true;
  try {
    e->out->resize(used * 2);
  } catch (...) {
    grown = false;
  }
  if (!grown) {
    cinfo->err->msg_code = JERR_OUT_OF_MEMORY;
    (*cinfo->err->error_exit)(reinterpret_cast<j_common_ptr>(cinfo));
  }
  e->dest.next_output_byte = reinterpret_cast<JOCTET*>(e->out->data()) + used;
  e->dest.free_in_buffer = e->out->size() - used;
  return TRUE;
}

void JpegDestTerm(j_compress_ptr cinfo) {
  auto* e = static_cast<JpegEncoder*>(cinfo->client_data);
  e->out->resize(e->out->size() - e->dest.free_in_buffer);
}

bool JpegCompress(JpegEncoder* e, const std::uint8_t* pixels, std::uint32_t width,
                  std::uint32_t height, int channels, int quality) {
  InstallJpegErrors(&e->err, &e->cinfo.err);
  if (setjmp(e->err.jump)) return false;
  jpeg_create_compress(&e->cinfo);
  e->cinfo.client_data = e;
  e->dest.init_destination = JpegDestInit;
  e->dest.empty_output_buffer = JpegDestEmpty;
  e->dest.term_destination = JpegDestTerm;
  e->cinfo.dest = &e->dest;
  e->cinfo.image_width = width;
  e->cinfo.image_height = height;
  e->cinfo.input_components = channels;
  e->cinfo.in_color_space = channels == 3 ? JCS_RGB : JCS_GRAYSCALE;
  jpeg_set_defaults(&e->cinfo);
  jpeg_set_quality(&e->cinfo, quality, TRUE);
  jpeg_start_compress(&e->cinfo, TRUE);
  const std::size_t stride = static_cast<std::size_t>(width) * static_cast<std::size_t>(channels);
  while (e->cinfo.next_scanline < e->cinfo.image_height) {
    // libjpeg's API takes non-const rows; it only reads them.
    JSAMPROW row =
        const_cast<JSAMPLE*>(pixels) + static_cast<std::size_t>(e->cinfo.next_scanline) * stride;
    (void)jpeg_write_scanlines(&e->cinfo, &row, 1);
  }
  jpeg_finish_compress(&e->cinfo);
  return true;
}

struct PngEncoder {
  std::string* out;
  char message[128];
};

void PngError(png_structp png, png_const_charp text) {
  auto* e = static_cast<PngEncoder*>(png_get_error_ptr(png));
  SetMessage(e->message, sizeof e->message, text);
  png_longjmp(png, 1);
}
void PngWarning(png_structp, png_const_charp) {}

void PngWrite(png_structp png, png_bytep data, png_size_t length) {
  auto* e = static_cast<PngEncoder*>(png_get_io_ptr(png));
  bool appended = true;
  try {
    e->out->append(reinterpret_cast<const char*>(data), length);
  } catch (...) {
    appended = false;
  }
  if (!appended) png_error(png, "out of memory for the PNG output");
}
void PngFlush(png_structp) {}

bool PngCompress(PngEncoder* e, const std::uint8_t* pixels, std::uint32_t width,
                 std::uint32_t height, int channels) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, e, PngError, PngWarning);
  if (png == nullptr) {
    SetMessage(e->message, sizeof e->message, "png_create_write_struct failed");
    return false;
  }
  png_infop info = png_create_info_struct(png);
  if (info == nullptr) {
    png_destroy_write_struct(&png, nullptr);
    SetMessage(e->message, sizeof e->message, "png_create_info_struct failed");
    return false;
  }
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return false;
  }
  png_set_write_fn(png, e, PngWrite, PngFlush);
  png_set_IHDR(png, info, width, height, 8,
               channels == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  // Rendering is on the request path: a fast zlib level costs a few percent in size.
  png_set_compression_level(png, 3);
  png_write_info(png, info);
  const std::size_t stride = static_cast<std::size_t>(width) * static_cast<std::size_t>(channels);
  for (std::uint32_t y = 0; y < height; ++y) {
    png_write_row(png, pixels + static_cast<std::size_t>(y) * stride);
  }
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return true;
}

// ---------------------------------------------------------------------------------------------
// Decoding to 8-bit samples.
// ---------------------------------------------------------------------------------------------

// Chooses the libjpeg DCT scaling (1/1, 1/2, 1/4, 1/8) that still leaves at least the target
// size, so a thumbnail of a large JPEG decodes a fraction of its coefficients.
unsigned JpegScaleDenominator(std::uint32_t width, std::uint32_t height, std::uint32_t target_w,
                              std::uint32_t target_h) {
  for (unsigned denom : {8u, 4u, 2u}) {
    const std::uint32_t w = (width + denom - 1) / denom;
    const std::uint32_t h = (height + denom - 1) / denom;
    if (w >= target_w && h >= target_h) return denom;
  }
  return 1;
}

// Decodes a JPEG Baseline frame (PS3.5 8.2.1, ISO 10918-1 process 1) to 8-bit samples: gray
// for one component, RGB for three. The header is read and checked against the data set and
// the limits before any pixel buffer is allocated.
Result<Image> DecodeJpegBaseline(std::span<const std::uint8_t> frame, const PixelDescription& d,
                                 std::uint32_t target_w, std::uint32_t target_h,
                                 const PixelLimits& limits) {
  if (frame.empty()) return Status::Malformed("JPEG frame is empty");
  JpegDecoder dec;
  std::memset(&dec, 0, sizeof dec);
  struct Guard {
    JpegDecoder* d;
    ~Guard() { jpeg_destroy_decompress(&d->cinfo); }
  } guard{&dec};

  auto fail = [&](std::string_view what) {
    return Status::Malformed(std::string(what) + ": " + dec.err.message);
  };
  if (!JpegReadHeader(&dec, frame.data(), frame.size())) return fail("corrupt JPEG header");
  jpeg_decompress_struct& c = dec.cinfo;
  if (c.data_precision != 8) {
    return Status::Unsupported("rendering " + std::to_string(c.data_precision) +
                               "-bit JPEG is not supported");
  }
  // Baseline is sequential Huffman; a progressive or arithmetic stream is not what the
  // transfer syntax promises, and progressive decoding of a hostile stream is slow.
  if (c.progressive_mode || c.arith_code) {
    return Status::Unsupported(std::string("a ") +
                               (c.progressive_mode ? "progressive" : "arithmetic") +
                               " JPEG in the JPEG Baseline transfer syntax is not rendered");
  }
  if (c.image_width != d.columns || c.image_height != d.rows) {
    return Status::Malformed("JPEG frame is " + std::to_string(c.image_width) + "x" +
                             std::to_string(c.image_height) + ", the data set says " +
                             std::to_string(d.columns) + "x" + std::to_string(d.rows));
  }
  if (c.num_components != d.samples_per_pixel) {
    return Status::Malformed("JPEG frame has " + std::to_string(c.num_components) +
                             " components, the data set " + std::to_string(d.samples_per_pixel) +
                             " samples per pixel");
  }
  if (c.num_components == 3) {
    // Without a JFIF or Adobe marker libjpeg assumes YCbCr; the Photometric Interpretation
    // says what the encoder did (PS3.5 8.2.1: RGB means no color transform was applied).
    if (!c.saw_JFIF_marker && !c.saw_Adobe_marker && d.photometric == Photometric::kRgb) {
      c.jpeg_color_space = JCS_RGB;
    }
    c.out_color_space = JCS_RGB;
  } else {
    c.out_color_space = JCS_GRAYSCALE;
  }
  c.scale_num = 1;
  c.scale_denom = JpegScaleDenominator(c.image_width, c.image_height, target_w, target_h);
  if (!JpegCalcOutputDimensions(&dec)) return fail("corrupt JPEG parameters");
  const std::uint64_t out_pixels = static_cast<std::uint64_t>(c.output_width) * c.output_height;
  const std::uint64_t out_bytes = out_pixels * static_cast<std::uint64_t>(c.output_components);
  if (c.output_width == 0 || c.output_height == 0 || out_pixels > limits.max_pixels_per_frame ||
      out_bytes > limits.max_decoded_bytes) {
    return Status::LimitExceeded("decoded JPEG of " + std::to_string(c.output_width) + "x" +
                                 std::to_string(c.output_height) + " exceeds the limits");
  }
  Image image;
  image.width = c.output_width;
  image.height = c.output_height;
  image.channels = c.output_components;
  image.pixels.resize(static_cast<std::size_t>(out_bytes));
  const std::size_t stride =
      static_cast<std::size_t>(image.width) * static_cast<std::size_t>(image.channels);
  if (!JpegReadPixels(&dec, image.pixels.data(), stride, c.output_width, c.output_height)) {
    return fail("corrupt JPEG data");
  }
  return image;
}

// Where the stored bits sit in a cell (PS3.5 8.1.1) and how to read them as a value.
struct StoredLayout {
  unsigned shift = 0;      // High Bit + 1 - Bits Stored
  std::uint32_t mask = 0;  // Bits Stored ones
  std::uint32_t sign = 0;  // the top stored bit, when Pixel Representation is 1
};

StoredLayout LayoutOf(unsigned bits_stored, unsigned high_bit, bool is_signed) {
  StoredLayout l;
  l.shift = high_bit + 1 - bits_stored;
  l.mask = bits_stored >= 32 ? 0xFFFFFFFFu : ((1u << bits_stored) - 1u);
  l.sign = is_signed ? (1u << (bits_stored - 1)) : 0u;
  return l;
}

template <std::size_t kBytes>
inline std::uint32_t LoadCell(const std::uint8_t* p) {
  if constexpr (kBytes == 1) {
    return p[0];
  } else if constexpr (kBytes == 2) {
    return static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8);
  } else {
    return static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8) |
           (static_cast<std::uint32_t>(p[2]) << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
  }
}

// Stored values of up to 16 bits fit int32, which keeps the loops below vectorisable.
template <std::size_t kBytes>
using StoredInt = std::conditional_t<kBytes == 4, std::int64_t, std::int32_t>;

// The stored value of a cell: its Bits Stored bits, as two's complement when signed
// (flipping the sign bit and subtracting it sign-extends without a branch).
template <std::size_t kBytes>
inline StoredInt<kBytes> StoredValue(std::uint32_t cell, const StoredLayout& l) {
  using S = StoredInt<kBytes>;
  const std::uint32_t v = (cell >> l.shift) & l.mask;
  return static_cast<S>(static_cast<S>(v ^ l.sign) - static_cast<S>(l.sign));
}

template <std::size_t kBytes>
void StoredRange(const std::uint8_t* cells, std::size_t n, const StoredLayout& l, std::int64_t& lo,
                 std::int64_t& hi) {
  using S = StoredInt<kBytes>;
  S mn = std::numeric_limits<S>::max();
  S mx = std::numeric_limits<S>::min();
  for (std::size_t i = 0; i < n; ++i) {
    const S v = StoredValue<kBytes>(LoadCell<kBytes>(cells + i * kBytes), l);
    mn = std::min(mn, v);
    mx = std::max(mx, v);
  }
  lo = mn;
  hi = mx;
}

// out[i] = lut[stored bits of cell i]: a table over every bit pattern of Bits Stored.
template <std::size_t kBytes>
void LookUpPatterns(const std::uint8_t* cells, std::size_t n, const StoredLayout& l,
                    const std::uint8_t* lut, std::uint8_t* out) {
  for (std::size_t i = 0; i < n; ++i) {
    out[i] = lut[(LoadCell<kBytes>(cells + i * kBytes) >> l.shift) & l.mask];
  }
}

// out[i] = lut[stored value of cell i - lo]: a table over the values present.
template <std::size_t kBytes>
void LookUpRange(const std::uint8_t* cells, std::size_t n, const StoredLayout& l, std::int64_t lo,
                 const std::uint8_t* lut, std::uint8_t* out) {
  for (std::size_t i = 0; i < n; ++i) {
    out[i] = lut[StoredValue<kBytes>(LoadCell<kBytes>(cells + i * kBytes), l) - lo];
  }
}

// The grayscale pipeline of PS3.4 N.2 from stored value to 8-bit presentation value.
struct GrayTransform {
  double slope = 1.0;
  double intercept = 0.0;
  VoiLutFunction function = VoiLutFunction::kLinear;
  double center = 0.0;
  double width = 1.0;
  bool constant = false;  // the frame's own range is a single value: everything is black
  bool invert = false;    // MONOCHROME1

  std::uint8_t operator()(std::int64_t stored) const {
    double y = 0.0;  // 0..1
    if (!constant) {
      const double x = static_cast<double>(stored) * slope + intercept;  // Modality LUT
      switch (function) {
        case VoiLutFunction::kLinear: {
          // PS3.3 C.11.2.1.2.1. With width 1 the middle case is empty (no division by 0).
          const double c = center - 0.5;
          const double w = width - 1.0;
          if (x <= c - w / 2) {
            y = 0.0;
          } else if (x > c + w / 2) {
            y = 1.0;
          } else {
            y = (x - c) / w + 0.5;
          }
          break;
        }
        case VoiLutFunction::kLinearExact:  // PS3.3 C.11.2.1.3.2
          if (x <= center - width / 2) {
            y = 0.0;
          } else if (x > center + width / 2) {
            y = 1.0;
          } else {
            y = (x - center) / width + 0.5;
          }
          break;
        case VoiLutFunction::kSigmoid:  // PS3.3 C.11.2.1.3.1
          y = 1.0 / (1.0 + std::exp(-4.0 * (x - center) / width));
          break;
      }
    }
    const double v = std::clamp(std::round(y * 255.0), 0.0, 255.0);
    const auto b = static_cast<std::uint8_t>(v);
    return invert ? static_cast<std::uint8_t>(255 - b) : b;
  }
};

template <std::size_t kBytes>
void RenderGrayCellsOf(const std::uint8_t* cells, std::size_t n, const StoredLayout& layout,
                       const PixelDescription& d, const RenderOptions& options, std::uint8_t* out) {
  GrayTransform t;
  t.slope = d.rescale_slope;
  t.intercept = d.rescale_intercept;
  t.invert = d.photometric == Photometric::kMonochrome1;
  const bool windowed =
      (options.window_center && options.window_width) || (d.window_center && d.window_width);
  // Tables cost one evaluation of the pipeline per entry, so each is used only when it has no
  // more entries than the frame has pixels (or a few thousand, always cheap).
  const std::uint64_t patterns = static_cast<std::uint64_t>(layout.mask) + 1;
  const std::uint64_t worth = std::max<std::uint64_t>(n, 4096);
  std::int64_t lo = 0;
  std::int64_t hi = 0;
  if (!windowed || patterns > worth) StoredRange<kBytes>(cells, n, layout, lo, hi);
  if (options.window_center && options.window_width) {
    t.function = options.window_function;
    t.center = *options.window_center;
    t.width = *options.window_width;
  } else if (d.window_center && d.window_width) {
    t.function = d.voi_lut_function;
    t.center = *d.window_center;
    t.width = *d.window_width;
  } else {
    // The frame's own range: its minimum maps to 0 and its maximum to 255 exactly.
    double a = static_cast<double>(lo) * t.slope + t.intercept;
    double b = static_cast<double>(hi) * t.slope + t.intercept;
    if (a > b) std::swap(a, b);
    t.function = VoiLutFunction::kLinearExact;
    t.center = (a + b) / 2;
    t.width = b - a;
    t.constant = !(t.width > 0);
  }
  if (patterns <= worth) {
    std::vector<std::uint8_t> lut(static_cast<std::size_t>(patterns));
    for (std::size_t j = 0; j < lut.size(); ++j) {
      lut[j] = t(StoredValue<kBytes>(static_cast<std::uint32_t>(j << layout.shift), layout));
    }
    LookUpPatterns<kBytes>(cells, n, layout, lut.data(), out);
    return;
  }
  const std::uint64_t range = static_cast<std::uint64_t>(hi - lo) + 1;
  if (range <= std::max<std::uint64_t>(n, 1u << 16)) {
    std::vector<std::uint8_t> lut(static_cast<std::size_t>(range));
    for (std::size_t i = 0; i < lut.size(); ++i) lut[i] = t(lo + static_cast<std::int64_t>(i));
    LookUpRange<kBytes>(cells, n, layout, lo, lut.data(), out);
    return;
  }
  // Only 32-bit cells spread over more values than pixels get here.
  for (std::size_t i = 0; i < n; ++i) {
    out[i] = t(StoredValue<kBytes>(LoadCell<kBytes>(cells + i * kBytes), layout));
  }
}

// Renders `n` cells of `cell_bytes` (1, 2 or 4) bytes to 8-bit gray in `out`.
void RenderGrayCells(const std::uint8_t* cells, std::size_t n, std::size_t cell_bytes,
                     const StoredLayout& layout, const PixelDescription& d,
                     const RenderOptions& options, std::uint8_t* out) {
  switch (cell_bytes) {
    case 1:
      return RenderGrayCellsOf<1>(cells, n, layout, d, options, out);
    case 2:
      return RenderGrayCellsOf<2>(cells, n, layout, d, options, out);
    default:
      return RenderGrayCellsOf<4>(cells, n, layout, d, options, out);
  }
}

Result<Image> RenderNativeGray(const PixelDescription& d, std::span<const std::uint8_t> frame,
                               const RenderOptions& options) {
  const std::size_t n = static_cast<std::size_t>(d.pixels_per_frame());
  Image image;
  image.width = d.columns;
  image.height = d.rows;
  image.channels = 1;
  image.pixels.resize(n);
  if (d.bits_allocated == 1) {
    // PS3.5 8.1.1: bit-packed, the first pixel in the least significant bit.
    if (frame.size() < (n + 7) / 8) return Status::Internal("1-bit frame shorter than its size");
    std::vector<std::uint8_t> bits(n);
    for (std::size_t i = 0; i < n; ++i) {
      bits[i] = static_cast<std::uint8_t>((frame[i / 8] >> (i % 8)) & 1u);
    }
    RenderGrayCells(bits.data(), n, 1, LayoutOf(1, 0, false), d, options, image.pixels.data());
    return image;
  }
  const std::size_t cell_bytes = d.bits_allocated / 8u;
  if (frame.size() < n * cell_bytes) return Status::Internal("frame shorter than its size");
  RenderGrayCells(frame.data(), n, cell_bytes,
                  LayoutOf(d.bits_stored, d.high_bit, d.pixel_representation == 1), d, options,
                  image.pixels.data());
  return image;
}

// YCbCr of ITU-R BT.601 full range to RGB (PS3.3 C.7.6.3.1.2, YBR_FULL), in 16.16 fixed point.
struct YbrTables {
  int cr_r[256];
  int cb_b[256];
  int cb_g[256];
  int cr_g[256];
  YbrTables() {
    for (int i = 0; i < 256; ++i) {
      const double v = i - 128;
      cr_r[i] = static_cast<int>(std::lround(1.402 * v * 65536));
      cb_b[i] = static_cast<int>(std::lround(1.772 * v * 65536));
      cb_g[i] = static_cast<int>(std::lround(-0.344136 * v * 65536));
      cr_g[i] = static_cast<int>(std::lround(-0.714136 * v * 65536));
    }
  }
};

inline std::uint8_t Clamp8(int v) { return static_cast<std::uint8_t>(std::clamp(v, 0, 255)); }

inline void YbrToRgb(const YbrTables& t, int y, int cb, int cr, std::uint8_t* rgb) {
  const int y16 = y * 65536 + 32768;
  rgb[0] = Clamp8((y16 + t.cr_r[cr]) >> 16);
  rgb[1] = Clamp8((y16 + t.cb_g[cb] + t.cr_g[cr]) >> 16);
  rgb[2] = Clamp8((y16 + t.cb_b[cb]) >> 16);
}

Result<Image> RenderNativeColor(const PixelDescription& d, std::span<const std::uint8_t> frame) {
  if (d.bits_allocated != 8) {
    return Status::Unsupported("rendering " + std::to_string(d.bits_allocated) + "-bit " +
                               d.photometric_interpretation + " is not supported");
  }
  const std::size_t n = static_cast<std::size_t>(d.pixels_per_frame());
  Image image;
  image.width = d.columns;
  image.height = d.rows;
  image.channels = 3;
  image.pixels.resize(n * 3);
  std::uint8_t* out = image.pixels.data();
  static const YbrTables tables;
  switch (d.photometric) {
    case Photometric::kRgb:
    case Photometric::kYbrFull: {
      if (frame.size() < n * 3) return Status::Internal("color frame shorter than its size");
      if (d.planar_configuration == 0) {
        std::memcpy(out, frame.data(), n * 3);
      } else {
        for (std::size_t i = 0; i < n; ++i) {
          out[3 * i] = frame[i];
          out[3 * i + 1] = frame[n + i];
          out[3 * i + 2] = frame[2 * n + i];
        }
      }
      if (d.photometric == Photometric::kYbrFull) {
        for (std::size_t i = 0; i < n; ++i) {
          std::uint8_t* p = out + 3 * i;
          YbrToRgb(tables, p[0], p[1], p[2], p);
        }
      }
      return image;
    }
    case Photometric::kYbrFull422: {
      // Y1 Y2 Cb Cr for each two pixels of a row (PS3.3 C.7.6.3.1.2); Planar Configuration 0.
      if (d.columns % 2 != 0 || d.planar_configuration != 0) {
        return Status::Malformed(
            "native YBR_FULL_422 needs an even number of columns and "
            "Planar Configuration 0");
      }
      if (frame.size() < n * 2) return Status::Internal("YBR_FULL_422 frame shorter than its size");
      for (std::size_t i = 0; i < n; i += 2) {
        const std::uint8_t* s = frame.data() + 2 * i;
        YbrToRgb(tables, s[0], s[2], s[3], out + 3 * i);
        YbrToRgb(tables, s[1], s[2], s[3], out + 3 * i + 3);
      }
      return image;
    }
    default:
      return Status::Unsupported("rendering native " + d.photometric_interpretation +
                                 " is not supported");
  }
}

// ---------------------------------------------------------------------------------------------
// Viewport scaling: separable, area average when shrinking an axis, bilinear when enlarging.
// ---------------------------------------------------------------------------------------------

struct Taps {
  std::vector<std::uint32_t> first;   // first source index of each output index
  std::vector<std::uint32_t> offset;  // into weights; size out + 1
  std::vector<float> weights;
};

Taps BuildTaps(std::uint32_t in, std::uint32_t out) {
  Taps t;
  t.first.resize(out);
  t.offset.resize(static_cast<std::size_t>(out) + 1);
  const double scale = static_cast<double>(in) / out;
  for (std::uint32_t o = 0; o < out; ++o) {
    t.offset[o] = static_cast<std::uint32_t>(t.weights.size());
    if (out < in) {
      // Output pixel o covers source [o * scale, (o + 1) * scale): each source pixel weighs
      // the part of it that is covered.
      const double s = o * scale;
      const double e = std::min<double>(in, (o + 1) * scale);
      const auto i0 = static_cast<std::uint32_t>(std::floor(s));
      const auto i1 = std::min(in, static_cast<std::uint32_t>(std::ceil(e)));
      t.first[o] = i0;
      for (std::uint32_t i = i0; i < i1; ++i) {
        const double cover = std::min<double>(e, i + 1.0) - std::max<double>(s, i);
        t.weights.push_back(static_cast<float>(cover / scale));
      }
    } else {
      // Pixel centers aligned: output center (o + 0.5) samples source (o + 0.5) * scale.
      double x = (o + 0.5) * scale - 0.5;
      if (x < 0) x = 0;
      const auto i0 = static_cast<std::uint32_t>(std::floor(x));
      if (i0 + 1 >= in) {
        t.first[o] = in - 1;
        t.weights.push_back(1.0f);
      } else {
        const double frac = x - i0;
        t.first[o] = i0;
        t.weights.push_back(static_cast<float>(1.0 - frac));
        t.weights.push_back(static_cast<float>(frac));
      }
    }
  }
  t.offset[out] = static_cast<std::uint32_t>(t.weights.size());
  return t;
}

Image Resample(const Image& src, std::uint32_t out_w, std::uint32_t out_h) {
  const std::size_t ch = static_cast<std::size_t>(src.channels);
  const Taps tx = BuildTaps(src.width, out_w);
  const Taps ty = BuildTaps(src.height, out_h);
  // Horizontal pass into floats, source rows x output columns.
  const std::size_t row_out = static_cast<std::size_t>(out_w) * ch;
  std::vector<float> tmp(static_cast<std::size_t>(src.height) * row_out);
  const std::size_t row_in = static_cast<std::size_t>(src.width) * ch;
  for (std::uint32_t y = 0; y < src.height; ++y) {
    const std::uint8_t* in = src.pixels.data() + y * row_in;
    float* o = tmp.data() + y * row_out;
    for (std::uint32_t x = 0; x < out_w; ++x) {
      const std::uint32_t first = tx.first[x];
      const std::uint32_t count = tx.offset[x + 1] - tx.offset[x];
      const float* w = tx.weights.data() + tx.offset[x];
      for (std::size_t c = 0; c < ch; ++c) {
        float acc = 0.0f;
        for (std::uint32_t k = 0; k < count; ++k) acc += w[k] * in[(first + k) * ch + c];
        o[x * ch + c] = acc;
      }
    }
  }
  // Vertical pass, a whole row at a time.
  Image dst;
  dst.width = out_w;
  dst.height = out_h;
  dst.channels = src.channels;
  dst.pixels.resize(static_cast<std::size_t>(out_h) * row_out);
  std::vector<float> acc(row_out);
  for (std::uint32_t y = 0; y < out_h; ++y) {
    std::fill(acc.begin(), acc.end(), 0.0f);
    const std::uint32_t first = ty.first[y];
    const std::uint32_t count = ty.offset[y + 1] - ty.offset[y];
    for (std::uint32_t k = 0; k < count; ++k) {
      const float w = ty.weights[ty.offset[y] + k];
      const float* r = tmp.data() + static_cast<std::size_t>(first + k) * row_out;
      for (std::size_t i = 0; i < row_out; ++i) acc[i] += w * r[i];
    }
    std::uint8_t* o = dst.pixels.data() + static_cast<std::size_t>(y) * row_out;
    for (std::size_t i = 0; i < row_out; ++i) {
      o[i] = static_cast<std::uint8_t>(std::clamp(acc[i] + 0.5f, 0.0f, 255.0f));
    }
  }
  return dst;
}

struct OutputSize {
  std::uint32_t width;
  std::uint32_t height;
};

// The size that fits the viewport keeping the aspect ratio, capped at max_pixels_per_frame.
Result<OutputSize> TargetSize(std::uint32_t columns, std::uint32_t rows, const RenderOptions& o,
                              const PixelLimits& limits) {
  if (limits.max_pixels_per_frame == 0) {
    return Status::LimitExceeded("the output limit is 0 pixels");
  }
  double scale = 1.0;
  if (o.viewport_columns && o.viewport_rows) {
    scale = std::min(static_cast<double>(*o.viewport_columns) / columns,
                     static_cast<double>(*o.viewport_rows) / rows);
  } else if (o.viewport_columns) {
    scale = static_cast<double>(*o.viewport_columns) / columns;
  } else if (o.viewport_rows) {
    scale = static_cast<double>(*o.viewport_rows) / rows;
  }
  double w = columns * scale;
  double h = rows * scale;
  const double cap = static_cast<double>(limits.max_pixels_per_frame);
  if (w * h > cap) {
    const double f = std::sqrt(cap / (w * h));
    // The epsilon keeps an exact fit (f = 0.1 of 1000) from flooring to one pixel less.
    w = std::floor(w * f + 1e-9);
    h = std::floor(h * f + 1e-9);
  } else {
    w = std::round(w);
    h = std::round(h);
  }
  if (o.viewport_columns) w = std::min<double>(w, *o.viewport_columns);
  if (o.viewport_rows) h = std::min<double>(h, *o.viewport_rows);
  OutputSize s{static_cast<std::uint32_t>(std::max(1.0, w)),
               static_cast<std::uint32_t>(std::max(1.0, h))};
  // Rounding a side up to 1 pixel can push a very thin image over the cap.
  if (static_cast<std::uint64_t>(s.width) * s.height > limits.max_pixels_per_frame) {
    if (s.width == 1) {
      s.height = static_cast<std::uint32_t>(
          std::min<std::uint64_t>(s.height, limits.max_pixels_per_frame));
    } else {
      s.width =
          static_cast<std::uint32_t>(std::min<std::uint64_t>(s.width, limits.max_pixels_per_frame));
    }
  }
  return s;
}

Status ValidateOptions(const RenderOptions& o) {
  if (o.quality < 1 || o.quality > 100) {
    return Status::Malformed("quality " + std::to_string(o.quality) + " is not 1 to 100");
  }
  if (o.window_center.has_value() != o.window_width.has_value()) {
    return Status::Malformed("a window needs both a center and a width");
  }
  if (o.window_center) {
    if (!std::isfinite(*o.window_center) || !std::isfinite(*o.window_width)) {
      return Status::Malformed("window center and width must be finite numbers");
    }
    const bool linear = o.window_function == VoiLutFunction::kLinear;
    if (linear ? *o.window_width < 1.0 : !(*o.window_width > 0.0)) {
      return Status::Malformed(std::string("window width must be ") +
                               (linear ? "at least 1" : "above 0") + " (PS3.3 C.11.2.1.2)");
    }
  }
  if ((o.viewport_columns && *o.viewport_columns == 0) ||
      (o.viewport_rows && *o.viewport_rows == 0)) {
    return Status::Malformed("a viewport dimension of 0");
  }
  return Status::Ok();
}

// What to call a transfer syntax we do not render.
std::string SyntaxName(std::string_view uid) {
  auto in = [&](std::initializer_list<std::string_view> uids) {
    return std::find(uids.begin(), uids.end(), uid) != uids.end();
  };
  if (in({"1.2.840.10008.1.2.4.51"})) return "12-bit JPEG (Extended, Process 2 & 4)";
  if (in({"1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.70"})) return "JPEG Lossless";
  if (in({"1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81"})) return "JPEG-LS";
  if (in({"1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91", "1.2.840.10008.1.2.4.92",
          "1.2.840.10008.1.2.4.93"})) {
    return "JPEG 2000";
  }
  if (in({"1.2.840.10008.1.2.4.201", "1.2.840.10008.1.2.4.202", "1.2.840.10008.1.2.4.203"})) {
    return "High-Throughput JPEG 2000";
  }
  if (in({"1.2.840.10008.1.2.5"})) return "RLE Lossless";
  if (uid.substr(0, 22) == "1.2.840.10008.1.2.4.10") return "MPEG/HEVC video";
  if (uid.substr(0, 22) == "1.2.840.10008.1.2.4.11") return "JPEG XL";
  if (std::optional<dicom::TransferSyntax> ts = dicom::FindTransferSyntax(uid)) {
    return std::string(ts->name);
  }
  return std::string(uid);
}

Result<std::string> Encode(const Image& image, const RenderOptions& o) {
  std::string out;
  if (o.format == RenderOptions::Format::kPng) {
    PngEncoder e{&out, {}};
    if (!PngCompress(&e, image.pixels.data(), image.width, image.height, image.channels)) {
      return Status::Internal(std::string("PNG encoding failed: ") + e.message);
    }
    return out;
  }
  JpegEncoder e;
  std::memset(&e, 0, sizeof e);
  e.out = &out;
  struct Guard {
    JpegEncoder* e;
    ~Guard() { jpeg_destroy_compress(&e->cinfo); }
  } guard{&e};
  out.resize(image.pixels.size() / 4 + 4096);
  if (!JpegCompress(&e, image.pixels.data(), image.width, image.height, image.channels,
                    o.quality)) {
    return Status::Internal(std::string("JPEG encoding failed: ") + e.err.message);
  }
  return out;
}

}  // namespace

Result<std::string> RenderFrame(const dicom::DataSet& dataset, std::string_view transfer_syntax_uid,
                                std::uint32_t frame, const RenderOptions& options,
                                const PixelLimits& limits) {
  BASTION_RETURN_IF_ERROR(ValidateOptions(options));
  BASTION_ASSIGN_OR_RETURN(PixelDescription d, DescribePixels(dataset, limits));
  std::optional<dicom::TransferSyntax> ts = dicom::FindTransferSyntax(transfer_syntax_uid);
  if (!ts) {
    return Status::Unsupported("unknown transfer syntax \"" + std::string(transfer_syntax_uid) +
                               "\"");
  }
  const bool jpeg = transfer_syntax_uid == kJpegBaseline;
  if (ts->encapsulated && !jpeg) {
    return Status::Unsupported("rendering " + SyntaxName(transfer_syntax_uid) +
                               " is not supported");
  }
  if (d.photometric == Photometric::kPaletteColor) {
    return Status::Unsupported("rendering PALETTE COLOR is not supported");
  }
  const std::uint32_t numbers[] = {frame};
  BASTION_ASSIGN_OR_RETURN(std::vector<FrameBytes> frames,
                           ExtractFrames(dataset, transfer_syntax_uid, numbers, limits));
  BASTION_ASSIGN_OR_RETURN(OutputSize size, TargetSize(d.columns, d.rows, options, limits));
  const std::span<const std::uint8_t> bytes = frames.front().bytes();

  Image image;
  if (jpeg) {
    BASTION_ASSIGN_OR_RETURN(image, DecodeJpegBaseline(bytes, d, size.width, size.height, limits));
    if (image.channels == 1) {
      // The decoded samples are 8-bit stored values: the grayscale pipeline applies as to
      // native data (Pixel Representation still says whether they are signed).
      std::vector<std::uint8_t> gray(image.pixels.size());
      RenderGrayCells(image.pixels.data(), image.pixels.size(), 1,
                      LayoutOf(8, 7, d.pixel_representation == 1), d, options, gray.data());
      image.pixels = std::move(gray);
    }
  } else if (d.is_monochrome()) {
    BASTION_ASSIGN_OR_RETURN(image, RenderNativeGray(d, bytes, options));
  } else {
    BASTION_ASSIGN_OR_RETURN(image, RenderNativeColor(d, bytes));
  }
  if (image.width != size.width || image.height != size.height) {
    image = Resample(image, size.width, size.height);
  }
  return Encode(image, options);
}

RenderOptions ThumbnailOptions() {
  RenderOptions o;
  o.viewport_columns = 128;
  o.viewport_rows = 128;
  o.quality = 80;
  o.format = RenderOptions::Format::kJpeg;
  return o;
}

}  // namespace bastion::render
