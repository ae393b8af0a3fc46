#include "web/dicomweb/negotiation.h"

namespace bastion::web::dicomweb {

Result<std::vector<http::MediaRange>> AcceptRanges(const http::RequestHead& head) {
  auto accept = http::JoinedHeader(head.headers, "accept");
  std::vector<http::MediaRange> ranges;
  if (accept) {
    BASTION_ASSIGN_OR_RETURN(ranges, http::ParseAccept(*accept));
  }
  if (ranges.empty()) {
    http::MediaRange any;
    any.media.type = "*";
    any.media.subtype = "*";
    ranges.push_back(std::move(any));
  }
  return ranges;
}

namespace {

bool Covers(const http::MediaRange& range, const Offer& offer) {
  const std::size_t slash = offer.media_type.find('/');
  if (!http::Matches(range, offer.media_type.substr(0, slash),
                     offer.media_type.substr(slash + 1))) {
    return false;
  }
  if (!offer.part_type.empty()) {
    if (auto type = range.media.Parameter("type"); type && *type != offer.part_type) return false;
  }
  if (auto ts = range.media.Parameter("transfer-syntax"); ts && *ts != "*") {
    return *ts == offer.transfer_syntax;
  }
  return true;
}

}  // namespace

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

}  // namespace bastion::web::dicomweb
