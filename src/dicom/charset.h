// Specific Character Set (0008,0005): decoding text values to UTF-8 (PS3.5 section 6.1,
// PS3.3 C.12.1.1.2, PS3.5 Annex H/I/J for Japanese, Korean and Chinese).
//
// Supports the single-byte sets (ISO_IR 6/100/101/109/110/144/127/126/138/148/203/166,
// ISO_IR 13), their ISO 2022 code-extension forms (ISO 2022 IR ...), the multi-byte ISO 2022
// sets (ISO 2022 IR 87/159 Japanese, IR 149 Korean, IR 58 Chinese), and the sets without code
// extensions ISO_IR 192 (UTF-8), GB18030 and GBK. An unknown term is an error the caller sees:
// text is never decoded into silent garbage.
// Pure: no I/O. Uses the C library's iconv for the table-driven conversions.
// Thread-safety: a CharacterSet is immutable and can be shared.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "dicom/data_set.h"
#include "dicom/vr.h"

namespace bastion::dicom {

class CharacterSet {
 public:
  // The default repertoire (ISO_IR 6, ASCII) when (0008,0005) is absent or empty.
  CharacterSet();

  // From the values of (0008,0005). Fails with kUnsupported naming the term when a defined
  // term is unknown, and kMalformed for combinations the standard forbids.
  static Result<CharacterSet> FromTerms(const std::vector<std::string>& terms);
  // From a data set's (0008,0005); the default when absent.
  static Result<CharacterSet> FromDataSet(const DataSet& dataset);

  // Decodes a value of VR `vr` to UTF-8. For PN, escape sequences reset at each component
  // group delimiter ('=') and component ('^'); for all VRs at each value delimiter ('\\') and,
  // for LT/ST/UT/UC, at line breaks (PS3.5 6.1.2.5.3). Bytes invalid in the active set are an
  // error (kMalformed) naming the byte offset.
  Result<std::string> Decode(std::span<const std::uint8_t> bytes, Vr vr) const;

  // The defined terms, as given.
  const std::vector<std::string>& terms() const { return terms_; }
  // True when text can be encoded as UTF-8 directly (ISO_IR 192) or is pure ASCII.
  bool is_utf8() const;

 private:
  std::vector<std::string> terms_;
};

}  // namespace bastion::dicom
