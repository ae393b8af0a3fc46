// WADO-RS (PS3.18 10.4) and WADO-URI (PS3.18 9): instances, metadata, frames, bulk data,
// rendered and thumbnail images, each in the caller's scope and audited.
//
// Instances go out in the transfer syntax the Acceptable Media Types ask for (PS3.18 8.7.3.5,
// 10.4.1): a range without transfer-syntax asks for the default, Explicit VR Little Endian
// (8.7.3.4); transfer-syntax=* lets the server choose, and it sends them as stored (the
// mapped file streamed as it is: the fast path) unless stored in a syntax PS3.18 8.7.3 forbids
// on the web (Implicit VR Little Endian, Explicit VR Big Endian), which are converted to
// Explicit VR Little Endian. Conversions are between the uncompressed syntaxes only
// (archive/transfer_syntax_conversion.h), one instance at a time as the body is produced.
// A compressed instance goes as stored when a range asks for its syntax or for `*`, or, when it
// may be lossy, where the default is asked (8.7.3.4 allows it); otherwise 406 names its syntax.
#include <cctype>
#include <charconv>

#include "archive/instance_metadata.h"
#include "archive/transfer_syntax_conversion.h"
#include "dicom/reader.h"
#include "dicom/tag.h"
#include "render/frames.h"
#include "render/render.h"
#include "web/dicomweb/dicomweb_service.h"
#include "web/dicomweb/negotiation.h"
#include "web/dicomweb/services.h"

namespace bastion::web::dicomweb {

namespace {

using audit::AuditEventType;
using audit::AuditOutcome;

constexpr std::string_view kDicom = "application/dicom";
constexpr std::string_view kOctetStream = "application/octet-stream";
constexpr std::string_view kExplicitLittle = dicom::transfer_syntax::kExplicitVrLittleEndian;

http::Response NotAcceptable(std::string_view what) {
  return JsonError(406,
                   "cannot send " + std::string(what) + " in any form the Accept header allows");
}

// A stored instance read back: its mapped file and the parsed data set (values reference the
// mapping, so frames and bulk data are sent without copying the file).
struct OpenedInstance {
  std::shared_ptr<const MappedFile> file;
  dicom::Part10File part10;
};

Result<OpenedInstance> OpenInstance(const Call& call, const index::StoredInstance& instance) {
  const archive::Archive& archive = *call.context.archive;
  BASTION_ASSIGN_OR_RETURN(auto stored, archive.OpenStored(instance));
  BASTION_ASSIGN_OR_RETURN(auto part10, dicom::ReadPart10(stored.file, archive.policy().read));
  return OpenedInstance{stored.file, std::move(part10)};
}

// One instance of a WADO-RS retrieve and the syntax it is sent in.
struct OutgoingInstance {
  index::StoredInstance instance;
  std::string transfer_syntax;  // == instance.storage.transfer_syntax_uid: sent as stored
};

// The instances of a WADO-RS retrieve, one Part 10 file per part, produced a piece at a time:
// a file sent as stored is streamed from its mapping; one sent in another syntax is converted
// when its part begins, so at most one converted instance is held at a time.
class MultipartInstances final : public http::BodyProducer {
 public:
  MultipartInstances(const archive::Archive& archive, std::vector<OutgoingInstance> instances,
                     std::string boundary, archive::ConversionLimits limits)
      : archive_(archive),
        instances_(std::move(instances)),
        boundary_(std::move(boundary)),
        limits_(limits) {}

  Result<bool> Next(std::string& out, std::size_t max_bytes) override {
    while (out.size() < max_bytes) {
      if (bytes_.empty() && !in_part_) {
        if (next_ == instances_.size()) {
          out += http::CloseDelimiter(boundary_);
          return false;
        }
        const OutgoingInstance& o = instances_[next_];
        BASTION_ASSIGN_OR_RETURN(auto stored, archive_.OpenStored(o.instance));
        const std::string& stored_ts = o.instance.storage.transfer_syntax_uid;
        if (o.transfer_syntax == stored_ts) {
          file_ = stored.file;
          bytes_ = file_->bytes();
        } else {
          auto converted = archive::ConvertPart10(stored, stored_ts, o.transfer_syntax, limits_,
                                                  archive_.policy().read);
          if (!converted.ok()) {
            // The response has begun: the body ends short and the client sees a broken part.
            return converted.status().WithContext("converting " + o.instance.sop_instance_uid +
                                                  " to " + o.transfer_syntax);
          }
          converted_ = *std::move(converted);
          file_.reset();
          bytes_ = converted_;
        }
        offset_ = 0;
        in_part_ = true;
        // PS3.18 8.7.3.5: each part names the syntax it is actually in.
        const std::pair<std::string, std::string> headers[] = {
            {"Content-Type", std::string(kDicom) + "; transfer-syntax=" + o.transfer_syntax}};
        out += http::PartHeader(boundary_, headers, next_ == 0);
        ++next_;
      }
      const std::size_t take = std::min(bytes_.size() - offset_, max_bytes - out.size());
      out.append(reinterpret_cast<const char*>(bytes_.data() + offset_), take);
      offset_ += take;
      if (offset_ == bytes_.size()) {
        in_part_ = false;
        bytes_ = {};
        file_.reset();
        converted_ = {};
      }
    }
    return true;
  }

