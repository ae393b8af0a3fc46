// The DICOM JSON model (PS3.18 Annex F.2): encoding a DataSet to JSON and decoding it back.
//
// Text values are decoded to UTF-8 through the data set's Specific Character Set; decoded
// data sets carry "ISO_IR 192" when they contain non-ASCII text. Values at least
// `bulk_data_threshold` long, and every value when a BulkDataURI callback says so, are written
// as "BulkDataURI" instead of "InlineBinary". The decoder never fetches a BulkDataURI: it keeps
// the URI in Element::bulk_data_uri for the caller to resolve (or refuse).
// Pure: no I/O. Bounded by JsonLimits.
// Thread-safety: stateless functions.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "dicom/data_set.h"

namespace bastion::dicom {

struct JsonEncodeOptions {
  // Binary values (OB, OD, OF, OL, OV, OW, UN) of this many bytes or more go out as BulkDataURI
  // when `bulk_data_uri` returns a URI for them, else as InlineBinary.
  std::uint64_t bulk_data_threshold = 1024;
  // Given the tag path (e.g. "00081140/0/00081155" style, see PS3.18 F.2.7) returns the URI
  // to emit for a large value, or nullopt to inline it.
  std::function<std::optional<std::string>(const std::string& tag_path, const Element&)>
      bulk_data_uri;
  // Pretty-print with two-space indentation.
  bool pretty = false;
};

struct JsonLimits {
  std::uint64_t max_input_size = 64ull << 20;  // bytes of JSON text
  std::uint32_t max_depth = 32;                // nesting of sequences
  std::uint64_t max_elements = 1'000'000;
  std::uint64_t max_inline_binary = 32ull << 20;  // decoded bytes of one InlineBinary
};

// Encodes one data set as a DICOM JSON object ({"00100010": {"vr": "PN", "Value": [...]}}).
Result<std::string> EncodeJson(const DataSet& dataset, const JsonEncodeOptions& options = {});
// Decodes one DICOM JSON object (or the single object of a one-element array).
Result<DataSet> DecodeJson(std::string_view json, const JsonLimits& limits = {});

}  // namespace bastion::dicom
