// The DICOM JSON model (PS3.18 Annex F.2): encoding a DataSet to JSON and decoding it back.
//
// Encoding (json_encode.cc):
// - Attributes in ascending tag order; group length (gggg,0000) elements are left out (F.2.2).
// - Text of SH, LO, ST, LT, UC, UT and PN is decoded to UTF-8 through the Specific Character
//   Set of the data set (an item without its own (0008,0005) inherits its parent's); the other
//   string VRs must be ASCII. (0008,0005) itself is emitted with its original value, so the
//   JSON shows the repertoire the data set was stored in even though JSON text is UTF-8.
// - IS, DS are JSON numbers (F.2.3 allows "Number or String"): a DS whose text is already a
//   JSON number is copied digit for digit; other valid forms ("+1.5", ".5") are normalised.
//   SV and UV are numbers within +/-(2^53 - 1) and decimal strings beyond (F.2.3, CP-1889).
// - FL/FD are written in the shortest form that reads back to the same bits; NaN and
//   infinities have no JSON form and are an error (or, with lenient_values, the strings
//   "NaN", "Infinity" and "-Infinity", which the decoder does not accept).
// - AT as "GGGGEEEE"; PN as {"Alphabetic", "Ideographic", "Phonetic"} with empty groups left
//   out; an empty value among several becomes null; an empty element has only "vr" (F.2.5).
// - Binary values (OB OD OF OL OV OW UN and the binary numbers FL FD SL SS SV UL US UV) of at
//   least bulk_data_threshold bytes become "BulkDataURI" when the callback returns a URI;
//   OB..UN values otherwise become "InlineBinary" (base64, little endian, F.2.7).
//   Encapsulated pixel data can only be a BulkDataURI: without one it is kUnsupported.
//   An element that carries bulk_data_uri (from a decoded JSON) is written with that URI.
//
// Decoding (json_decode.cc): strict. Input size, JSON nesting, number of JSON values, number
// of attributes, sequence depth and InlineBinary size are checked against JsonLimits before
// the memory they guard is used. Unknown keys, wrong JSON types, duplicate keys, values out of
// range for their VR, bad base64, invalid tags and VRs are kMalformed errors naming the tag
// path, e.g. "00081140[0].00081150: ...". Text of ASCII-only VRs must be ASCII; value
// lengths are not held to PS3.5 (as the Part 10 reader does not hold them either), so what
// the encoder writes the decoder reads back. Decoded text is UTF-8: when any value of a VR
// affected by the character set is not ASCII, (0008,0005) becomes "ISO_IR 192" (replacing any
// value it had, in the data set and in items that carry their own). A BulkDataURI is never
// fetched: it is kept in Element::bulk_data_uri for the caller to resolve (or refuse).
//
// Pure: no I/O. Thread-safety: stateless functions.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "dicom/data_set.h"

namespace bastion::dicom {

struct JsonEncodeOptions {
  // Binary values of this many bytes or more go out as BulkDataURI when `bulk_data_uri`
  // returns a URI for them, else inline.
  std::uint64_t bulk_data_threshold = 1024;
  // Given the tag path ("00081140/0/00081155": tags and item indexes joined by '/') returns
  // the URI to emit for a large value, or nullopt to inline it. Also asked, whatever the
  // threshold, for encapsulated pixel data.
  std::function<std::optional<std::string>(const std::string& tag_path, const Element&)>
      bulk_data_uri;
  // Pretty-print with two-space indentation.
  bool pretty = false;
  // Lenient (for dumping files of unknown quality): values that break PS3.5 (an IS or DS
  // that is not a number, non-ASCII bytes in an ASCII-only VR, text the character set cannot
  // decode, a binary length that is not a multiple of the value width, more than three PN
  // groups, NaN or infinite floats) are written as best they can be (as strings, with U+FFFD
  // for undecodable bytes, truncated) instead of failing the whole encoding.
  bool lenient_values = false;
};

struct JsonLimits {
  std::uint64_t max_input_size = 64ull << 20;     // bytes of JSON text (at most 4 GiB)
  std::uint32_t max_depth = 32;                   // nesting of sequences (at most 256)
  std::uint64_t max_elements = 1'000'000;         // attributes, counting those inside items
  std::uint64_t max_values = 8'000'000;           // JSON values of every kind (memory bound)
  std::uint64_t max_inline_binary = 32ull << 20;  // decoded bytes of one InlineBinary
};

// Encodes one data set as a DICOM JSON object ({"00100010": {"vr": "PN", "Value": [...]}}).
Result<std::string> EncodeJson(const DataSet& dataset, const JsonEncodeOptions& options = {});
// Decodes one DICOM JSON object (or the single object of a one-element array).
Result<DataSet> DecodeJson(std::string_view json, const JsonLimits& limits = {});

}  // namespace bastion::dicom