 private:
  const archive::Archive& archive_;
  const std::vector<OutgoingInstance> instances_;
  const std::string boundary_;
  const archive::ConversionLimits limits_;
  std::size_t next_ = 0;
  bool in_part_ = false;
  std::shared_ptr<const MappedFile> file_;
  std::vector<std::uint8_t> converted_;
  std::span<const std::uint8_t> bytes_;
  std::size_t offset_ = 0;
};

// What an instance stored in `stored` can be sent as, in the server's order of preference:
// as stored first when the web allows that syntax (no conversion), then Explicit VR Little
// Endian and Deflated Explicit VR Little Endian when it converts to them (PS3.18 8.7.3: never
// Implicit VR Little Endian or Explicit VR Big Endian).
std::vector<Offer> InstanceOffers(const std::string& stored) {
  namespace ts_uid = dicom::transfer_syntax;
  std::vector<Offer> offers;
  if (IsWebTransferSyntax(stored)) {
    Offer as_stored{"multipart/related", std::string(kDicom), stored};
    as_stored.instead_of_default = !archive::IsConvertible(stored) && archive::MayBeLossy(stored);
    offers.push_back(std::move(as_stored));
  }
  if (archive::IsConvertible(stored)) {
    for (std::string_view ts :
         {ts_uid::kExplicitVrLittleEndian, ts_uid::kDeflatedExplicitVrLittleEndian}) {
      if (ts == stored) continue;
      offers.push_back({"multipart/related", std::string(kDicom), std::string(ts)});
    }
  }
  return offers;
}

// Parts already in memory (frames, bulk data), each with its content type.
struct Part {
  std::string content_type;
  std::shared_ptr<const void> keep_alive;  // what `bytes` points into
  std::span<const std::uint8_t> bytes;
  std::vector<std::uint8_t> owned;  // used when `bytes` is empty
  std::span<const std::uint8_t> view() const { return owned.empty() ? bytes : owned; }
};

// One instance as the whole body (WADO-URI), from its mapped file or its converted bytes, handed
// out piece by piece: an instance can be gigabytes and is never copied whole into memory.
class SingleInstanceBody final : public http::BodyProducer {
 public:
  SingleInstanceBody(std::shared_ptr<const MappedFile> file, std::vector<std::uint8_t> converted)
      : file_(std::move(file)), converted_(std::move(converted)) {}

  Result<bool> Next(std::string& out, std::size_t max_bytes) override {
    const std::span<const std::uint8_t> bytes =
        file_ ? file_->bytes() : std::span<const std::uint8_t>(converted_);
    const std::size_t n = std::min(max_bytes, bytes.size() - offset_);
    out.append(reinterpret_cast<const char*>(bytes.data() + offset_), n);
    offset_ += n;
    return offset_ < bytes.size();
  }

 private:
  const std::shared_ptr<const MappedFile> file_;  // null when sending `converted_`
  const std::vector<std::uint8_t> converted_;
  std::size_t offset_ = 0;
};

class MultipartParts final : public http::BodyProducer {
 public:
  MultipartParts(std::vector<Part> parts, std::string boundary)
      : parts_(std::move(parts)), boundary_(std::move(boundary)) {}
  Result<bool> Next(std::string& out, std::size_t max_bytes) override {
    while (out.size() < max_bytes) {
      if (!in_part_) {
        if (next_ == parts_.size()) {
          out += http::CloseDelimiter(boundary_);
          return false;
        }
        const std::pair<std::string, std::string> headers[] = {
            {"Content-Type", parts_[next_].content_type}};
        out += http::PartHeader(boundary_, headers, next_ == 0);
        in_part_ = true;
        offset_ = 0;
      }
      const auto bytes = parts_[next_].view();
      const std::size_t take = std::min(bytes.size() - offset_, max_bytes - out.size());
      out.append(reinterpret_cast<const char*>(bytes.data() + offset_), take);
      offset_ += take;
      if (offset_ == bytes.size()) {
        in_part_ = false;
        ++next_;
      }
    }
    return true;
  }

