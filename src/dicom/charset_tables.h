// The character sets behind charset.h: which graphic sets exist, how ISO 2022 designates them
// (PS3.3 Tables C.12-2 to C.12-5) and the table-driven conversions to UTF-8. This is the only
// code that calls the C library's iconv. Internal to src/dicom.
// Thread-safety: the tables are built once per process (thread-safe static initialisation);
// iconv converters are opened once per thread, so ConvertToUtf8 may run on any thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "dicom/charset.h"

namespace bastion::dicom::charset_internal {

enum class Scheme : std::uint8_t {
  kIso2022,  // code elements G0 and G1, switched by escape sequences when extensions are on
  kUtf8,     // ISO_IR 192
  kGb18030,  // GB18030
  kGbk,      // GBK
};

enum class GraphicSet : std::uint8_t {
  // G0, 94 characters.
  kIsoIr6,   // ASCII (the default repertoire)
  kIsoIr14,  // JIS X 0201 Romaji
  // G0, 94x94 characters, two bytes each in 0x21..0x7E.
  kIsoIr87,   // JIS X 0208
  kIsoIr159,  // JIS X 0212
  // G1, 94 characters.
  kIsoIr13,  // JIS X 0201 Katakana
  // G1, 96 characters (0xA0..0xFF).
  kIsoIr100,  // ISO 8859-1, Latin alphabet No. 1
  kIsoIr101,  // ISO 8859-2, Latin alphabet No. 2
  kIsoIr109,  // ISO 8859-3, Latin alphabet No. 3
  kIsoIr110,  // ISO 8859-4, Latin alphabet No. 4
  kIsoIr144,  // ISO 8859-5, Cyrillic
  kIsoIr127,  // ISO 8859-6, Arabic
  kIsoIr126,  // ISO 8859-7, Greek
  kIsoIr138,  // ISO 8859-8, Hebrew
  kIsoIr148,  // ISO 8859-9, Latin alphabet No. 5
  kIsoIr203,  // ISO 8859-15, Latin alphabet No. 9
  kIsoIr166,  // TIS 620-2533, Thai
  // G1, 94x94 characters, two bytes each in 0xA1..0xFE.
  kIsoIr149,  // KS X 1001
  kIsoIr58,   // GB 2312
  kNone,      // no set designated: the bytes of that code element are errors
};
inline constexpr int kGraphicSetCount = static_cast<int>(GraphicSet::kNone);

enum class Shape : std::uint8_t { kNone, kSingleByte, kDoubleByte };

// The multi-byte encodings iconv converts for us. The ISO 2022 94x94 sets are fed to the EUC
// form of their national standard (EUC-JP also carries JIS X 0212 after 0x8F).
enum class Codec : std::uint8_t { kEucJp, kEucKr, kEucCn, kGb18030, kGbk };
inline constexpr int kCodecCount = 5;

struct SetInfo {
  std::string_view name;        // for messages: "ISO-IR 87 (JIS X 0208)"
  std::string_view escape;      // the bytes after ESC that designate it (PS3.3 C.12-3/C.12-4)
  bool g1;                      // designated to G1 (else G0)
  Shape shape;                  // bytes per character
  std::string_view iconv_name;  // single-byte 96-sets: the table source; "" if built by hand
  Codec codec;                  // double-byte sets
};
const SetInfo& Info(GraphicSet set);

// One character of a 96-character G1 set as UTF-8; size 0 where the set has no character.
struct Utf8Char {
  std::uint8_t size = 0;
  std::array<char, 3> bytes{};
};
using G1Table = std::array<Utf8Char, 96>;  // indexed by byte - 0xA0

// The table of a 96-character set (not ISO-IR 100, which is decoded by hand), or nullptr when
// the C library has no converter for it.
const G1Table* SingleByteTable(GraphicSet set);

struct Conversion {
  enum class Outcome : std::uint8_t { kOk, kInvalid, kIncomplete, kUnavailable };
  Outcome outcome = Outcome::kOk;
  std::size_t consumed = 0;  // input bytes converted before the one that failed
};
std::string_view CodecName(Codec codec);
// Appends `in`, encoded in `codec`, to `out` as UTF-8. On failure `out` holds the text
// converted before the offending sequence, which starts at `in[consumed]`.
Conversion ConvertToUtf8(Codec codec, std::string_view in, std::string& out);

// Appends a Unicode scalar value as UTF-8.
void AppendUtf8(char32_t code_point, std::string& out);

}  // namespace bastion::dicom::charset_internal
