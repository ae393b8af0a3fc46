// Content negotiation for DICOMweb responses (PS3.18 8.7): which of the representations a
// resource can produce the Accept header allows, honouring q-values (q=0 refuses), wildcards,
// and the `type` and `transfer-syntax` parameters of multipart/related ranges.
// Thread-safety: stateless functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "web/http/media_type.h"
#include "web/http/message.h"

namespace bastion::web::dicomweb {

// One representation a resource can send.
struct Offer {
  std::string media_type;       // "multipart/related", "application/dicom+json", "image/jpeg"
  std::string part_type;        // for multipart/related: the parts' type ("application/dicom")
  std::string transfer_syntax;  // the syntax the bytes are in ("" when it does not apply)
};

// The Accept ranges of a request; an absent or empty header accepts everything.
Result<std::vector<http::MediaRange>> AcceptRanges(const http::RequestHead& head);

// The first of `offers` (ordered by the server's preference) with the highest q among the ranges
// that cover it; nullopt when none is acceptable (answer 406). A range's transfer-syntax
// parameter must equal the offer's, or be "*"; an absent one accepts any syntax for the
// multipart DICOM types (Bastion sends instances as stored; see docs/dicomweb.md).
std::optional<Offer> Negotiate(const std::vector<http::MediaRange>& ranges,
                               const std::vector<Offer>& offers);

}  // namespace bastion::web::dicomweb