 private:
  std::vector<Part> parts_;
  const std::string boundary_;
  std::size_t next_ = 0;
  bool in_part_ = false;
  std::size_t offset_ = 0;
};

http::Response MultipartResponse(std::vector<Part> parts, std::string_view part_type,
                                 std::optional<std::string_view> transfer_syntax) {
  std::string boundary = http::NewBoundary();
  http::Response response;
  response.headers.emplace_back(
      "content-type", http::MultipartRelatedContentType(boundary, part_type, transfer_syntax));
  response.producer = std::make_unique<MultipartParts>(std::move(parts), std::move(boundary));
  return response;
}

bool IsNativeSyntax(std::string_view uid) {
  return uid == "1.2.840.10008.1.2" || uid == "1.2.840.10008.1.2.1" ||
         uid == "1.2.840.10008.1.2.2" || uid == "1.2.840.10008.1.2.1.99";
}

Result<std::vector<std::uint32_t>> ParseFrameList(std::string_view list, std::size_t max) {
  std::vector<std::uint32_t> frames;
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    const std::string_view item = list.substr(0, comma);
    std::uint32_t n = 0;
    auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), n);
    if (ec != std::errc() || end != item.data() + item.size() || n == 0) {
      return Status::Malformed("frame numbers are positive integers separated by commas");
    }
    frames.push_back(n);
    if (frames.size() > max) {
      return Status::LimitExceeded("more than " + std::to_string(max) + " frames in one request");
    }
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
  }
  if (frames.empty()) return Status::Malformed("no frame number given");
  return frames;
}

// One instance in scope, opened. Shared: the parts of a response point into its values
// (into the mapped file, or into the inflated copy of a deflated data set).
Result<std::pair<index::StoredInstance, std::shared_ptr<const OpenedInstance>>> OpenOne(
    const Call& call, const ResourceUids& uids) {
  BASTION_ASSIGN_OR_RETURN(auto instances, InstancesInScope(call, uids, 1));
  BASTION_ASSIGN_OR_RETURN(auto opened, OpenInstance(call, instances.front()));
  return std::make_pair(std::move(instances.front()),
                        std::make_shared<const OpenedInstance>(std::move(opened)));
}

std::optional<std::string_view> QueryParameter(const http::Target& target, std::string_view name) {
  for (const auto& [key, value] : target.query) {
    if (key == name) return std::string_view(value);
  }
  return std::nullopt;
}

Result<double> ParseNumber(std::string_view text, std::string_view what) {
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return Status::Malformed("'" + std::string(text) + "' is not a number (" + std::string(what) +
                             ")");
  }
  return value;
}

Result<std::vector<double>> ParseNumbers(std::string_view text, std::string_view what) {
  std::vector<double> values;
  while (true) {
    const std::size_t comma = text.find(',');
    BASTION_ASSIGN_OR_RETURN(double v, ParseNumber(text.substr(0, comma), what));
    values.push_back(v);
    if (comma == std::string_view::npos) break;
    text = text.substr(comma + 1);
    if (values.size() > 8) return Status::Malformed("too many values for " + std::string(what));
  }
  return values;
}

Result<std::uint32_t> ViewportSize(double value) {
  if (!(value >= 1 && value <= 65535)) return Status::Malformed("viewport sizes are 1 to 65535");
  return static_cast<std::uint32_t>(value);
}

// A parameter name for a Warning header's quoted-string: token characters only, bounded.
std::string WarningSafeName(std::string_view name) {
  std::string safe;
  for (char c : name.substr(0, 64)) {
    const bool plain =
        std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
    safe += plain ? c : '?';
  }
  return safe;
}

