#include "render/frames.h"

#include <algorithm>
#include <limits>
#include <optional>
#include <string>

#include "dicom/tag.h"
#include "dicom/transfer_syntax.h"

namespace bastion::render {

namespace {

using dicom::Element;
using dicom::Tag;
using dicom::ValueBytes;

struct MediaTypeRow {
  std::string_view uid;
  std::string_view media_type;
  bool is_default;
};

// PS3.18 Table 8.7.3-5 (compressed bulk data), plus the encapsulated uncompressed syntax of
// PS3.5 A.4.11, whose frames are plain octets.
constexpr MediaTypeRow kMediaTypes[] = {
    {"1.2.840.10008.1.2.4.70", "image/jpeg", true},
    {"1.2.840.10008.1.2.4.50", "image/jpeg", false},
    {"1.2.840.10008.1.2.4.51", "image/jpeg", false},
    {"1.2.840.10008.1.2.4.57", "image/jpeg", false},
    {"1.2.840.10008.1.2.5", "image/dicom-rle", true},
    {"1.2.840.10008.1.2.4.80", "image/jls", true},
    {"1.2.840.10008.1.2.4.81", "image/jls", false},
    {"1.2.840.10008.1.2.4.90", "image/jp2", true},
    {"1.2.840.10008.1.2.4.91", "image/jp2", false},
    {"1.2.840.10008.1.2.4.92", "image/jpx", true},
    {"1.2.840.10008.1.2.4.93", "image/jpx", false},
    {"1.2.840.10008.1.2.4.201", "image/jphc", true},
    {"1.2.840.10008.1.2.4.202", "image/jphc", false},
    {"1.2.840.10008.1.2.4.203", "image/jphc", false},
    {"1.2.840.10008.1.2.4.110", "image/jxl", true},
    {"1.2.840.10008.1.2.4.111", "image/jxl", false},
    {"1.2.840.10008.1.2.4.112", "image/jxl", false},
    {"1.2.840.10008.1.2.4.100", "video/mpeg", true},
    {"1.2.840.10008.1.2.4.100.1", "video/mpeg", false},
    {"1.2.840.10008.1.2.4.101", "video/mpeg", false},
    {"1.2.840.10008.1.2.4.101.1", "video/mpeg", false},
    {"1.2.840.10008.1.2.4.102", "video/mp4", true},
    {"1.2.840.10008.1.2.4.102.1", "video/mp4", false},
    {"1.2.840.10008.1.2.4.103", "video/mp4", false},
    {"1.2.840.10008.1.2.4.103.1", "video/mp4", false},
    {"1.2.840.10008.1.2.4.104", "video/mp4", false},
    {"1.2.840.10008.1.2.4.104.1", "video/mp4", false},
    {"1.2.840.10008.1.2.4.105", "video/mp4", false},
    {"1.2.840.10008.1.2.4.105.1", "video/mp4", false},
    {"1.2.840.10008.1.2.4.106", "video/mp4", false},
    {"1.2.840.10008.1.2.4.106.1", "video/mp4", false},
    {"1.2.840.10008.1.2.4.107", "video/H265", true},
    {"1.2.840.10008.1.2.4.108", "video/H265", false},
    {"1.2.840.10008.1.2.1.98", "application/octet-stream", false},
};

const MediaTypeRow* FindMediaType(std::string_view uid) {
  for (const MediaTypeRow& row : kMediaTypes) {
    if (row.uid == uid) return &row;
  }
  return nullptr;
}

bool IsVideo(std::string_view uid) {
  const MediaTypeRow* row = FindMediaType(uid);
  return row != nullptr && row->media_type.substr(0, 6) == "video/";
}

// Syntaxes whose frames begin with a marker we can recognise: JPEG (ISO 10918-1) and JPEG-LS
// (ISO 14495-1) with SOI FFD8, JPEG 2000 and HTJ2K codestreams with SOC FF4F followed by SIZ
// FF51 (ISO 15444-1 A.4.1).
bool HasFrameStartMarkers(std::string_view uid) {
  const MediaTypeRow* row = FindMediaType(uid);
  if (row == nullptr) return false;
  return row->media_type == "image/jpeg" || row->media_type == "image/jls" ||
         row->media_type == "image/jp2" || row->media_type == "image/jpx" ||
         row->media_type == "image/jphc";
}

bool StartsWithFrameMarker(std::span<const std::uint8_t> b) {
  if (b.size() >= 2 && b[0] == 0xFF && b[1] == 0xD8) return true;
  return b.size() >= 4 && b[0] == 0xFF && b[1] == 0x4F && b[2] == 0xFF && b[3] == 0x51;
}

std::string FrameOf(std::uint32_t n, std::uint32_t frames) {
  return "frame " + std::to_string(n) + " of " + std::to_string(frames);
}

Result<std::vector<FrameBytes>> NativeFrames(const PixelDescription& d, const Element& pixel,
                                             const dicom::TransferSyntax& ts,
                                             std::span<const std::uint32_t> numbers) {
  if (ts.endian == Endian::kBig && d.bits_allocated > 8) {
    // The reader swaps OW in 16-bit units; anything else would still be big endian here.
    if (pixel.vr != dicom::Vr::kOW || d.bits_allocated != 16) {
      return Status::Unsupported("Explicit VR Big Endian pixel data of " +
                                 std::to_string(d.bits_allocated) + " bits in " +
                                 std::string(dicom::VrName(pixel.vr)) + " is not supported");
    }
  }
  std::uint64_t bits = d.bits_per_frame();
  // YBR_FULL_422 keeps two luminance samples and one pair of chrominance samples for each two
  // pixels of a row (PS3.3 C.7.6.3.1.2): two thirds of the full size.
  if (d.photometric == Photometric::kYbrFull422) bits = bits / 3 * 2;
  if (d.bits_allocated == 1 && d.number_of_frames > 1 && bits % 8 != 0) {
    return Status::Unsupported("frames of " + std::to_string(bits) +
                               " bits of a multi-frame 1-bit image do not start on byte "
                               "boundaries; extracting them is not supported");
  }
  const std::uint64_t frame_size = (bits + 7) / 8;
  const std::span<const std::uint8_t> value = pixel.value.view();
  if (value.size() != pixel.value.size()) {
    return Status::Malformed("Pixel Data refers to bytes outside its source");
  }
  if (frame_size == 0 ||
      d.number_of_frames > std::numeric_limits<std::uint64_t>::max() / frame_size ||
      value.size() < frame_size * d.number_of_frames) {
    return Status::Malformed("Pixel Data holds " + std::to_string(value.size()) + " bytes; " +
                             std::to_string(d.number_of_frames) + " frame(s) of " +
                             std::to_string(frame_size) + " bytes need " +
                             std::to_string(frame_size * d.number_of_frames));
  }
  std::vector<FrameBytes> out;
  out.reserve(numbers.size());
  for (std::uint32_t n : numbers) {
    out.push_back(FrameBytes::Reference(value.subspan(
        static_cast<std::size_t>((n - 1) * frame_size), static_cast<std::size_t>(frame_size))));
  }
  return out;
}

// Where each frame of an encapsulated Pixel Data starts: the index of its first fragment
// (fragments counted after the Basic Offset Table), and its exact length when the Extended
// Offset Table Lengths give it.
struct FrameLayout {
  std::vector<std::size_t> first_fragment;
  std::vector<std::optional<std::uint64_t>> length;
};

// Little-endian integers of `width` bytes from an offset table value.
std::vector<std::uint64_t> ReadOffsets(std::span<const std::uint8_t> b, std::size_t width) {
  std::vector<std::uint64_t> out(b.size() / width);
  for (std::size_t i = 0; i < out.size(); ++i) {
    std::uint64_t v = 0;
    for (std::size_t k = 0; k < width; ++k) {
      v |= static_cast<std::uint64_t>(b[i * width + k]) << (8 * k);
    }
    out[i] = v;
  }
  return out;
}

// Maps byte offsets (PS3.5 A.4: from the first byte of the first fragment's item tag after the
// Basic Offset Table) to fragment indices; each offset must begin a fragment, the first frame
// the first fragment, and offsets must increase.
Status OffsetsToFragments(const std::vector<std::uint64_t>& offsets,
                          const std::vector<std::uint64_t>& starts, std::string_view table,
                          FrameLayout& layout) {
  layout.first_fragment.resize(offsets.size());
  for (std::size_t i = 0; i < offsets.size(); ++i) {
    if (i == 0 && offsets[i] != 0) {
      return Status::Malformed(std::string(table) + ": frame 1 starts at offset " +
                               std::to_string(offsets[i]) + ", not at the first fragment");
    }
    if (i > 0 && offsets[i] <= offsets[i - 1]) {
      return Status::Malformed(std::string(table) + ": offset of frame " + std::to_string(i + 1) +
                               " does not increase");
    }
    auto it = std::lower_bound(starts.begin(), starts.end(), offsets[i]);
    if (it == starts.end() || *it != offsets[i]) {
      return Status::Malformed(std::string(table) + ": offset " + std::to_string(offsets[i]) +
                               " of frame " + std::to_string(i + 1) + " does not start a fragment");
    }
    layout.first_fragment[i] = static_cast<std::size_t>(it - starts.begin());
  }
  return Status::Ok();
}

Result<FrameLayout> LocateFrames(const PixelDescription& d, const dicom::DataSet& ds,
                                 const Element& pixel, std::string_view ts_uid,
                                 std::span<const std::span<const std::uint8_t>> fragments) {
  const std::uint32_t frames = d.number_of_frames;
  FrameLayout layout;
  layout.length.assign(frames, std::nullopt);
  // Item offsets of the fragments: each item is an 8-byte header and its value.
  std::vector<std::uint64_t> starts(fragments.size());
  std::uint64_t pos = 0;
  for (std::size_t i = 0; i < fragments.size(); ++i) {
    starts[i] = pos;
    pos += 8 + fragments[i].size();
  }

  const Element* eot = ds.Find(dicom::tags::kExtendedOffsetTable);
  const Element* eot_lengths = ds.Find(dicom::tags::kExtendedOffsetTableLengths);
  if (eot != nullptr || eot_lengths != nullptr) {
    if (eot == nullptr || eot_lengths == nullptr) {
      return Status::Malformed(
          "Extended Offset Table (7FE0,0001) and its Lengths (7FE0,0002) must be present "
          "together");
    }
    const auto table = eot->value.view();
    const auto lengths = eot_lengths->value.view();
    if (table.size() != 8ull * frames || lengths.size() != 8ull * frames) {
      return Status::Malformed("Extended Offset Table has " + std::to_string(table.size()) +
                               " bytes and its Lengths " + std::to_string(lengths.size()) + "; " +
                               std::to_string(frames) + " frame(s) need " +
                               std::to_string(8ull * frames) + " each");
    }
    BASTION_RETURN_IF_ERROR(
        OffsetsToFragments(ReadOffsets(table, 8), starts, "Extended Offset Table", layout));
    std::vector<std::uint64_t> l = ReadOffsets(lengths, 8);
    for (std::size_t i = 0; i < frames; ++i) layout.length[i] = l[i];
    return layout;
  }

  const std::span<const std::uint8_t> bot = pixel.fragments.front().view();
  if (!bot.empty()) {
    if (bot.size() % 4 != 0 || bot.size() / 4 != frames) {
      return Status::Malformed("Basic Offset Table of " + std::to_string(bot.size()) +
                               " bytes does not hold one 4-byte offset for each of " +
                               std::to_string(frames) + " frame(s)");
    }
    BASTION_RETURN_IF_ERROR(
        OffsetsToFragments(ReadOffsets(bot, 4), starts, "Basic Offset Table", layout));
    return layout;
  }

  if (fragments.size() < frames) {
    return Status::Malformed(std::to_string(fragments.size()) + " fragment(s) for " +
                             std::to_string(frames) + " frames");
  }
  layout.first_fragment.resize(frames);
  if (fragments.size() == frames) {
    for (std::size_t i = 0; i < frames; ++i) layout.first_fragment[i] = i;
    return layout;
  }
  if (frames == 1) {
    layout.first_fragment[0] = 0;
    return layout;
  }
  // More fragments than frames and no offsets: a frame starts where a fragment begins with a
  // start-of-image marker, if the syntax has one and the count agrees.
  if (HasFrameStartMarkers(ts_uid) && StartsWithFrameMarker(fragments[0])) {
    std::size_t found = 0;
    for (std::size_t i = 0; i < fragments.size() && found <= frames; ++i) {
      if (StartsWithFrameMarker(fragments[i])) {
        if (found < frames) layout.first_fragment[found] = i;
        ++found;
      }
    }
    if (found == frames) return layout;
  }
  return Status::Unsupported("cannot tell where frames start: " + std::to_string(fragments.size()) +
                             " fragments for " + std::to_string(frames) +
                             " frames and no offset table");
}

Result<std::vector<FrameBytes>> EncapsulatedFrames(const PixelDescription& d,
                                                   const dicom::DataSet& ds, const Element& pixel,
                                                   std::string_view ts_uid,
                                                   std::span<const std::uint32_t> numbers,
                                                   const PixelLimits& limits) {
  if (IsVideo(ts_uid)) {
    return Status::Unsupported("frames of a video transfer syntax (" + std::string(ts_uid) +
                               ") cannot be separated");
  }
  if (pixel.fragments.empty()) {
    return Status::Malformed("encapsulated Pixel Data without a Basic Offset Table item");
  }
  if (pixel.fragments.size() == 1) {
    return Status::Malformed("encapsulated Pixel Data without fragments");
  }
  std::vector<std::span<const std::uint8_t>> fragments;
  fragments.reserve(pixel.fragments.size() - 1);
  for (std::size_t i = 0; i < pixel.fragments.size(); ++i) {
    const ValueBytes& f = pixel.fragments[i];
    if (f.view().size() != f.size()) {
      return Status::Malformed("a Pixel Data fragment refers to bytes outside its source");
    }
    if (i > 0) fragments.push_back(f.view());
  }
  BASTION_ASSIGN_OR_RETURN(FrameLayout layout, LocateFrames(d, ds, pixel, ts_uid, fragments));

  std::vector<FrameBytes> out;
  out.reserve(numbers.size());
  std::uint64_t copied = 0;
  for (std::uint32_t n : numbers) {
    const std::size_t first = layout.first_fragment[n - 1];
    const std::size_t end = n < d.number_of_frames ? layout.first_fragment[n] : fragments.size();
    std::uint64_t total = 0;
    for (std::size_t i = first; i < end; ++i) total += fragments[i].size();
    std::uint64_t size = total;
    if (const std::optional<std::uint64_t>& exact = layout.length[n - 1]) {
      // The Lengths give the frame without the padding its fragment may carry.
      if (*exact > total) {
        return Status::Malformed("Extended Offset Table Lengths give " +
                                 FrameOf(n, d.number_of_frames) + " " + std::to_string(*exact) +
                                 " bytes; its fragments hold " + std::to_string(total));
      }
      size = *exact;
    }
    // Empty fragment items are well formed, but a frame of no bytes is no image: refusing it
    // keeps an empty part out of a /frames response.
    if (size == 0) {
      return Status::Malformed(FrameOf(n, d.number_of_frames) + " has no bytes");
    }
    if (end - first == 1 || (size <= fragments[first].size())) {
      out.push_back(FrameBytes::Reference(fragments[first].first(static_cast<std::size_t>(size))));
      continue;
    }
    copied += size;
    if (copied > limits.max_decoded_bytes) {
      return Status::LimitExceeded(
          "copying frames made of several fragments exceeds the limit "
          "of " +
          std::to_string(limits.max_decoded_bytes) + " bytes");
    }
    std::vector<std::uint8_t> joined;
    joined.reserve(static_cast<std::size_t>(size));
    for (std::size_t i = first; i < end && joined.size() < size; ++i) {
      const std::size_t take = static_cast<std::size_t>(
          std::min<std::uint64_t>(fragments[i].size(), size - joined.size()));
      joined.insert(joined.end(), fragments[i].begin(),
                    fragments[i].begin() + static_cast<std::ptrdiff_t>(take));
    }
    out.push_back(FrameBytes::Owned(std::move(joined)));
  }
  return out;
}

}  // namespace

Result<std::vector<FrameBytes>> ExtractFrames(const dicom::DataSet& dataset,
                                              std::string_view transfer_syntax_uid,
                                              std::span<const std::uint32_t> frame_numbers,
                                              const PixelLimits& limits) {
  const Element* pixel = dataset.Find(dicom::tags::kPixelData);
  if (pixel == nullptr) {
    if (dataset.Contains(dicom::tags::kFloatPixelData) ||
        dataset.Contains(dicom::tags::kDoubleFloatPixelData)) {
      return Status::Unsupported("frames of Float or Double Float Pixel Data are not supported");
    }
    return Status::NotFound("the instance has no Pixel Data (7FE0,0010)");
  }
  if (pixel->is_sequence()) return Status::Malformed("Pixel Data (7FE0,0010) is a sequence");
  BASTION_ASSIGN_OR_RETURN(PixelDescription d, DescribePixels(dataset, limits));
  if (frame_numbers.empty()) return Status::Malformed("no frame numbers were given");
  if (frame_numbers.size() > limits.max_frames) {
    return Status::LimitExceeded(std::to_string(frame_numbers.size()) +
                                 " frame numbers exceed the limit of " +
                                 std::to_string(limits.max_frames));
  }
  for (std::uint32_t n : frame_numbers) {
    if (n == 0 || n > d.number_of_frames) {
      return Status::NotFound(FrameOf(n, d.number_of_frames) + " does not exist");
    }
  }
  std::optional<dicom::TransferSyntax> ts = dicom::FindTransferSyntax(transfer_syntax_uid);
  if (!ts) {
    return Status::Unsupported("unknown transfer syntax \"" + std::string(transfer_syntax_uid) +
                               "\"");
  }
  if (pixel->encapsulated != ts->encapsulated) {
    return Status::Malformed(std::string(pixel->encapsulated ? "encapsulated" : "native") +
                             " Pixel Data in the " +
                             (ts->encapsulated ? "encapsulated" : "native") + " transfer syntax " +
                             std::string(transfer_syntax_uid));
  }
  if (!pixel->encapsulated) return NativeFrames(d, *pixel, *ts, frame_numbers);
  return EncapsulatedFrames(d, dataset, *pixel, transfer_syntax_uid, frame_numbers, limits);
}

Result<FrameMediaType> EncapsulatedFrameMediaType(std::string_view transfer_syntax_uid) {
  const MediaTypeRow* row = FindMediaType(transfer_syntax_uid);
  if (row == nullptr) {
    return Status::Unsupported("no media type for frames in transfer syntax \"" +
                               std::string(transfer_syntax_uid) + "\"");
  }
  return FrameMediaType{row->media_type, row->is_default};
}

}  // namespace bastion::render
