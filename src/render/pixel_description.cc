#include "render/pixel_description.h"

#include <charconv>
#include <cmath>
#include <string_view>

namespace bastion::render {

namespace {

using dicom::Tag;

// Image Pixel Module (PS3.3 C.7.6.3) and the LUT attributes rendering reads.
constexpr Tag kSamplesPerPixel{0x0028, 0x0002};
constexpr Tag kPhotometricInterpretation{0x0028, 0x0004};
constexpr Tag kPlanarConfiguration{0x0028, 0x0006};
constexpr Tag kNumberOfFrames{0x0028, 0x0008};
constexpr Tag kRows{0x0028, 0x0010};
constexpr Tag kColumns{0x0028, 0x0011};
constexpr Tag kBitsAllocated{0x0028, 0x0100};
constexpr Tag kBitsStored{0x0028, 0x0101};
constexpr Tag kHighBit{0x0028, 0x0102};
constexpr Tag kPixelRepresentation{0x0028, 0x0103};
constexpr Tag kWindowCenter{0x0028, 0x1050};
constexpr Tag kWindowWidth{0x0028, 0x1051};
constexpr Tag kRescaleIntercept{0x0028, 0x1052};
constexpr Tag kRescaleSlope{0x0028, 0x1053};
constexpr Tag kVoiLutFunction{0x0028, 0x1056};

// A required unsigned short of the module: absent or unreadable is Malformed.
Result<std::uint16_t> RequiredUs(const dicom::DataSet& ds, Tag tag, std::string_view name) {
  if (!ds.Contains(tag)) {
    return Status::Malformed(std::string(name) + " " + tag.ToString() + " is missing");
  }
  std::optional<std::int64_t> v = ds.GetInt(tag);
  if (!v || *v < 0 || *v > 0xFFFF) {
    return Status::Malformed(std::string(name) + " " + tag.ToString() +
                             " is not an unsigned short");
  }
  return static_cast<std::uint16_t>(*v);
}

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.remove_suffix(1);
  return s;
}

// First value of a DS element; nullopt when absent or empty, Malformed when unreadable.
Result<std::optional<double>> FirstDecimal(const dicom::DataSet& ds, Tag tag,
                                           std::string_view name) {
  std::optional<std::vector<std::string>> values = ds.GetStrings(tag);
  if (!values || values->empty()) return std::optional<double>();
  std::optional<double> v = ParseDecimalString(values->front());
  if (!v) {
    return Status::Malformed(std::string(name) + " " + tag.ToString() + " \"" + values->front() +
                             "\" is not a decimal string");
  }
  return v;
}

struct PhotometricName {
  std::string_view name;
  Photometric value;
  std::uint16_t samples;
};

constexpr PhotometricName kPhotometrics[] = {
    {"MONOCHROME1", Photometric::kMonochrome1, 1},
    {"MONOCHROME2", Photometric::kMonochrome2, 1},
    {"PALETTE COLOR", Photometric::kPaletteColor, 1},
    {"RGB", Photometric::kRgb, 3},
    {"YBR_FULL", Photometric::kYbrFull, 3},
    {"YBR_FULL_422", Photometric::kYbrFull422, 3},
    {"YBR_PARTIAL_420", Photometric::kYbrPartial420, 3},
    {"YBR_ICT", Photometric::kYbrIct, 3},
    {"YBR_RCT", Photometric::kYbrRct, 3},
};

}  // namespace

std::optional<double> ParseDecimalString(std::string_view text) {
  text = TrimSpaces(text);
  if (text.empty()) return std::nullopt;
  // PS3.5 Table 6.2-1 allows only these characters; from_chars alone would also take "inf",
  // "nan" and hexadecimal forms.
  bool digit = false;
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      digit = true;
    } else if (c != '+' && c != '-' && c != '.' && c != 'e' && c != 'E') {
      return std::nullopt;
    }
  }
  if (!digit) return std::nullopt;
  if (text.front() == '+') text.remove_prefix(1);
  double v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || !std::isfinite(v)) {
    return std::nullopt;
  }
  return v;
}

