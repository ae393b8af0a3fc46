// libFuzzer target: the pure HTTP parsers of DICOMweb (src/web/http): the streaming multipart
// reader, and on the same bytes ParseMediaType, ParseAccept, ParseTarget and PercentDecode.
//
// Input: two bytes choosing a chunk size (1 to 1024), then a multipart/related body whose
// boundary is kBoundary ("fuzzb").
// Invariants checked (a violation aborts):
// - Chunking changes nothing: the body fed in chunks gives the same status as the body fed in
//   one piece, and when both succeed, the same parts (headers, data).
// - Callbacks come in order (begin, data..., end), never with empty data, and never deliver
//   more data than the body holds.
// - What was read, written back with PartHeader/CloseDelimiter, reads back the same.
// - A media type or range that parses prints (ToString) to text that parses to the same value;
//   a parsed target has no empty, "." or ".." segment and no '/', '\' or NUL in a segment.
// Errors and limit refusals are ordinary behaviour; ASan/UBSan catch the rest.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "web/http/media_type.h"
#include "web/http/multipart.h"
#include "web/http/query_string.h"

namespace {

using namespace bastion;
using namespace bastion::web::http;

constexpr std::string_view kBoundary = "fuzzb";

[[noreturn]] void InvariantBroken(const char* what, const std::string& detail) {
  std::fprintf(stderr, "INVARIANT BROKEN: %s: %s\n", what, detail.c_str());
  std::abort();
}

// Small enough that every limit is reachable from a few-KiB input.
MultipartLimits FuzzMultipartLimits() {
  MultipartLimits limits;
  limits.max_parts = 16;
  limits.max_part_header_bytes = 256;
  limits.max_headers_per_part = 4;
  limits.max_part_bytes = 1024;
  limits.max_preamble_bytes = 128;
  return limits;
}

struct Part {
  std::vector<std::pair<std::string, std::string>> headers;
  std::string data;
  bool ended = false;
  bool operator==(const Part&) const = default;
};

class Recorder : public MultipartReader::Events {
 public:
  Status OnPartBegin(const PartHeaders& headers) override {
    if (!parts.empty() && !parts.back().ended) InvariantBroken("order", "begin inside a part");
    parts.push_back({headers.fields, {}, false});
    return Status::Ok();
  }
  Status OnPartData(std::span<const std::uint8_t> data) override {
    if (parts.empty() || parts.back().ended) InvariantBroken("order", "data outside a part");
    if (data.empty()) InvariantBroken("order", "empty data callback");
    parts.back().data.append(reinterpret_cast<const char*>(data.data()), data.size());
    delivered += data.size();
    return Status::Ok();
  }
  Status OnPartEnd() override {
    if (parts.empty() || parts.back().ended) InvariantBroken("order", "end outside a part");
    parts.back().ended = true;
    return Status::Ok();
  }
  std::vector<Part> parts;
  std::size_t delivered = 0;
};

std::span<const std::uint8_t> Bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

Status Read(std::string_view body, std::size_t chunk, const MultipartLimits& limits,
            Recorder& recorder) {
  MultipartReader reader(std::string(kBoundary), limits, recorder);
  for (std::size_t at = 0; at < body.size(); at += chunk) {
    BASTION_RETURN_IF_ERROR(reader.Feed(Bytes(body.substr(at, chunk))));
  }
  Status status = reader.Finish();
  if (status.ok() && reader.parts() != recorder.parts.size()) {
    InvariantBroken("parts()", "differs from the OnPartBegin calls");
  }
  return status;
}

void CheckMultipart(std::string_view body, std::size_t chunk) {
  const MultipartLimits limits = FuzzMultipartLimits();
  Recorder chunked;
  const Status a = Read(body, chunk, limits, chunked);
  Recorder whole;
  const Status b = Read(body, body.empty() ? 1 : body.size(), limits, whole);
  if (a.code() != b.code() || a.message() != b.message()) {
    InvariantBroken("chunking changed the outcome", a.ToString() + " vs " + b.ToString());
  }
  if (chunked.delivered > body.size()) InvariantBroken("data", "more data than the body");
  if (!a.ok()) return;
  if (chunked.parts != whole.parts) InvariantBroken("chunking changed the parts", "");

  std::string rewritten;
  for (std::size_t i = 0; i < whole.parts.size(); ++i) {
    if (!whole.parts[i].ended) InvariantBroken("order", "a part never ended");
    rewritten += PartHeader(kBoundary, whole.parts[i].headers, i == 0);
    rewritten += whole.parts[i].data;
  }
  rewritten += CloseDelimiter(kBoundary);
  Recorder again;
  const Status c = Read(rewritten, rewritten.size(), MultipartLimits{}, again);
  if (!c.ok()) InvariantBroken("rewritten body refused", c.ToString());
  if (again.parts != whole.parts) InvariantBroken("rewritten body reads differently", "");
}

void CheckMediaTypes(std::string_view text) {
  MediaTypeLimits tiny;
  tiny.max_length = 64;
  tiny.max_parameters = 2;
  tiny.max_ranges = 2;
  // ToString adds spaces and quotes, so what it prints may pass a limit the input met.
  MediaTypeLimits roomy;
  roomy.max_length = 1 << 20;
  for (const MediaTypeLimits& limits : {MediaTypeLimits{}, tiny}) {
    auto media = ParseMediaType(text, limits);
    if (media.ok()) {
      auto again = ParseMediaType(media->ToString(), roomy);
      if (!again.ok())
        InvariantBroken("ToString of a media type refused", again.status().ToString());
      if (!(*again == *media)) InvariantBroken("media type round trip", media->ToString());
      auto boundary = BoundaryOf(*media);
      if (boundary.ok() && !ValidateBoundary(*boundary).ok()) {
        InvariantBroken("BoundaryOf", "returned an invalid boundary");
      }
    }
    auto ranges = ParseAccept(text, limits);
    if (ranges.ok()) {
      if (ranges->size() > limits.max_ranges) InvariantBroken("Accept", "too many ranges");
      for (const MediaRange& range : *ranges) {
        if (!(range.q >= 0.0 && range.q <= 1.0)) InvariantBroken("Accept", "q out of range");
        auto again = ParseAccept(range.media.ToString(), roomy);
        if (!again.ok() || again->size() != 1 || !((*again)[0].media == range.media)) {
          InvariantBroken("media range round trip", range.media.ToString());
        }
        (void)Matches(range, "application", "dicom");
      }
    }
  }
}

void CheckSegmentAndQuery(const Target& target, const TargetLimits& limits) {
  if (target.segments.size() > limits.max_segments) InvariantBroken("target", "too many segments");
  if (target.query.size() > limits.max_query_parameters) {
    InvariantBroken("target", "too many query parameters");
  }
  for (const std::string& segment : target.segments) {
    if (segment.empty() || segment == "." || segment == "..") {
      InvariantBroken("target", "empty or dot segment: '" + segment + "'");
    }
    if (segment.find_first_of(std::string_view("/\\\0", 3)) != std::string::npos) {
      InvariantBroken("target", "separator or NUL in a segment");
    }
  }
  for (const auto& [name, value] : target.query) {
    if (name.empty()) InvariantBroken("target", "query parameter without a name");
    if (name.find('\0') != std::string::npos || value.find('\0') != std::string::npos) {
      InvariantBroken("target", "NUL in a query parameter");
    }
  }
}

void CheckTargets(std::string_view text) {
  TargetLimits tiny;
  tiny.max_target_length = 128;
  tiny.max_segments = 4;
  tiny.max_query_parameters = 4;
  tiny.max_segment_length = 16;
  const std::string rooted = "/" + std::string(text);
  for (const TargetLimits& limits : {TargetLimits{}, tiny}) {
    for (std::string_view candidate : {text, std::string_view(rooted)}) {
      auto target = ParseTarget(candidate, limits);
      if (target.ok()) CheckSegmentAndQuery(*target, limits);
    }
  }
  for (bool plus : {false, true}) {
    auto decoded = PercentDecode(text, plus);
    if (decoded.ok() &&
        (decoded->size() > text.size() || decoded->find('\0') != std::string::npos)) {
      InvariantBroken("PercentDecode", "longer output or a NUL");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::size_t chunk = 1 + ((static_cast<std::size_t>(data[0]) << 8 | data[1]) % 1024);
  const std::string_view body(reinterpret_cast<const char*>(data + 2), size - 2);
  CheckMultipart(body, chunk);
  // The header parsers see the body's first line (header values are single lines) and, bounded
  // by their own limits, the whole input.
  const std::string_view first_line = body.substr(0, body.find_first_of("\r\n"));
  CheckMediaTypes(first_line);
  CheckTargets(first_line);
  if (first_line.size() != body.size()) {
    CheckMediaTypes(body);
    CheckTargets(body);
  }
  return 0;
}
