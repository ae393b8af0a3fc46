// Helpers shared by the DICOM JSON encoder and decoder (json_encode.cc, json_decode.cc):
// base64 (RFC 4648 section 4, as PS3.18 F.2.7 InlineBinary uses it), the PS3.5 grammars of
// IS and DS, and number formatting. Internal to src/dicom; not part of the public API.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "dicom/tag.h"
#include "dicom/vr.h"

namespace bastion::dicom::json_internal {

// PS3.18 F.2.2: the member names of a Person Name object, in component group order.
inline constexpr std::string_view kPnGroupNames[3] = {"Alphabetic", "Ideographic", "Phonetic"};

// The largest integer magnitude a JSON number carries exactly in IEEE 754 binary64.
inline constexpr std::int64_t kMaxSafeInteger = (std::int64_t{1} << 53) - 1;

// One level of the element path that the encoder and decoder keep while they descend: the
// element's tag and, inside a sequence, the index of the item being visited.
struct PathStep {
  Tag tag;
  std::size_t item = 0;
};
// The path as text: each tag in hex, the item index after every tag but the last, each put
// between `item_open` and `item_close`, and steps joined by `separator`. For error messages
// ("00081140[0].00081150") and for the BulkDataURI callback ("00081140/0/00081150").
std::string FormatPath(std::span<const PathStep> path, std::string_view separator,
                       std::string_view item_open, std::string_view item_close);

// Standard base64 with '=' padding.
std::string Base64Encode(std::span<const std::uint8_t> bytes);

// VRs whose JSON value is InlineBinary or a BulkDataURI (PS3.18 F.2.7): OB OD OF OL OV OW UN.
bool IsInlineBinaryVr(Vr vr);
// Strict: length a multiple of 4, only the standard alphabet, padding only at the end, unused
// bits zero. Fails with kLimitExceeded, before allocating, when the decoded size would exceed
// `max_size`, and with kMalformed (naming the offset) otherwise.
Result<std::vector<std::uint8_t>> Base64Decode(std::string_view text, std::uint64_t max_size);

// Integer String (PS3.5 Table 6.2-1): optional sign and digits, within [-2^31, 2^31 - 1].
// `text` has its padding spaces removed already.
std::optional<std::int64_t> ParseIntegerString(std::string_view text);
// Decimal String (PS3.5 Table 6.2-1): fixed or floating point, finite as a double.
std::optional<double> ParseDecimalString(std::string_view text);
// True when `text` matches the JSON number grammar (RFC 8259 section 6).
bool IsJsonNumber(std::string_view text);

// Shortest text that reads back to the same double (or float), in JSON number syntax;
// negative zero is "-0.0" so a JSON reader keeps it a float. Precondition: finite.
std::string FormatDouble(double value);
std::string FormatFloat(float value);
// A DS value of at most 16 characters for `value` (PS3.5 Table 6.2-1), as precise as fits.
// Precondition: finite.
std::string FormatDecimalString(double value);

}  // namespace bastion::dicom::json_internal