Result<PixelDescription> DescribePixels(const dicom::DataSet& ds, const PixelLimits& limits) {
  PixelDescription d;
  BASTION_ASSIGN_OR_RETURN(std::uint16_t rows, RequiredUs(ds, kRows, "Rows"));
  BASTION_ASSIGN_OR_RETURN(std::uint16_t columns, RequiredUs(ds, kColumns, "Columns"));
  if (rows == 0 || columns == 0) {
    return Status::Malformed("the image is " + std::to_string(columns) + " columns by " +
                             std::to_string(rows) + " rows: both must be at least 1");
  }
  d.rows = rows;
  d.columns = columns;
  if (d.pixels_per_frame() > limits.max_pixels_per_frame) {
    return Status::LimitExceeded("a frame of " + std::to_string(columns) + "x" +
                                 std::to_string(rows) + " pixels exceeds the limit of " +
                                 std::to_string(limits.max_pixels_per_frame) + " pixels");
  }

  BASTION_ASSIGN_OR_RETURN(d.samples_per_pixel,
                           RequiredUs(ds, kSamplesPerPixel, "Samples per Pixel"));
  if (d.samples_per_pixel == 4) {
    return Status::Unsupported("Samples per Pixel 4 (retired ARGB/CMYK) is not supported");
  }
  if (d.samples_per_pixel != 1 && d.samples_per_pixel != 3) {
    return Status::Malformed("Samples per Pixel is " + std::to_string(d.samples_per_pixel) +
                             ", not 1 or 3 (PS3.3 C.7.6.3.1.1)");
  }

  BASTION_ASSIGN_OR_RETURN(d.bits_allocated, RequiredUs(ds, kBitsAllocated, "Bits Allocated"));
  if (d.bits_allocated != 1 && d.bits_allocated != 8 && d.bits_allocated != 16 &&
      d.bits_allocated != 32) {
    return Status::Malformed("Bits Allocated is " + std::to_string(d.bits_allocated) +
                             ", not 1, 8, 16 or 32");
  }
  BASTION_ASSIGN_OR_RETURN(d.bits_stored, RequiredUs(ds, kBitsStored, "Bits Stored"));
  if (d.bits_stored == 0 || d.bits_stored > d.bits_allocated) {
    return Status::Malformed("Bits Stored is " + std::to_string(d.bits_stored) +
                             " with Bits Allocated " + std::to_string(d.bits_allocated) +
                             ": it must be 1 to Bits Allocated");
  }
  BASTION_ASSIGN_OR_RETURN(d.high_bit, RequiredUs(ds, kHighBit, "High Bit"));
  if (d.high_bit + 1 < d.bits_stored || d.high_bit >= d.bits_allocated) {
    return Status::Malformed("High Bit is " + std::to_string(d.high_bit) + " with Bits Stored " +
                             std::to_string(d.bits_stored) + " and Bits Allocated " +
                             std::to_string(d.bits_allocated) +
                             ": the stored bits do not fit the cell");
  }
  BASTION_ASSIGN_OR_RETURN(d.pixel_representation,
                           RequiredUs(ds, kPixelRepresentation, "Pixel Representation"));
  if (d.pixel_representation > 1) {
    return Status::Malformed("Pixel Representation is " + std::to_string(d.pixel_representation) +
                             ", not 0 or 1");
  }

  std::optional<std::string> pi = ds.GetString(kPhotometricInterpretation);
  if (!pi) {
    return Status::Malformed("Photometric Interpretation " + kPhotometricInterpretation.ToString() +
                             " is missing");
  }
  d.photometric_interpretation = std::string(TrimSpaces(*pi));
  const PhotometricName* found = nullptr;
  for (const PhotometricName& p : kPhotometrics) {
    if (p.name == d.photometric_interpretation) found = &p;
  }
  if (found == nullptr) {
    return Status::Unsupported("Photometric Interpretation \"" + d.photometric_interpretation +
                               "\" is not supported");
  }
  if (found->samples != d.samples_per_pixel) {
    return Status::Malformed("Photometric Interpretation " + d.photometric_interpretation +
                             " needs " + std::to_string(found->samples) +
                             " samples per pixel, the data set has " +
                             std::to_string(d.samples_per_pixel));
  }
  d.photometric = found->value;

  if (d.samples_per_pixel > 1 && ds.Contains(kPlanarConfiguration)) {
    BASTION_ASSIGN_OR_RETURN(d.planar_configuration,
                             RequiredUs(ds, kPlanarConfiguration, "Planar Configuration"));
    if (d.planar_configuration > 1) {
      return Status::Malformed("Planar Configuration is " + std::to_string(d.planar_configuration) +
                               ", not 0 or 1");
    }
  }

  if (ds.Contains(kNumberOfFrames)) {
    std::optional<std::int64_t> frames = ds.GetInt(kNumberOfFrames);
    if (!frames || *frames < 1) {
      return Status::Malformed("Number of Frames " + kNumberOfFrames.ToString() +
                               " is not a positive integer");
    }
    if (static_cast<std::uint64_t>(*frames) > limits.max_frames) {
      return Status::LimitExceeded("Number of Frames " + std::to_string(*frames) +
                                   " exceeds the limit of " + std::to_string(limits.max_frames));
    }
    d.number_of_frames = static_cast<std::uint32_t>(*frames);
  }
  if (d.number_of_frames > limits.max_frames) {
    return Status::LimitExceeded("Number of Frames 1 exceeds the limit of " +
                                 std::to_string(limits.max_frames));
  }

  // Pixels are at most 2^32 and bytes per sample 4, so this cannot overflow.
  const std::uint64_t decoded =
      d.pixels_per_frame() * d.samples_per_pixel * ((d.bits_allocated + 7u) / 8u);
  if (decoded > limits.max_decoded_bytes) {
    return Status::LimitExceeded("a decoded frame of " + std::to_string(decoded) +
                                 " bytes exceeds the limit of " +
                                 std::to_string(limits.max_decoded_bytes) + " bytes");
  }

  BASTION_ASSIGN_OR_RETURN(std::optional<double> slope,
                           FirstDecimal(ds, kRescaleSlope, "Rescale Slope"));
  BASTION_ASSIGN_OR_RETURN(std::optional<double> intercept,
                           FirstDecimal(ds, kRescaleIntercept, "Rescale Intercept"));
  if (slope) d.rescale_slope = *slope;
  if (intercept) d.rescale_intercept = *intercept;

  // A window the standard forbids (width below 1) or an unreadable one is ignored rather than
  // fatal: the frame is still worth showing with the window of its own range.
  std::optional<std::vector<std::string>> centers = ds.GetStrings(kWindowCenter);
  std::optional<std::vector<std::string>> widths = ds.GetStrings(kWindowWidth);
  if (centers && widths && !centers->empty() && !widths->empty()) {
    std::optional<double> c = ParseDecimalString(centers->front());
    std::optional<double> w = ParseDecimalString(widths->front());
    if (c && w && *w >= 1.0) {
      d.window_center = c;
      d.window_width = w;
    }
  }
  if (std::optional<std::string> f = ds.GetString(kVoiLutFunction)) {
    std::string_view name = TrimSpaces(*f);
    // Defined Terms: anything else is read as the default, LINEAR.
    if (name == "LINEAR_EXACT") d.voi_lut_function = VoiLutFunction::kLinearExact;
    if (name == "SIGMOID") d.voi_lut_function = VoiLutFunction::kSigmoid;
  }
  return d;
}

}  // namespace bastion::render