// PS3.18 8.3.5.1: window=center,width[,function], viewport=vw,vh, quality=1..100. Other
// parameters are ignored (PS3.18 8.3: "shall ignore any unsupported Query Parameters") and
// their names added to `ignored`, for a Warning header.
Result<render::RenderOptions> RenderingParameters(const http::Target& target, bool thumbnail,
                                                  std::vector<std::string>& ignored) {
  render::RenderOptions options = thumbnail ? render::ThumbnailOptions() : render::RenderOptions{};
  for (const auto& [key, value] : target.query) {
    if (key == "window") {
      // center,width[,function]: LINEAR, LINEAR_EXACT or SIGMOID (PS3.18 8.3.5.1.3).
      std::string_view numbers = value;
      std::string function;
      if (auto second = value.find(',', value.find(',') + 1); second != std::string::npos) {
        numbers = std::string_view(value).substr(0, second);
        function = value.substr(second + 1);
        for (char& c : function) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      }
      BASTION_ASSIGN_OR_RETURN(auto w, ParseNumbers(numbers, "window"));
      if (w.size() != 2) return Status::Malformed("window takes center,width[,function]");
      if (!(w[1] >= 1)) return Status::Malformed("the window width must be at least 1");
      options.window_center = w[0];
      options.window_width = w[1];
      if (function == "LINEAR_EXACT") {
        options.window_function = render::VoiLutFunction::kLinearExact;
      } else if (function == "SIGMOID") {
        options.window_function = render::VoiLutFunction::kSigmoid;
      } else if (!function.empty() && function != "LINEAR") {
        return Status::Malformed("the window function is LINEAR, LINEAR_EXACT or SIGMOID");
      }
    } else if (key == "viewport") {
      BASTION_ASSIGN_OR_RETURN(auto v, ParseNumbers(value, "viewport"));
      if (v.size() != 2) return Status::Malformed("viewport takes width,height");
      BASTION_ASSIGN_OR_RETURN(options.viewport_columns, ViewportSize(v[0]));
      BASTION_ASSIGN_OR_RETURN(options.viewport_rows, ViewportSize(v[1]));
    } else if (key == "quality") {
      BASTION_ASSIGN_OR_RETURN(double q, ParseNumber(value, "quality"));
      if (!(q >= 1 && q <= 100)) return Status::Malformed("quality is 1 to 100");
      options.quality = static_cast<int>(q);
    } else if (key == "annotation" || key == "charset" || key == "accept") {
      // No burned-in annotation is ever added; the charset of text that is not there is moot;
      // accept is content negotiation (PS3.18 8.3.3.1, negotiation.h).
    } else if (ignored.size() < 16) {
      ignored.push_back(WarningSafeName(key));
    }
  }
  return options;
}

http::Response Rendered(const Call& call, const index::StoredInstance& instance,
                        const OpenedInstance& opened, std::uint32_t frame,
                        render::RenderOptions options) {
  auto ranges = AcceptableMediaTypes(call.head, call.target);
  if (!ranges.ok()) return JsonError(ranges.status());
  const auto chosen = Negotiate(*ranges, {{"image/jpeg", "", ""}, {"image/png", "", ""}});
  if (!chosen) return NotAcceptable("a rendered image (image/jpeg, image/png)");
  options.format = chosen->media_type == "image/png" ? render::RenderOptions::Format::kPng
                                                     : render::RenderOptions::Format::kJpeg;
  auto image = render::RenderFrame(opened.part10.dataset, opened.part10.transfer_syntax.uid, frame,
                                   options, call.context.limits.pixels);
  if (!image.ok()) return JsonError(image.status());
  AuditRequest(call, AuditEventType::kInstancesSent, AuditOutcome::kSuccess, {instance},
               "WADO-RS rendered " + call.head.target);
  return http::TextResponse(200, chosen->media_type, *std::move(image));
}

}  // namespace

http::Response RetrieveInstances(const Call& call, const ResourceUids& uids) {
  auto instances = InstancesInScope(call, uids, call.context.limits.max_retrieve_instances);
  if (!instances.ok()) return JsonError(instances.status());
  auto ranges = AcceptableMediaTypes(call.head, call.target);
  if (!ranges.ok()) return JsonError(ranges.status());
  const archive::ConversionLimits& conversion = call.context.limits.conversion;
  // One choice per stored syntax, made before the response begins: a syntax that cannot be
  // sent in any acceptable form refuses the whole request (406), naming it.
  std::vector<std::pair<std::string, std::string>> chosen;  // stored -> sent
  std::vector<OutgoingInstance> outgoing;
  outgoing.reserve(instances->size());
  for (const auto& i : *instances) {
    const std::string& stored = i.storage.transfer_syntax_uid;
    auto it = std::find_if(chosen.begin(), chosen.end(),
                           [&](const auto& c) { return c.first == stored; });
    if (it == chosen.end()) {
      const auto offer = Negotiate(*ranges, InstanceOffers(stored));
      if (!offer) {
        return NotAcceptable(
            "instances stored in transfer syntax " + stored +
            (archive::IsConvertible(stored)
                 ? std::string(" (they convert to 1.2.840.10008.1.2.1 and 1.2.840.10008.1.2.1.99; "
                               "PS3.18 8.7.3 excludes Implicit VR Little Endian and Explicit VR "
                               "Big Endian from the web)")
                 : " (compressed: ask with transfer-syntax=" + stored +
                       " or transfer-syntax=*; Bastion does not decompress)"));
      }
      chosen.emplace_back(stored, offer->transfer_syntax);
      it = chosen.end() - 1;
    }
    // A conversion past its memory limit would break the body half-way: refused before.
    if (it->second != stored &&
        i.storage.size - i.storage.data_offset > conversion.max_data_set_bytes) {
      return NotAcceptable("instance " + i.sop_instance_uid + " in " + it->second + ": its " +
                           std::to_string(i.storage.size - i.storage.data_offset) +
                           "-byte data set is larger than the conversion limit of " +
                           std::to_string(conversion.max_data_set_bytes) +
                           " bytes (ask with transfer-syntax=" + stored + ")");
    }
    outgoing.push_back({i, it->second});
  }
  AuditRequest(call, AuditEventType::kInstancesSent, AuditOutcome::kSuccess, *instances,
               "WADO-RS " + call.head.target);
  // The multipart Content-Type names the syntax when every part is in the same one.
  std::optional<std::string_view> common;
  if (!outgoing.empty() &&
      std::all_of(outgoing.begin(), outgoing.end(), [&](const OutgoingInstance& o) {
        return o.transfer_syntax == outgoing.front().transfer_syntax;
      })) {
    common = outgoing.front().transfer_syntax;
  }
  std::string boundary = http::NewBoundary();
  http::Response response;
  response.headers.emplace_back("content-type",
                                http::MultipartRelatedContentType(boundary, kDicom, common));
  response.producer = std::make_unique<MultipartInstances>(
      *call.context.archive, std::move(outgoing), boundary, conversion);
  return response;
}

