// Specific Character Set (0008,0005): decoding text values to UTF-8 (PS3.5 section 6.1,
// PS3.3 C.12.1.1.2, PS3.5 Annex H/I/J for Japanese, Korean and Chinese).
//
// Supports the single-byte sets (ISO_IR 6/100/101/109/110/144/127/126/138/148/203/166,
// ISO_IR 13), their ISO 2022 code-extension forms (ISO 2022 IR ...), the multi-byte ISO 2022
// sets (ISO 2022 IR 87/159 Japanese, IR 149 Korean, IR 58 Chinese), and the sets without code
// extensions ISO_IR 192 (UTF-8), GB18030 and GBK. An unknown term is an error the caller sees:
// text is never decoded into silent garbage.
// Pure: no I/O. Uses the C library's iconv for the table-driven conversions (tables for the
// single-byte sets are built once per process, converters for the multi-byte sets once per
// thread). Bounded: the output is at most three bytes per input byte.
// Tolerated deviations, each unambiguous: an "ISO_IR" form of a single-byte term in a
// multi-valued (0008,0005) reads as its "ISO 2022" form, and a multi-byte "ISO 2022" term as
// value 1 reads as value 2 after an implied ISO 2022 IR 6 (IR 149 and IR 58 are then also the
// initial G1 set, as unescaped EUC-KR / GB 2312 writers expect).
// Thread-safety: a CharacterSet is immutable and can be shared.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "dicom/data_set.h"
#include "dicom/vr.h"

namespace bastion::dicom {

namespace charset_internal {
// How values are encoded, and the graphic sets ISO 2022 escape sequences designate. Opaque
// here, defined in charset_tables.h: the decoder's vocabulary, not part of the API.
enum class Scheme : std::uint8_t;
enum class GraphicSet : std::uint8_t;
}  // namespace charset_internal

class CharacterSet {
 public:
  // The default repertoire (ISO_IR 6, ASCII) when (0008,0005) is absent or empty.
  CharacterSet();

  // From the values of (0008,0005). Fails with kUnsupported naming the term when a defined
  // term is unknown, and kMalformed for combinations the standard forbids.
  static Result<CharacterSet> FromTerms(const std::vector<std::string>& terms);
  // From a data set's (0008,0005); the default when absent.
  static Result<CharacterSet> FromDataSet(const DataSet& dataset);
  // For a sequence item: its own (0008,0005) when present, else the enclosing data set's
  // (PS3.5 7.5.3 lets an item override Specific Character Set for its own elements).
  static Result<CharacterSet> FromDataSet(const DataSet& item, const CharacterSet& enclosing);

  // Decodes a value of VR `vr` to UTF-8. With code extensions, the initial sets are active
  // again after each control character (CR, LF, FF, TAB...), each value delimiter ('\\') of a
  // multi-valued VR and, for PN, each component group ('=') and component ('^') delimiter
  // (PS3.5 6.1.2.5.3). Bytes invalid in the active set, escape sequences the terms do not
  // allow and incomplete characters are errors (kMalformed) naming the offset in `bytes`.
  // Padding and delimiters are kept: split the decoded text, not the bytes (a GBK or JIS X 0208
  // byte may equal '\\', '^' or '='). ASCII, ISO_IR 100 and ISO_IR 192 never reach iconv.
  Result<std::string> Decode(std::span<const std::uint8_t> bytes, Vr vr) const;

  // The defined terms, as given.
  const std::vector<std::string>& terms() const { return terms_; }
  // True when text can be encoded as UTF-8 directly (ISO_IR 192) or is pure ASCII.
  bool is_utf8() const;

 private:
  Result<std::string> DecodeIso2022(std::span<const std::uint8_t> bytes, Vr vr) const;

  std::vector<std::string> terms_;
  // ISO 2022 code elements (every single-byte set, with or without code extensions) or one
  // of the multi-byte sets without code extensions.
  charset_internal::Scheme scheme_{};
  bool code_extensions_ = false;  // escape sequences allowed: the terms are "ISO 2022 ..."
  // Active at the start of a value and again at each delimiter (PS3.5 6.1.2.5.3).
  charset_internal::GraphicSet initial_g0_{};
  charset_internal::GraphicSet initial_g1_{};
  std::uint32_t declared_ = 0;  // bit per GraphicSet that escape sequences may designate
};

}  // namespace bastion::dicom
