// Frame extraction for WADO-RS /frames (PS3.18 10.4.1.1.4, 8.7.3.3): the bytes of chosen
// frames of an instance's Pixel Data, native (PS3.5 8.1.1) or encapsulated (PS3.5 A.4), and the
// media type an encapsulated frame is sent as (PS3.18 Table 8.7.3-5).
//
// Nothing is decoded. Native frames are slices of the Pixel Data value; encapsulated frames
// are located with the Extended Offset Table, the Basic Offset Table, or the fragment layout,
// and are a fragment's bytes or, when a frame spans several fragments, their concatenation.
// Thread-safety: pure functions over an immutable DataSet; safe to call concurrently.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <variant>
#include <vector>

#include "base/status.h"
#include "dicom/data_set.h"
#include "render/pixel_description.h"

namespace bastion::render {

// The bytes of one frame. A reference points into the DataSet's values (its owned vectors or
// the ByteSource its ValueBytes reference), so it is valid only while that DataSet is alive and
// unmodified; copies of an owned FrameBytes carry their own bytes.
class FrameBytes {
 public:
  static FrameBytes Reference(std::span<const std::uint8_t> bytes) { return FrameBytes(bytes); }
  static FrameBytes Owned(std::vector<std::uint8_t> bytes) { return FrameBytes(std::move(bytes)); }

  std::span<const std::uint8_t> bytes() const {
    if (const auto* ref = std::get_if<std::span<const std::uint8_t>>(&data_)) return *ref;
    return std::get<std::vector<std::uint8_t>>(data_);
  }
  std::size_t size() const { return bytes().size(); }
  bool is_reference() const { return std::holds_alternative<std::span<const std::uint8_t>>(data_); }

 private:
  explicit FrameBytes(std::span<const std::uint8_t> ref) : data_(ref) {}
  explicit FrameBytes(std::vector<std::uint8_t> owned) : data_(std::move(owned)) {}

  std::variant<std::span<const std::uint8_t>, std::vector<std::uint8_t>> data_;
};

// The frames numbered `frame_numbers` (1-based, in the order given, repeats allowed) of the
// Pixel Data (7FE0,0010) of `dataset`, which was read in `transfer_syntax_uid`.
// Native: frame k is bytes [(k-1) x frame size, k x frame size) of the value, little endian as
// the reader keeps every value; Bits Allocated 1 needs each frame to start on a byte, so a
// multi-frame 1-bit image whose frames do not is Unsupported. Encapsulated: the frame's
// fragment(s), located by (in order of preference) the Extended Offset Table (7FE0,0001) with
// its Lengths (7FE0,0002), the Basic Offset Table, one fragment per frame when the counts
// agree, all fragments for a single frame, or (JPEG family, JPEG 2000) the fragments that begin
// with a start-of-image marker; anything else is Unsupported.
// Errors: NotFound for a frame number 0 or above Number of Frames ("frame 7 of 5") and for a
// data set without Pixel Data; Malformed when the value or the offset tables are inconsistent
// with the description (too short, offsets off fragment boundaries, counts that disagree);
// Unsupported for float pixel data, video syntaxes and layouts we cannot split;
// LimitExceeded for more frame numbers than max_frames or copies above max_decoded_bytes.
Result<std::vector<FrameBytes>> ExtractFrames(const dicom::DataSet& dataset,
                                              std::string_view transfer_syntax_uid,
                                              std::span<const std::uint32_t> frame_numbers,
                                              const PixelLimits& limits);

// The media type an encapsulated frame is sent as in a WADO-RS /frames response (PS3.18
// Table 8.7.3-5), and whether `transfer_syntax_uid` is that media type's default there (when it
// is not, the response's Content-Type must name it: `;transfer-syntax=<uid>`). The JPEG media
// type's default is JPEG Lossless SV1 (1.2.840.10008.1.2.4.70), so JPEG Baseline frames
// carry the parameter. Video syntaxes map to their video types (the whole stream, not a
// frame). Unsupported for native and unknown transfer syntaxes.
struct FrameMediaType {
  std::string_view media_type;
  bool is_default_transfer_syntax = false;
};
Result<FrameMediaType> EncapsulatedFrameMediaType(std::string_view transfer_syntax_uid);

}  // namespace bastion::render