http::Response RetrieveMetadata(const Call& call, const ResourceUids& uids) {
  // PS3.18 8.3.3: an accept query parameter stands in for the Accept header.
  auto ranges = AcceptableMediaTypes(call.head, call.target);
  if (!ranges.ok()) return JsonError(ranges.status());
  if (!Negotiate(*ranges, {{"application/dicom+json", "", ""}, {"application/json", "", ""}})) {
    return NotAcceptable("metadata (application/dicom+json)");
  }
  index::Index& index = call.context.archive->index();
  const std::size_t limit = call.context.limits.max_retrieve_instances;
  auto entries = index.InstanceMetadata(ScopedQuery(call, uids), limit);
  if (!entries.ok()) return JsonError(entries.status());
  if (entries->empty()) return JsonError(404, "no such study, series or instance");
  if (entries->size() > limit) {
    return JsonError(413,
                     "more than " + std::to_string(limit) + " instances: ask series by series");
  }
  // Stored references are path-absolute; under a public URL they become absolute URLs. Each
  // entry is rewritten before it is appended, so the cost stays linear in the body.
  const std::string from = "\"BulkDataURI\":\"/dicom-web/";
  const std::string to = "\"BulkDataURI\":\"" + call.context.public_url + "/dicom-web/";
  std::string body = "[";
  std::vector<index::StoredInstance> instances;
  instances.reserve(entries->size());
  for (auto& entry : *entries) {
    if (!entry.json) {
      // Indexed before metadata was kept: computed from the file once, then kept.
      auto opened = OpenInstance(call, entry.instance);
      if (!opened.ok()) return JsonError(opened.status());
      const auto& i = entry.instance;
      auto json = archive::EncodeInstanceMetadata(opened->part10.dataset, i.study_instance_uid,
                                                  i.series_instance_uid, i.sop_instance_uid);
      if (!json.ok()) return JsonError(json.status());
      (void)index.SetInstanceMetadata(i.sop_instance_uid, i.storage.blob_id, *json);
      entry.json = *std::move(json);
    }
    if (body.size() > 1) body += ',';
    if (call.context.public_url.empty()) {
      body += *entry.json;
    } else {
      const std::string& json = *entry.json;
      std::size_t at = 0;
      for (std::size_t hit = json.find(from); hit != std::string::npos; hit = json.find(from, at)) {
        body.append(json, at, hit - at);
        body += to;
        at = hit + from.size();
      }
      body.append(json, at, std::string::npos);
    }
    instances.push_back(std::move(entry.instance));
  }
  body += ']';
  AuditRequest(call, AuditEventType::kInstancesAccessed, AuditOutcome::kSuccess, instances,
               "WADO-RS metadata " + call.head.target);
  return http::TextResponse(200, "application/dicom+json", std::move(body));
}

