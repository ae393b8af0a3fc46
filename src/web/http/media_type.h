// Media types (Content-Type) and media ranges (Accept), as DICOMweb negotiates them.
//
// RFC 9110 8.3.1 (media-type = type "/" subtype parameters), 5.6.2 (token), 5.6.4 (quoted-string
// with backslash quoted-pairs), 5.6.6 (parameters) and 12.5.1 (Accept, with weights 12.4.2).
// PS3.18 8.7.3 puts `type` and `transfer-syntax` parameters in ranges, e.g.
//   multipart/related; type="application/dicom"; transfer-syntax=1.2.840.10008.1.2.1
// Type, subtype and parameter names are case-insensitive and kept lower-cased; parameter values
// are kept as sent (unquoted, escapes removed), since their case may matter (boundary).
//
// Strict: anything the grammar does not produce is kMalformed with a message saying what and
// where: an empty type or subtype, a missing '/', a character outside tchar, whitespace around
// '=', an unterminated quoted-string, a parameter without a value, a repeated parameter name.
// Empty parameters (";;") are allowed, as the grammar allows them. A bare wildcard ("*") as
// type or subtype is refused in a media type (it only has a meaning in a range); in a range,
// "*/*" and "type/*" are allowed, "*/subtype" is not. Sizes are checked against MediaTypeLimits
// before anything is stored: the text length, parameters per type and ranges per header.
//
// Pure: no I/O. Thread-safety: stateless functions and plain values.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace bastion::web::http {

struct MediaTypeLimits {
  std::size_t max_length = 4096;    // bytes of the whole field value
  std::size_t max_parameters = 16;  // per media type or range ("q" included)
  std::size_t max_ranges = 64;      // media ranges in one Accept value
  // Tolerated deviation: a media type as an unquoted parameter value (`type=application/dicom`),
  // which RFC 9110 requires quoted but DICOMweb clients commonly send; unambiguous, since '/'
  // cannot end a parameter. false: strictly RFC 9110.
  bool accept_unquoted_media_type_values = true;
};

struct MediaType {
  std::string type;     // lower-cased token, e.g. "multipart"
  std::string subtype;  // lower-cased token, e.g. "related"
  // In the order sent; names lower-cased and unique, values unquoted.
  std::vector<std::pair<std::string, std::string>> parameters;

  // The value of parameter `name` (matched case-insensitively), if present.
  std::optional<std::string_view> Parameter(std::string_view name) const;
  // "type/subtype" without parameters, e.g. "application/dicom".
  std::string Essence() const;
  // The canonical form: "type/subtype; name=value; ...", with a value quoted (and '"' and '\'
  // escaped) when it is not a token. ParseMediaType(ToString()) gives back an equal value.
  std::string ToString() const;

  bool operator==(const MediaType&) const = default;
};

// One element of an Accept value: a media range and its weight.
struct MediaRange {
  MediaType media;  // type and/or subtype may be "*"; the "q" parameter is not in parameters
  double q = 1.0;   // 0 to 1 in steps of 0.001; q = 0 means "not acceptable" and is kept

  bool operator==(const MediaRange&) const = default;
};

// Parses a Content-Type style value (leading and trailing whitespace ignored).
Result<MediaType> ParseMediaType(std::string_view text, const MediaTypeLimits& limits = {});

// Parses an Accept value: `#( media-range [ weight ] )`. The ranges come back in the order of the
// header, empty list elements (", ,") skipped as RFC 9110 5.6.1 requires; an empty value gives no
// ranges (whether that differs from an absent header is the caller's decision). The weight must
// be the last parameter of its range (RFC 9110 has no accept-ext after it); its grammar is
// "0" ["." 0*3DIGIT] / "1" ["." 0*3"0"], anything else is kMalformed. Several Accept lines are
// the caller's to join with ",".
Result<std::vector<MediaRange>> ParseAccept(std::string_view text,
                                            const MediaTypeLimits& limits = {});

// Whether `range` covers type/subtype (compared case-insensitively): "*/*" covers everything,
// "type/*" every subtype of type. Parameters and weight are not considered: the caller decides
// what a parameter (transfer-syntax, type) or q = 0 means for its resource.
bool Matches(const MediaRange& range, std::string_view type, std::string_view subtype);

// RFC 9110 5.6.2: 1*tchar. Shared with the multipart header parser (field-name = token).
bool IsToken(std::string_view text);

}  // namespace bastion::web::http
