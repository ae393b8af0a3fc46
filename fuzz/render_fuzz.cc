// libFuzzer target: the pixel code of WADO-RS frames and rendered resources (src/render):
// DescribePixels, ExtractFrames and RenderFrame, including libjpeg decoding of JPEG Baseline
// frames and JPEG/PNG encoding.
//
// Input layout: byte 0 selects how the data set is made.
//  - Below 0x80, "parsed": the rest is a bare data set read leniently by dicom::ReadDataSet in
//    the transfer syntax kParsedSyntaxes[(byte 0 & 0x1F) % 5] (implicit LE, explicit LE,
//    explicit BE, JPEG Baseline, JPEG 2000): whatever the reader accepts reaches the pixel
//    code. Bit 0x40 asks for PNG, bit 0x20 for the thumbnail options.
//  - 0x80 and above, "structured": a fixed header of pixel description values (below,
//    kHeaderSize bytes) and render options, then the pixel data itself, either the native
//    value or the bytes split into fragments, with an offset table built to match, built to
//    lie, or absent. This reaches the layouts and the JPEG decoder without the reader in the way.
// Limits are small (1 Mi pixels, 64 frames, 16 MiB decoded) so every input stays fast.
//
// Invariants checked (a violation aborts): no function returns kInternal (our own broken
// invariant); every extracted frame is non-empty and readable to its last byte; a rendered
// image starts with the JPEG SOI marker or the PNG signature, as the options asked.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "base/byte_source.h"
#include "dicom/data_set.h"
#include "dicom/reader.h"
#include "dicom/tag.h"
#include "dicom/transfer_syntax.h"
#include "fuzz_common.h"
#include "render/frames.h"
#include "render/pixel_description.h"
#include "render/render.h"