http::Response RetrieveFrames(const Call& call, const ResourceUids& uids,
                              std::string_view frame_list) {
  auto numbers = ParseFrameList(frame_list, call.context.limits.max_frames_per_request);
  if (!numbers.ok()) return JsonError(numbers.status());
  auto one = OpenOne(call, uids);
  if (!one.ok()) return JsonError(one.status());
  const auto& [instance, opened] = *one;
  const std::string ts(opened->part10.transfer_syntax.uid);
  auto ranges = AcceptableMediaTypes(call.head, call.target);
  if (!ranges.ok()) return JsonError(ranges.status());

  std::string part_type(kOctetStream);
  if (!IsNativeSyntax(ts)) {
    auto media = render::EncapsulatedFrameMediaType(ts);
    std::vector<Offer> offers;
    if (media.ok()) offers.push_back({"multipart/related", std::string(media->media_type), ts});
    offers.push_back({"multipart/related", std::string(kOctetStream), ts});
    // An octet-stream range without transfer-syntax=* asks for uncompressed frames (PS3.18
    // 8.7.3.3.2), which would need decoding: only an explicit wildcard or this syntax matches.
    std::vector<http::MediaRange> explicit_ranges;
    for (const auto& r : *ranges) {
      if (r.media.subtype == "*" || r.media.Parameter("transfer-syntax") ||
          (r.media.Parameter("type") && *r.media.Parameter("type") != kOctetStream)) {
        explicit_ranges.push_back(r);
      }
    }
    auto chosen = Negotiate(explicit_ranges, offers);
    if (!chosen) {
      return NotAcceptable("frames stored compressed in " + ts +
                           " (ask with transfer-syntax=* or that syntax)");
    }
    part_type = chosen->part_type;
  } else if (!Negotiate(*ranges, {{"multipart/related", std::string(kOctetStream),
                                   std::string(kExplicitLittle)}})) {
    return NotAcceptable("uncompressed frames (multipart/related; type=application/octet-stream)");
  }
  auto frames =
      render::ExtractFrames(opened->part10.dataset, ts, *numbers, call.context.limits.pixels);
  if (!frames.ok()) return JsonError(frames.status());
  std::vector<Part> parts;
  // The native pixel data of an uncompressed instance, whatever syntax it is stored in, is
  // extracted in little endian (the reader swaps big endian values): the frames are in
  // Explicit VR Little Endian, the default of PS3.18 Table 8.7.3-4, and each part says so.
  const std::string sent_ts = IsNativeSyntax(ts) ? std::string(kExplicitLittle) : ts;
  const std::string content_type = part_type + "; transfer-syntax=" + sent_ts;
  for (auto& frame : *frames) {
    Part part;
    part.content_type = content_type;
    if (frame.is_reference()) {
      part.keep_alive = opened;
      part.bytes = frame.bytes();
    } else {
      part.owned.assign(frame.bytes().begin(), frame.bytes().end());
    }
    parts.push_back(std::move(part));
  }
  AuditRequest(call, AuditEventType::kInstancesSent, AuditOutcome::kSuccess, {instance},
               "WADO-RS frames " + call.head.target);
  return MultipartResponse(std::move(parts), part_type, sent_ts);
}

