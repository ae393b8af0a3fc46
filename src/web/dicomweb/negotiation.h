// Content negotiation for DICOMweb responses (PS3.18 8.7): which of the representations a
// resource can produce the Acceptable Media Types allow, honouring q-values (q=0 refuses),
// wildcards, and the `type` and `transfer-syntax` parameters of multipart/related ranges.
//
// The Acceptable Media Types (PS3.18 8.7.5) are those of the Accept Query Parameter
// (8.3.3.1, `accept=`) when the request has one, else those of the Accept header field
// (8.7.7). The Character Set Query Parameter (8.3.3.2, `charset=`) is read and checked; every
// DICOMweb text Bastion sends is UTF-8 (DICOM JSON is UTF-8 by PS3.18 F.2), whatever it lists.
// Thread-safety: stateless functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "web/http/media_type.h"
#include "web/http/message.h"
#include "web/http/query_string.h"

namespace bastion::web::dicomweb {

// One representation a resource can send.
struct Offer {
  std::string media_type;       // "multipart/related", "application/dicom+json", "image/jpeg"
  std::string part_type;        // for multipart/related: the parts' type ("application/dicom")
  std::string transfer_syntax;  // the syntax the bytes are in ("" when it does not apply)
  // A range without transfer-syntax covers this offer although it is not in the default
  // syntax: PS3.18 8.7.3.4 lets an origin server that holds the pixel data only in lossy
  // compressed form send it in that form where the default syntax is asked for.
  bool instead_of_default = false;
};

// The Accept ranges of a request; an absent or empty header accepts everything.
Result<std::vector<http::MediaRange>> AcceptRanges(const http::RequestHead& head);

// The Acceptable Media Types of a request (PS3.18 8.7.5): the media types of its Accept Query
// Parameter (8.3.3.1) when present, else AcceptRanges(head). The parameter has the Accept
// syntax without wildcards; a repeated parameter's lists are joined. Of its media types, those
// that no range of the Accept header covers (8.3.3.1: each "shall be compatible with a media
// range in the Accept Header Field") are dropped: when none is left the list is empty and
// Negotiate finds nothing (406). A '+' sent unencoded in the query arrives as a space (form
// decoding); no type or subtype holds a space, so "application/dicom json" is read as
// "application/dicom+json". Malformed (400: an invalid value of a supported parameter,
// PS3.18 8.3): an unparsable list, a wildcard, DICOM and non-DICOM media types together
// (8.3.3.1), an empty or unparsable `charset` (8.3.3.2).
Result<std::vector<http::MediaRange>> AcceptableMediaTypes(const http::RequestHead& head,
                                                           const http::Target& target);

// The first of `offers` (ordered by the server's preference) with the highest q among the ranges
// that cover it; nullopt when none is acceptable (answer 406). A range's transfer-syntax
// parameter must equal the offer's, or be "*"; an absent one covers an offer in the default
// syntax of its media type (DefaultTransferSyntax), an offer whose media type has no default,
// an offer without a syntax, and an offer marked instead_of_default.
std::optional<Offer> Negotiate(const std::vector<http::MediaRange>& ranges,
                               const std::vector<Offer>& offers);

// The transfer syntax a range without a transfer-syntax parameter asks for, for an offer of
// `media_type` / `part_type` (PS3.18 8.7.3.4, 8.7.3.5 and Table 8.7.3-2): Explicit VR Little
// Endian for application/dicom (single part or as the parts of multipart/related), and for
// uncompressed bulk data and frames (application/octet-stream); "" when the media type has no
// default syntax, or its default is the media type itself (image/jls, image/jp2, ...).
std::string_view DefaultTransferSyntax(std::string_view media_type, std::string_view part_type);

// The transfer syntaxes PS3.18 8.7.3 allows for DICOM media types: any except Implicit VR
// Little Endian and Explicit VR Big Endian, which "shall not be used with Web Services".
bool IsWebTransferSyntax(std::string_view uid);

}  // namespace bastion::web::dicomweb