namespace {

using bastion::dicom::DataSet;
using bastion::dicom::Tag;
using bastion::dicom::Vr;

constexpr std::string_view kParsedSyntaxes[] = {"1.2.840.10008.1.2", "1.2.840.10008.1.2.1",
                                                "1.2.840.10008.1.2.2", "1.2.840.10008.1.2.4.50",
                                                "1.2.840.10008.1.2.4.90"};

constexpr std::string_view kStructuredSyntaxes[] = {
    "1.2.840.10008.1.2.1",    "1.2.840.10008.1.2.2",   "1.2.840.10008.1.2.4.50",
    "1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.5",   "1.2.840.10008.1.2.4.100",
    "1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.80"};

constexpr std::string_view kPhotometrics[] = {"MONOCHROME2",     "MONOCHROME1",  "RGB",
                                              "YBR_FULL",        "YBR_FULL_422", "PALETTE COLOR",
                                              "YBR_PARTIAL_420", "HSV"};

constexpr std::uint16_t kBitsAllocated[] = {8, 16, 1, 32, 8, 16, 12, 0};

// Structured header, one byte each unless noted:
//  1-2 rows (LE), 3-4 columns (LE), 5 photometric (low 3 bits) | samples override (bit 3:
//  the other count) | planar (bit 4) | signed (bit 5) | drop High Bit (bit 6) | bits stored
//  below allocated (bit 7), 6 bits allocated (low 3 bits) | frames - 1 (bits 3-5) | omit
//  Number of Frames (bit 6), 7 syntax (low 3 bits) | offsets (bits 3-4: none, BOT, EOT, lying
//  BOT) | fragments per frame - 1 (bits 5-7), 8 window (bit 0) | rescale (bit 1) | VOI function
//  (bits 2-3) | option window (bit 4) | PNG (bit 5) | viewport columns (bit 6) | rows (bit 7),
//  9 viewport columns, 10 viewport rows, 11 quality, 12 window center, 13 window width,
//  14 frame to render, 15 frame numbers to extract (count 1..4 in low 2 bits).
constexpr std::size_t kHeaderSize = 16;

std::vector<std::uint8_t> LittleEndian(std::uint64_t v, int bytes) {
  std::vector<std::uint8_t> out;
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  return out;
}

struct Structured {
  DataSet dataset;
  std::string_view syntax;
  bastion::render::RenderOptions options;
  std::uint32_t render_frame = 1;
  std::vector<std::uint32_t> extract;
};

Structured BuildStructured(const std::uint8_t* h, const std::uint8_t* payload, std::size_t size) {
  Structured s;
  DataSet& ds = s.dataset;
  const std::uint16_t rows = static_cast<std::uint16_t>(h[1] | (h[2] << 8));
  const std::uint16_t columns = static_cast<std::uint16_t>(h[3] | (h[4] << 8));
  const std::string_view photometric = kPhotometrics[h[5] & 7];
  const bool color =
      photometric == "RGB" || photometric.substr(0, 3) == "YBR" || photometric == "HSV";
  std::uint16_t samples = color ? 3 : 1;
  if (h[5] & 0x08) samples = color ? 1 : 3;
  const std::uint16_t bits_allocated = kBitsAllocated[h[6] & 7];
  std::uint16_t bits_stored = bits_allocated;
  if ((h[5] & 0x80) && bits_allocated > 1)
    bits_stored = static_cast<std::uint16_t>(bits_allocated - 4);
  const std::uint32_t frames = ((h[6] >> 3) & 7) + 1u;
  s.syntax = kStructuredSyntaxes[h[7] & 7];

  ds.SetU16(Tag{0x0028, 0x0002}, samples);
  ds.SetString(Tag{0x0028, 0x0004}, Vr::kCS, photometric);
  if (samples == 3) ds.SetU16(Tag{0x0028, 0x0006}, (h[5] >> 4) & 1);
  if (!(h[6] & 0x40)) ds.SetString(Tag{0x0028, 0x0008}, Vr::kIS, std::to_string(frames));
  ds.SetU16(Tag{0x0028, 0x0010}, rows);
  ds.SetU16(Tag{0x0028, 0x0011}, columns);
  ds.SetU16(Tag{0x0028, 0x0100}, bits_allocated);
  ds.SetU16(Tag{0x0028, 0x0101}, bits_stored);
  if (!(h[5] & 0x40)) {
    // Top-aligned stored bits now and then (High Bit above Bits Stored - 1).
    const std::uint16_t high = (h[8] & 0x01) && bits_allocated > bits_stored
                                   ? static_cast<std::uint16_t>(bits_allocated - 1)
                                   : static_cast<std::uint16_t>(bits_stored - 1);
    ds.SetU16(Tag{0x0028, 0x0102}, high);
  }
  ds.SetU16(Tag{0x0028, 0x0103}, (h[5] >> 5) & 1);
  if (h[8] & 0x01) {
    ds.SetString(Tag{0x0028, 0x1050}, Vr::kDS, std::to_string(static_cast<int>(h[12]) * 16 - 512));
    ds.SetString(Tag{0x0028, 0x1051}, Vr::kDS, std::to_string(h[13]));
  }
  if (h[8] & 0x02) {
    ds.SetString(Tag{0x0028, 0x1052}, Vr::kDS, std::to_string(static_cast<int>(h[12]) - 128));
    ds.SetString(Tag{0x0028, 0x1053}, Vr::kDS, (h[13] & 1) ? "-0.5" : "3");
  }
  static constexpr std::string_view kFunctions[] = {"LINEAR", "LINEAR_EXACT", "SIGMOID", "BOGUS"};
  ds.SetString(Tag{0x0028, 0x1056}, Vr::kCS, kFunctions[(h[8] >> 2) & 3]);

  const bool encapsulated = s.syntax != "1.2.840.10008.1.2.1" && s.syntax != "1.2.840.10008.1.2.2";
  if (!encapsulated) {
    ds.SetBytes(Tag{0x7FE0, 0x0010}, bits_allocated > 8 ? Vr::kOW : Vr::kOB,
                std::vector<std::uint8_t>(payload, payload + size));
  } else {
    // The payload split into frames x fragments-per-frame nearly equal fragments.
    const std::size_t per_frame = ((h[7] >> 5) & 7) + 1u;
    const std::size_t count = frames * per_frame;
    bastion::dicom::Element e;
    e.tag = Tag{0x7FE0, 0x0010};
    e.vr = Vr::kOB;
    e.encapsulated = true;
    std::vector<std::vector<std::uint8_t>> fragments;
    std::vector<std::uint64_t> offsets;
    std::vector<std::uint64_t> lengths;
    std::uint64_t pos = 0;
    for (std::size_t i = 0; i < count; ++i) {
      const std::size_t begin = size * i / count;
      const std::size_t end = size * (i + 1) / count;
      if (i % per_frame == 0) {
        offsets.push_back(pos);
        lengths.push_back(0);
      }
      fragments.emplace_back(payload + begin, payload + end);
      lengths.back() += end - begin;
      pos += 8 + (end - begin);
    }
    const unsigned offset_mode = (h[7] >> 3) & 3;
    std::vector<std::uint8_t> bot;
    if (offset_mode == 1 || offset_mode == 3) {
      for (std::uint64_t o : offsets) {
        auto b = LittleEndian(offset_mode == 3 ? o + h[12] : o, 4);
        bot.insert(bot.end(), b.begin(), b.end());
      }
    }
    if (offset_mode == 2) {
      std::vector<std::uint8_t> eot;
      std::vector<std::uint8_t> eot_lengths;
      for (std::size_t i = 0; i < offsets.size(); ++i) {
        auto o = LittleEndian(offsets[i], 8);
        auto l = LittleEndian(lengths[i] - (h[13] & 1 && lengths[i] > 0 ? 1 : 0), 8);
        eot.insert(eot.end(), o.begin(), o.end());
        eot_lengths.insert(eot_lengths.end(), l.begin(), l.end());
      }
      ds.SetBytes(Tag{0x7FE0, 0x0001}, Vr::kOV, std::move(eot));
      ds.SetBytes(Tag{0x7FE0, 0x0002}, Vr::kOV, std::move(eot_lengths));
    }
    e.fragments.emplace_back(std::move(bot));
    for (auto& f : fragments) e.fragments.emplace_back(std::move(f));
    ds.Insert(std::move(e));
  }

  bastion::render::RenderOptions& o = s.options;
  if (h[8] & 0x10) {
    o.window_center = static_cast<double>(h[12]) * 4 - 256;
    o.window_width = static_cast<double>(h[13]) / 2;
    o.window_function = static_cast<bastion::render::VoiLutFunction>((h[8] >> 2) % 3);
  }
  o.format = (h[8] & 0x20) ? bastion::render::RenderOptions::Format::kPng
                           : bastion::render::RenderOptions::Format::kJpeg;
  if (h[8] & 0x40) o.viewport_columns = h[9];
  if (h[8] & 0x80) o.viewport_rows = h[10];
  o.quality = h[11] % 102;
  s.render_frame = h[14] % (frames + 2);
  const unsigned n = (h[15] & 3) + 1u;
  // 1 to frames + 1: the last one is past the end.
  for (unsigned i = 0; i < n; ++i) s.extract.push_back((h[15] >> (2 + 2 * i)) % (frames + 1) + 1);
  return s;
}

void CheckNotInternal(const bastion::Status& status, const char* what) {
  if (status.code() == bastion::StatusCode::kInternal) {
    bastion::fuzz::InvariantBroken(what, status.ToString());
  }
}

void Exercise(const DataSet& ds, std::string_view syntax,
              const bastion::render::RenderOptions& options, std::uint32_t render_frame,
              const std::vector<std::uint32_t>& extract) {
  using namespace bastion;
  render::PixelLimits limits;
  limits.max_pixels_per_frame = 1u << 20;
  limits.max_frames = 64;
  limits.max_decoded_bytes = 16u << 20;

  auto description = render::DescribePixels(ds, limits);
  CheckNotInternal(description.status(), "DescribePixels");

  auto frames = render::ExtractFrames(ds, syntax, extract, limits);
  CheckNotInternal(frames.status(), "ExtractFrames");
  if (frames.ok()) {
    if (frames->size() != extract.size()) {
      fuzz::InvariantBroken("ExtractFrames", "returned a different number of frames");
    }
    volatile std::uint8_t sink = 0;
    for (const render::FrameBytes& f : *frames) {
      auto b = f.bytes();
      if (b.empty()) fuzz::InvariantBroken("ExtractFrames", "an empty frame");
      sink = static_cast<std::uint8_t>(sink ^ b.front() ^ b.back());
    }
    (void)sink;
  }
  (void)render::EncapsulatedFrameMediaType(syntax);

  auto rendered = render::RenderFrame(ds, syntax, render_frame, options, limits);
  CheckNotInternal(rendered.status(), "RenderFrame");
  if (rendered.ok()) {
    const std::string& out = *rendered;
    const bool png = options.format == render::RenderOptions::Format::kPng;
    const bool signature = png ? out.size() >= 8 && out.compare(0, 4, "\x89PNG") == 0
                               : out.size() >= 4 && static_cast<std::uint8_t>(out[0]) == 0xFF &&
                                     static_cast<std::uint8_t>(out[1]) == 0xD8;
    if (!signature) fuzz::InvariantBroken("RenderFrame", "output without its format's signature");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bastion;
  if (size < 1) return 0;
  if (data[0] < 0x80) {
    const std::string_view syntax = kParsedSyntaxes[(data[0] & 0x1F) % 5];
    const dicom::TransferSyntax ts = *dicom::FindTransferSyntax(syntax);
    auto source = OwnedBytes::Make(std::vector<std::uint8_t>(data + 1, data + size));
    auto read = dicom::ReadDataSet(source, ts, fuzz::LenientOptions(fuzz::FuzzLimits()));
    if (!read.ok()) return 0;
    render::RenderOptions options;
    options.format = (data[0] & 0x40) ? render::RenderOptions::Format::kPng
                                      : render::RenderOptions::Format::kJpeg;
    if (data[0] & 0x20) options = render::ThumbnailOptions();
    Exercise(read->dataset, syntax, options, 1, {1});
    return 0;
  }
  if (size < kHeaderSize) return 0;
  Structured s = BuildStructured(data, data + kHeaderSize, size - kHeaderSize);
  Exercise(s.dataset, s.syntax, s.options, s.render_frame, s.extract);
  return 0;
}