http::Response RetrieveBulkData(const Call& call, const ResourceUids& uids,
                                std::span<const std::string> tag_path) {
  auto one = OpenOne(call, uids);
  if (!one.ok()) return JsonError(one.status());
  const auto& [instance, opened] = *one;
  // Walk the path: tag, then item index and tag, ... as the metadata's BulkDataURIs name it.
  const dicom::DataSet* dataset = &opened->part10.dataset;
  const dicom::Element* element = nullptr;
  for (std::size_t i = 0; i < tag_path.size(); ++i) {
    if (i % 2 == 1) {
      std::size_t item = 0;
      auto [end, ec] =
          std::from_chars(tag_path[i].data(), tag_path[i].data() + tag_path[i].size(), item);
      if (ec != std::errc() || end != tag_path[i].data() + tag_path[i].size() ||
          element == nullptr || item >= element->items.size()) {
        return JsonError(404, "no such bulk data");
      }
      dataset = &element->items[item];
      continue;
    }
    std::uint32_t tag = 0;
    const std::string& hex = tag_path[i];
    auto [tag_end, tag_ec] = std::from_chars(hex.data(), hex.data() + hex.size(), tag, 16);
    if (hex.size() != 8 || tag_ec != std::errc() || tag_end != hex.data() + hex.size()) {
      return JsonError(404, "no such bulk data");
    }
    element = dataset->Find(dicom::Tag::FromU32(tag));
    if (element == nullptr) return JsonError(404, "no such bulk data");
  }
  if (element == nullptr || tag_path.size() % 2 == 0 || element->is_sequence()) {
    return JsonError(404, "no such bulk data");
  }
  AuditRequest(call, AuditEventType::kInstancesSent, AuditOutcome::kSuccess, {instance},
               "WADO-RS bulk data " + call.head.target);
  if (element->encapsulated) {
    // Encapsulated pixel data: its frames, as the frames resource sends them.
    const std::string ts(opened->part10.transfer_syntax.uid);
    std::vector<Part> parts;
    for (std::size_t f = 1; f < element->fragments.size(); ++f) {
      Part part;
      part.content_type = std::string(kOctetStream) + "; transfer-syntax=" + ts;
      part.keep_alive = opened;
      part.bytes = element->fragments[f].view();
      parts.push_back(std::move(part));
    }
    return MultipartResponse(std::move(parts), kOctetStream, ts);
  }
  const auto bytes = element->value.view();
  auto ranges = AcceptRanges(call.head);
  if (!ranges.ok()) return JsonError(ranges.status());
  const bool single = Negotiate(*ranges, {{std::string(kOctetStream), "", ""}}).has_value();
  if (!single) {
    Part part;
    part.content_type = std::string(kOctetStream);
    part.keep_alive = opened;
    part.bytes = bytes;
    return MultipartResponse({std::move(part)}, kOctetStream, std::nullopt);
  }
  // A single range (RFC 9110 14.2); several ranges are answered whole, as the RFC allows.
  std::uint64_t first = 0;
  std::uint64_t last = bytes.empty() ? 0 : bytes.size() - 1;
  bool partial = false;
  if (auto range = http::FindHeader(call.head.headers, "range");
      range && range->substr(0, 6) == "bytes=" && range->find(',') == std::string_view::npos) {
    const std::string_view spec = range->substr(6);
    const std::size_t dash = spec.find('-');
    if (dash == std::string_view::npos) return JsonError(416, "malformed Range");
    const std::string_view a = spec.substr(0, dash);
    const std::string_view b = spec.substr(dash + 1);
    std::uint64_t x = 0;
    std::uint64_t y = 0;
    // Whole decimal numbers only: "5x" is not 5, and a bad bound is not an absent one.
    auto number = [](std::string_view text, std::uint64_t& out) {
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
      return ec == std::errc() && end == text.data() + text.size();
    };
    const bool has_a = !a.empty();
    const bool has_b = !b.empty();
    if ((has_a && !number(a, x)) || (has_b && !number(b, y))) {
      return JsonError(416, "malformed Range");
    }
    if (has_a && (!has_b || y >= x)) {
      first = x;
      if (has_b) last = std::min<std::uint64_t>(y, last);
    } else if (!has_a && has_b && y > 0) {
      first = bytes.size() > y ? bytes.size() - y : 0;
    } else {
      return JsonError(416, "malformed Range");
    }
    if (first >= bytes.size()) {
      http::Response refused = JsonError(416, "the range starts past the end of the value");
      refused.headers.emplace_back("content-range", "bytes */" + std::to_string(bytes.size()));
      return refused;
    }
    partial = true;
  }
  http::Response response;
  response.status = partial ? 206 : 200;
  response.headers.emplace_back("content-type", std::string(kOctetStream));
  response.headers.emplace_back("accept-ranges", "bytes");
  if (partial) {
    response.headers.emplace_back("content-range", "bytes " + std::to_string(first) + "-" +
                                                       std::to_string(last) + "/" +
                                                       std::to_string(bytes.size()));
  }
  if (!bytes.empty()) {
    response.body.assign(reinterpret_cast<const char*>(bytes.data() + first),
                         static_cast<std::size_t>(last - first + 1));
  }
  return response;
}

http::Response RetrieveRendered(const Call& call, const ResourceUids& uids,
                                std::optional<std::string_view> frame_list, bool thumbnail) {
  if (uids.instance.empty()) {
    // A study's or series' rendering is its first instance's (PS3.18 10.4.1.1.4 leaves the
    // choice to the server), which is also what viewers show as its thumbnail.
    auto instances = InstancesInScope(call, uids, call.context.limits.max_retrieve_instances);
    if (!instances.ok()) return JsonError(instances.status());
    ResourceUids first = uids;
    first.series = instances->front().series_instance_uid;
    first.instance = instances->front().sop_instance_uid;
    return RetrieveRendered(call, first, std::nullopt, thumbnail);
  }
  std::uint32_t frame = 1;
  if (frame_list) {
    auto numbers = ParseFrameList(*frame_list, 1);
    if (!numbers.ok()) return JsonError(numbers.status());
    frame = numbers->front();
  }
  std::vector<std::string> ignored;
  auto options = RenderingParameters(call.target, thumbnail, ignored);
  if (!options.ok()) return JsonError(options.status());
  auto one = OpenOne(call, uids);
  if (!one.ok()) return JsonError(one.status());
  http::Response response = Rendered(call, one->first, *one->second, frame, *options);
  for (const std::string& name : ignored) {
    response.headers.emplace_back("warning", "299 bastion \"The query parameter " + name +
                                                 " is not supported and was ignored\"");
  }
  return response;
}

