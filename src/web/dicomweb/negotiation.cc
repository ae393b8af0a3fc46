#include "web/dicomweb/negotiation.h"

#include <algorithm>

#include "dicom/transfer_syntax.h"

namespace bastion::web::dicomweb {

namespace {

namespace ts_uid = dicom::transfer_syntax;

http::MediaRange AnyRange() {
  http::MediaRange any;
  any.media.type = "*";
  any.media.subtype = "*";
  return any;
}

// PS3.18 8.7.3: application/dicom, application/dicom+json, application/dicom+xml, and
// multipart/related ranges whose parts are one of them.
bool IsDicomMediaType(const http::MediaType& media) {
  auto dicom = [](std::string_view type_subtype) {
    return type_subtype == "application/dicom" || type_subtype == "application/dicom+json" ||
           type_subtype == "application/dicom+xml";
  };
  if (media.type == "multipart" && media.subtype == "related") {
    const auto part = media.Parameter("type");
    return part && dicom(*part);
  }
  return dicom(media.type + "/" + media.subtype);
}

// Form decoding turned an unencoded '+' into ' ': put it back inside type/subtype tokens (the
// text before each list element's first ';'), where a space can never be.
std::string RestorePlus(std::string_view text) {
  std::string out(text);
  bool in_type = true;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const char c = out[i];
    if (c == ';') in_type = false;
    if (c == ',') in_type = true;
    if (c == ' ' && in_type && i > 0 && i + 1 < out.size() && out[i - 1] != ' ' &&
        out[i - 1] != ',' && out[i + 1] != ' ' && out[i + 1] != ';' && out[i + 1] != ',') {
      out[i] = '+';
    }
  }
  return out;
}

// PS3.18 8.3.3.2: charset = 1#(token / [DQUOTE defined-term DQUOTE]).
Status CheckCharset(std::string_view value) {
  std::string_view rest = value;
  while (true) {
    const std::size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (item.size() >= 2 && item.front() == '"' && item.back() == '"') {
      item = item.substr(1, item.size() - 2);
    }
    // A weight (";q=0.5") may follow, as in Accept-Charset; the name before it is checked.
    item = item.substr(0, item.find(';'));
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    const bool ok = !item.empty() && std::all_of(item.begin(), item.end(), [](char c) {
      return c == ' ' || http::IsToken(std::string_view(&c, 1));  // "ISO_IR 192"
    });
    if (!ok) {
      return Status::Malformed(
          "the charset query parameter is a comma-separated list of character sets "
          "(PS3.18 8.3.3.2)");
    }
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return Status::Ok();
}

bool CoveredByHeader(const http::MediaRange& type, const std::vector<http::MediaRange>& header) {
  return std::any_of(header.begin(), header.end(), [&](const http::MediaRange& range) {
    return range.q > 0 && http::Matches(range, type.media.type, type.media.subtype);
  });
}

bool Covers(const http::MediaRange& range, const Offer& offer) {
  const std::size_t slash = offer.media_type.find('/');
  if (!http::Matches(range, offer.media_type.substr(0, slash),
                     offer.media_type.substr(slash + 1))) {
    return false;
  }
  if (!offer.part_type.empty()) {
    if (auto type = range.media.Parameter("type"); type && *type != offer.part_type) return false;
  }
  if (auto ts = range.media.Parameter("transfer-syntax")) {
    return *ts == "*" || *ts == offer.transfer_syntax;  // `*`: any (PS3.18 8.7.3.5.2)
  }
  // No transfer-syntax: the default syntax of the media type is asked for (PS3.18 8.7.3.4).
  if (offer.transfer_syntax.empty() || offer.instead_of_default) return true;
  const std::string_view default_ts = DefaultTransferSyntax(offer.media_type, offer.part_type);
  return default_ts.empty() || default_ts == offer.transfer_syntax;
}

}  // namespace

Result<std::vector<http::MediaRange>> AcceptRanges(const http::RequestHead& head) {
  auto accept = http::JoinedHeader(head.headers, "accept");
  std::vector<http::MediaRange> ranges;
  if (accept) {
    BASTION_ASSIGN_OR_RETURN(ranges, http::ParseAccept(*accept));
  }
  if (ranges.empty()) ranges.push_back(AnyRange());
  return ranges;
}

Result<std::vector<http::MediaRange>> AcceptableMediaTypes(const http::RequestHead& head,
                                                           const http::Target& target) {
  std::string joined;
  bool have_accept = false;
  for (const auto& [name, value] : target.query) {
    if (name == "charset") {
      BASTION_RETURN_IF_ERROR(CheckCharset(value));
    } else if (name == "accept") {
      have_accept = true;
      if (!joined.empty()) joined += ',';
      joined += RestorePlus(value);
    }
  }
  BASTION_ASSIGN_OR_RETURN(auto header, AcceptRanges(head));
  if (!have_accept) return header;
  auto parsed = http::ParseAccept(joined);
  if (!parsed.ok()) {
    return Status::Malformed("the accept query parameter (PS3.18 8.3.3.1): " +
                             parsed.status().message());
  }
  if (parsed->empty()) {
    return Status::Malformed("the accept query parameter (PS3.18 8.3.3.1) names no media type");
  }
  bool dicom = false;
  bool other = false;
  for (const http::MediaRange& r : *parsed) {
    if (r.media.type == "*" || r.media.subtype == "*") {
      return Status::Malformed(
          "the accept query parameter takes media types, not wildcards (PS3.18 8.3.3.1)");
    }
    (IsDicomMediaType(r.media) ? dicom : other) = true;
  }
  if (dicom && other) {
    return Status::Malformed(
        "the accept query parameter mixes DICOM and non-DICOM media types (PS3.18 8.3.3.1)");
  }
  std::vector<http::MediaRange> acceptable;
  for (http::MediaRange& r : *parsed) {
    if (CoveredByHeader(r, header)) acceptable.push_back(std::move(r));
  }
  return acceptable;
}

std::optional<Offer> Negotiate(const std::vector<http::MediaRange>& ranges,
                               const std::vector<Offer>& offers) {
  const Offer* best = nullptr;
  double best_q = 0;
  for (const Offer& offer : offers) {
    // The most specific covering range decides the offer's q (RFC 9110 12.5.1).
    double q = -1;
    int specificity = -1;
    for (const http::MediaRange& range : ranges) {
      if (!Covers(range, offer)) continue;
      const int s = (range.media.type != "*") + (range.media.subtype != "*") +
                    static_cast<int>(range.media.parameters.size());
      if (s > specificity) {
        specificity = s;
        q = range.q;
      }
    }
    if (q > best_q) {
      best = &offer;
      best_q = q;
    }
  }
  if (best == nullptr) return std::nullopt;
  return *best;
}

std::string_view DefaultTransferSyntax(std::string_view media_type, std::string_view part_type) {
  const std::string_view type = media_type == "multipart/related" ? part_type : media_type;
  // Table 8.7.3-2 (DICOM instances) and Table 8.7.3-3/-4 (uncompressed bulk data and frames).
  if (type == "application/dicom" || type == "application/octet-stream") {
    return ts_uid::kExplicitVrLittleEndian;
  }
  return "";
}

bool IsWebTransferSyntax(std::string_view uid) {
  return uid != ts_uid::kImplicitVrLittleEndian && uid != ts_uid::kExplicitVrBigEndian;
}

}  // namespace bastion::web::dicomweb
