// Rendered and thumbnail resources of WADO-RS (PS3.18 8.3.5.1, 10.4.1.1.3, 10.4.1.1.5): one
// frame decoded, taken through the grayscale pipeline of PS3.4 N.2 (Modality LUT, VOI LUT,
// MONOCHROME1 inversion) or converted to RGB, scaled to a viewport, and encoded as JPEG or PNG.
//
// Input: native pixel data (MONOCHROME1/2 of 1, 8, 16 or 32 bits, signed or unsigned, any Bits
// Stored and High Bit; RGB and YBR_FULL of 8 bits, either Planar Configuration; YBR_FULL_422 of
// 8 bits) and JPEG Baseline (1.2.840.10008.1.2.4.50) decoded with libjpeg (8 bits, 1 or 3
// components). Everything else is Unsupported, naming what was asked for.
// libjpeg and libpng run inside small C-style functions that confine their setjmp/longjmp
// error handling (no C++ object lives across a jump); no exception leaves this code. Corrupt
// JPEG data is Malformed; libjpeg's warnings (corrupt data it can decode around) are ignored.
// Thread-safety: pure functions; safe to call concurrently.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "dicom/data_set.h"
#include "render/pixel_description.h"

namespace bastion::render {

struct RenderOptions {
  // PS3.18 8.3.5.1.3 "window": when both are set they replace the data set's window.
  // The width must be at least 1 for LINEAR and above 0 otherwise (PS3.3 C.11.2.1.2).
  std::optional<double> window_center;
  std::optional<double> window_width;
  VoiLutFunction window_function = VoiLutFunction::kLinear;
  // PS3.18 8.3.5.1.3 "viewport": the output fits inside columns x rows keeping the aspect
  // ratio (area average when shrinking, bilinear when enlarging); with only one given, the
  // other follows the aspect ratio. The output never exceeds max_pixels_per_frame.
  std::optional<std::uint32_t> viewport_columns;
  std::optional<std::uint32_t> viewport_rows;
  // PS3.18 8.3.5.1.4 "quality", 1..100; JPEG only.
  int quality = 90;
  enum class Format : std::uint8_t { kJpeg, kPng };
  Format format = Format::kJpeg;
};

// The encoded image (JPEG or PNG, 8-bit grayscale or RGB) of frame `frame` (1-based) of
// `dataset`, which was read in `transfer_syntax_uid`.
// VOI: the options' window, else the data set's first Window Center/Width, else the frame's
// own range of modality values (its minimum black, its maximum white; a constant frame is
// black, white for MONOCHROME1). Color images ignore the window.
// Errors: those of DescribePixels and ExtractFrames; Malformed for options out of range
// (quality, a window without both values, width too small, a viewport of 0) and for JPEG data
// that libjpeg cannot decode or that disagrees with the data set (size, components);
// Unsupported for transfer syntaxes and pixel formats listed above as not rendered.
Result<std::string> RenderFrame(const dicom::DataSet& dataset, std::string_view transfer_syntax_uid,
                                std::uint32_t frame, const RenderOptions& options,
                                const PixelLimits& limits);

// The thumbnail resource (PS3.18 10.4.1.1.5): a JPEG of quality 80 inside 128 x 128.
RenderOptions ThumbnailOptions();

}  // namespace bastion::render