http::Response RetrieveWadoUri(const Call& call) {
  auto get = [&call](std::string_view name) { return QueryParameter(call.target, name); };
  if (get("requestType") != std::optional<std::string_view>("WADO")) {
    return JsonError(400, "WADO-URI needs requestType=WADO");
  }
  ResourceUids uids;
  for (auto [name, uid] : {std::pair{"studyUID", &uids.study}, std::pair{"seriesUID", &uids.series},
                           std::pair{"objectUID", &uids.instance}}) {
    auto value = get(name);
    if (!value || value->empty()) {
      return JsonError(400, "WADO-URI needs studyUID, seriesUID and objectUID");
    }
    *uid = std::string(*value);
  }
  const std::string content_type(get("contentType").value_or("image/jpeg"));
  if (content_type == kDicom) {
    auto instances = InstancesInScope(call, uids, 1);
    if (!instances.ok()) return JsonError(instances.status());
    // transferSyntax (the URI service's Transfer Syntax UID, PS3.18 9): as stored when absent or
    // the same, else converted between the uncompressed syntaxes
    // (archive/transfer_syntax_conversion.h).
    const std::string& stored_ts = instances->front().storage.transfer_syntax_uid;
    const auto asked = get("transferSyntax");
    if (asked && *asked != stored_ts && !archive::CanConvert(stored_ts, *asked)) {
      return JsonError(406, "the instance is stored in " + stored_ts +
                                " and cannot be converted to " + std::string(*asked) +
                                " (only between uncompressed syntaxes)");
    }
    auto stored = call.context.archive->OpenStored(instances->front());
    if (!stored.ok()) return JsonError(stored.status());
    std::unique_ptr<http::BodyProducer> body;
    if (asked && *asked != stored_ts) {
      auto converted =
          archive::ConvertPart10(*stored, stored_ts, *asked, call.context.limits.conversion,
                                 call.context.archive->policy().read);
      if (!converted.ok()) return JsonError(converted.status());
      body = std::make_unique<SingleInstanceBody>(nullptr, *std::move(converted));
    } else {
      body = std::make_unique<SingleInstanceBody>(stored->file, std::vector<std::uint8_t>{});
    }
    AuditRequest(call, AuditEventType::kInstancesSent, AuditOutcome::kSuccess, *instances,
                 "WADO-URI " + call.head.target);
    http::Response response;
    response.headers.emplace_back("content-type", std::string(kDicom));
    response.producer = std::move(body);
    return response;
  }
  if (content_type != "image/jpeg" && content_type != "image/png") {
    return JsonError(406, "WADO-URI contentType is application/dicom, image/jpeg or image/png");
  }
  render::RenderOptions options;
  options.format = content_type == "image/png" ? render::RenderOptions::Format::kPng
                                               : render::RenderOptions::Format::kJpeg;
  std::uint32_t frame = 1;
  for (const auto& parameter : call.target.query) {
    const std::string& key = parameter.first;
    if (key == "windowCenter" || key == "windowWidth" || key == "rows" || key == "columns" ||
        key == "frameNumber" || key == "imageQuality") {
      auto v = ParseNumber(parameter.second, key);
      if (!v.ok()) return JsonError(v.status());
      if (key == "windowCenter") options.window_center = *v;
      if (key == "windowWidth") options.window_width = *v;
      if (key == "rows" || key == "columns") {
        auto size = ViewportSize(*v);
        if (!size.ok()) return JsonError(size.status());
        (key == "rows" ? options.viewport_rows : options.viewport_columns) = *size;
      }
      if (key == "frameNumber") {
        if (!(*v >= 1 && *v <= 1e6)) return JsonError(400, "frameNumber starts at 1");
        frame = static_cast<std::uint32_t>(*v);
      }
      if (key == "imageQuality") {
        if (!(*v >= 1 && *v <= 100)) return JsonError(400, "imageQuality is 1 to 100");
        options.quality = static_cast<int>(*v);
      }
    }
  }
  auto one = OpenOne(call, uids);
  if (!one.ok()) return JsonError(one.status());
  auto image =
      render::RenderFrame(one->second->part10.dataset, one->second->part10.transfer_syntax.uid,
                          frame, options, call.context.limits.pixels);
  if (!image.ok()) return JsonError(image.status());
  AuditRequest(call, AuditEventType::kInstancesSent, AuditOutcome::kSuccess, {one->first},
               "WADO-URI rendered " + call.head.target);
  return http::TextResponse(200, content_type, *std::move(image));
}

}  // namespace bastion::web::dicomweb
