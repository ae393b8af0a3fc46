// PixelDescription: the Image Pixel Module of a data set (PS3.3 C.7.6.3), read and validated
// once, before any pixel is touched, for WADO-RS frames and rendered resources (PS3.18 10.4).
//
// Everything here comes from the data set, which a peer controls: each value is checked for
// the range the standard gives it, and each size that a later allocation depends on is checked
// against PixelLimits first. Malformed for values the standard forbids, Unsupported for valid
// ones we do not render, LimitExceeded past a limit.
// Thread-safety: plain values and a pure function.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/status.h"
#include "dicom/data_set.h"

namespace bastion::render {

// Bounds on what one request may make us read, copy or decode.
struct PixelLimits {
  // Rows x Columns of a stored frame, and of a rendered output image.
  std::uint64_t max_pixels_per_frame = 64ull << 20;
  // Number of Frames (0028,0008), and frame numbers in one request.
  std::uint32_t max_frames = 100000;
  // Bytes of one decoded frame (rows x columns x samples x bytes per sample), and of the
  // frames a single ExtractFrames call copies (fragments concatenated).
  std::uint64_t max_decoded_bytes = 1ull << 30;
};

// Photometric Interpretation (0028,0004), PS3.3 C.7.6.3.1.2, as far as we tell them apart.
enum class Photometric : std::uint8_t {
  kMonochrome1,
  kMonochrome2,
  kPaletteColor,
  kRgb,
  kYbrFull,
  kYbrFull422,
  kYbrPartial420,
  kYbrIct,
  kYbrRct,
};

// VOI LUT Function (0028,1056), PS3.3 C.11.2.1.3; LINEAR when absent.
enum class VoiLutFunction : std::uint8_t { kLinear, kLinearExact, kSigmoid };

struct PixelDescription {
  std::uint32_t rows = 0;
  std::uint32_t columns = 0;
  std::uint16_t samples_per_pixel = 0;
  std::uint16_t bits_allocated = 0;
  std::uint16_t bits_stored = 0;
  std::uint16_t high_bit = 0;
  std::uint16_t pixel_representation = 0;  // 0 unsigned, 1 two's complement
  std::uint16_t planar_configuration = 0;  // 0 color-by-pixel, 1 color-by-plane
  std::string photometric_interpretation;  // as stored, padding removed
  Photometric photometric = Photometric::kMonochrome2;
  std::uint32_t number_of_frames = 1;
  // Modality LUT (PS3.3 C.11.1): identity when absent.
  double rescale_slope = 1.0;
  double rescale_intercept = 0.0;
  // First values of Window Center/Width (0028,1050/1051), when both are present and the
  // width is at least 1 (PS3.3 C.11.2.1.2); a pair the standard forbids is left out so that
  // rendering falls back to the frame's range instead of failing.
  std::optional<double> window_center;
  std::optional<double> window_width;
  VoiLutFunction voi_lut_function = VoiLutFunction::kLinear;

  std::uint64_t pixels_per_frame() const { return static_cast<std::uint64_t>(rows) * columns; }
  // Bits of one native frame: PS3.5 8.1.1 packs frames with no padding between them.
  std::uint64_t bits_per_frame() const {
    return pixels_per_frame() * samples_per_pixel * bits_allocated;
  }
  bool is_monochrome() const {
    return photometric == Photometric::kMonochrome1 || photometric == Photometric::kMonochrome2;
  }
};

// Reads and validates the Image Pixel Module of `dataset`.
// - Malformed: a required attribute missing or unreadable; Rows or Columns 0; Samples per
//   Pixel other than 1 or 3 (4, retired ARGB/CMYK, is Unsupported); Bits Allocated not 1, 8,
//   16 or 32; Bits Stored 0 or above Bits Allocated; High Bit below Bits Stored - 1 or at or
//   above Bits Allocated; Pixel Representation or Planar Configuration not 0 or 1; Number of
//   Frames 0, negative or not an integer; a Photometric Interpretation that does not match
//   Samples per Pixel; Rescale Slope/Intercept not decimal numbers.
// - Tolerated: High Bit above Bits Stored - 1 (the stored bits are then not at the bottom of
//   the cell, as editions before 2011 allowed); the pixel code shifts them down. Planar
//   Configuration absent on color data is read as 0, the only layout encapsulated syntaxes
//   have.
// - Unsupported: an unknown Photometric Interpretation.
// - LimitExceeded: Rows x Columns above max_pixels_per_frame, Number of Frames above
//   max_frames, one decoded frame above max_decoded_bytes.
Result<PixelDescription> DescribePixels(const dicom::DataSet& dataset, const PixelLimits& limits);

// Parses a Decimal String value (PS3.5 Table 6.2-1: optional sign, digits, optional fraction
// and exponent, leading/trailing spaces). nullopt for anything else, or a non-finite result.
std::optional<double> ParseDecimalString(std::string_view text);

}  // namespace bastion::render
