// JsonTape: JSON text (RFC 8259) as a flat array of tokens, the first pass of the DICOM JSON
// decoder (json_decode.cc). Internal to src/dicom.
//
// Built from nlohmann's SAX parser, which is iterative, so deeply nested input cannot overflow
// the stack; nesting and the number of values are refused as they arrive, before the memory
// they would take. The exact text of each non-integer number is kept, so a DS keeps its
// digits. Strict JSON: no comments, no trailing data, strings must be valid UTF-8, numbers
// that overflow a double are errors.
// Thread-safety: pure function; a tape is a value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace bastion::dicom::json_internal {

enum class JsonKind : std::uint8_t {
  kNull,
  kBool,
  kInteger,   // number.i: a negative integer
  kUnsigned,  // number.u: a non-negative integer
  kFloat,     // number.d, and its text
  kString,
  kKey,  // an object member name; the member's value follows it
  kArray,
  kObject
};

struct JsonToken {
  JsonKind kind = JsonKind::kNull;
  bool boolean = false;
  std::uint32_t end = 0;   // kArray, kObject: index one past their last token
  std::uint32_t text = 0;  // kString, kKey, kFloat: offset of the text in the pool
  std::uint32_t size = 0;  // and its length in bytes
  union {
    std::int64_t i;
    std::uint64_t u;
    double d;
  } number{};
};

struct JsonTape {
  std::vector<JsonToken> tokens;  // in document order; tokens[0] is the root value
  std::string pool;               // the text of strings, keys and floats
};

// Fails with kLimitExceeded beyond `max_tokens` values or `max_nesting` open arrays/objects,
// kMalformed (with the byte offset) for anything that is not JSON. Precondition: the input
// is at most 4 GiB.
Result<JsonTape> ParseJsonTape(std::string_view json, std::uint64_t max_tokens,
                               std::size_t max_nesting);

}  // namespace bastion::dicom::json_internal
