// Specific Character Set decoding: PS3.3 C.12.1.1.2 (the defined terms), PS3.5 6.1.2.4 and
// 6.1.2.5 (ISO 2022 code extensions) and PS3.5 Annexes H, I and J (Japanese, Korean, Chinese).
//
// ISO 2022 values are decoded by a small state machine over the two code elements DICOM uses:
// G0 (bytes 0x21..0x7E) and G1 (bytes 0xA0..0xFF). Escape sequences designate a set to one of
// them; the initial sets come back at every delimiter. Runs of a 94x94 set go to iconv in its
// EUC form; single-byte sets are table lookups. Nothing is guessed: a byte the active set does
// not define is an error naming its offset.
#include "dicom/charset.h"

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <optional>
#include <string>

#include "dicom/charset_tables.h"
#include "dicom/tag.h"

namespace bastion::dicom {

using charset_internal::Codec;
using charset_internal::Conversion;
using charset_internal::GraphicSet;
using charset_internal::Info;
using charset_internal::Scheme;
using charset_internal::Shape;

namespace {

constexpr std::uint8_t kEsc = 0x1B;

constexpr std::uint32_t Bit(GraphicSet set) { return 1u << static_cast<int>(set); }

// What one defined term contributes: the set it puts in G0 and in G1 when it is value 1 (the
// initial sets), and the sets escape sequences may then designate.
struct TermInfo {
  Scheme scheme = Scheme::kIso2022;
  bool code_extensions = false;
  GraphicSet g0 = GraphicSet::kNone;
  GraphicSet g1 = GraphicSet::kNone;
  bool multi_byte = false;  // Table C.12-4: meant for value 2 and later only
};

struct IrNumber {
  int ir;
  GraphicSet g0;
  GraphicSet g1;
  bool multi_byte;
};

// The registration numbers in PS3.3 Tables C.12-2 to C.12-4.
constexpr IrNumber kIrNumbers[] = {
    {6, GraphicSet::kIsoIr6, GraphicSet::kNone, false},
    {13, GraphicSet::kIsoIr14, GraphicSet::kIsoIr13, false},
    {100, GraphicSet::kIsoIr6, GraphicSet::kIsoIr100, false},
    {101, GraphicSet::kIsoIr6, GraphicSet::kIsoIr101, false},
    {109, GraphicSet::kIsoIr6, GraphicSet::kIsoIr109, false},
    {110, GraphicSet::kIsoIr6, GraphicSet::kIsoIr110, false},
    {144, GraphicSet::kIsoIr6, GraphicSet::kIsoIr144, false},
    {127, GraphicSet::kIsoIr6, GraphicSet::kIsoIr127, false},
    {126, GraphicSet::kIsoIr6, GraphicSet::kIsoIr126, false},
    {138, GraphicSet::kIsoIr6, GraphicSet::kIsoIr138, false},
    {148, GraphicSet::kIsoIr6, GraphicSet::kIsoIr148, false},
    {203, GraphicSet::kIsoIr6, GraphicSet::kIsoIr203, false},
    {166, GraphicSet::kIsoIr6, GraphicSet::kIsoIr166, false},
    {87, GraphicSet::kIsoIr87, GraphicSet::kNone, true},
    {159, GraphicSet::kIsoIr159, GraphicSet::kNone, true},
    {149, GraphicSet::kNone, GraphicSet::kIsoIr149, true},
    {58, GraphicSet::kNone, GraphicSet::kIsoIr58, true},
};

const IrNumber* FindIr(std::string_view digits) {
  int ir = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), ir);
  if (digits.starts_with('0') || ec != std::errc() || end != digits.data() + digits.size()) {
    return nullptr;  // "ISO_IR 0100" is no defined term
  }
  for (const IrNumber& entry : kIrNumbers) {
    if (entry.ir == ir) return &entry;
  }
  return nullptr;
}

std::optional<TermInfo> LookUpTerm(std::string_view term) {
  if (term == "ISO_IR 192") return TermInfo{.scheme = Scheme::kUtf8};
  if (term == "GB18030") return TermInfo{.scheme = Scheme::kGb18030};
  if (term == "GBK") return TermInfo{.scheme = Scheme::kGbk};
  constexpr std::string_view kPlain = "ISO_IR ";
  constexpr std::string_view kExtended = "ISO 2022 IR ";
  bool extended = term.starts_with(kExtended);
  if (!extended && !term.starts_with(kPlain)) return std::nullopt;
  const IrNumber* ir = FindIr(term.substr(extended ? kExtended.size() : kPlain.size()));
  // The multi-byte sets exist only in their code-extension form.
  if (ir == nullptr || (ir->multi_byte && !extended)) return std::nullopt;
  return TermInfo{.scheme = Scheme::kIso2022,
                  .code_extensions = extended,
                  .g0 = ir->g0,
                  .g1 = ir->g1,
                  .multi_byte = ir->multi_byte};
}

// Trailing NULs are padding some writers use; spaces are padding for CS (PS3.5 6.2).
std::string_view Normalize(std::string_view term) {
  while (!term.empty() && (term.front() == ' ')) term.remove_prefix(1);
  while (!term.empty() && (term.back() == ' ' || term.back() == '\0')) term.remove_suffix(1);
  return term;
}

Status UnknownTerm(std::string_view term) {
  std::string msg = "unknown Specific Character Set term '" + std::string(term) + "'";
  // The most common mistake is the right number with the wrong prefix.
  if (term.starts_with("ISO_IR ") && LookUpTerm("ISO 2022 IR " + std::string(term.substr(7)))) {
    msg += " (did you mean 'ISO 2022 IR " + std::string(term.substr(7)) + "'?)";
  } else if (term.starts_with("ISO 2022 IR 192")) {
    msg += " (did you mean 'ISO_IR 192'?)";
  }
  msg +=
      "; (0008,0005) must hold defined terms of PS3.3 C.12.1.1.2 such as 'ISO_IR 100', "
      "'ISO_IR 192' or '\\ISO 2022 IR 87'; correct it at the source, or convert the instance to "
      "ISO_IR 192 with a tool that knows its real character set";
  return Status::Unsupported(std::move(msg));
}

std::string Hex(std::uint8_t b) {
  constexpr char kDigits[] = "0123456789ABCDEF";
  return std::string{'0', 'x', kDigits[b >> 4], kDigits[b & 0xF]};
}

std::string HexBytes(std::span<const std::uint8_t> bytes, std::size_t offset, std::size_t count) {
  std::string out;
  for (std::size_t k = offset; k < bytes.size() && k < offset + count; ++k) {
    if (!out.empty()) out += ' ';
    out += Hex(bytes[k]);
  }
  return out;
}

std::string At(std::size_t offset) { return " at offset " + std::to_string(offset); }

std::string TermsForMessage(const std::vector<std::string>& terms) {
  if (terms.empty()) return "(0008,0005) absent: ISO_IR 6";
  std::string joined;
  for (std::size_t i = 0; i < terms.size(); ++i) {
    if (i > 0) joined += '\\';
    joined += terms[i];
  }
  return "(0008,0005) '" + joined + "'";
}

bool IsPlainAscii(std::span<const std::uint8_t> bytes) {
  for (std::uint8_t b : bytes) {
    if (b >= 0x80 || b == kEsc) return false;
  }
  return true;
}

std::string AsString(std::span<const std::uint8_t> bytes) {
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

// Offset of the first byte that does not begin a well-formed UTF-8 sequence (Unicode 15,
// Table 3-7: no overlong forms, no surrogates, nothing above U+10FFFF), or npos.
std::size_t FindInvalidUtf8(std::span<const std::uint8_t> s) {
  std::size_t i = 0;
  const std::size_t n = s.size();
  while (i < n) {
    const std::uint8_t b = s[i];
    if (b < 0x80) {
      ++i;
      continue;
    }
    std::size_t length = 0;
    std::uint8_t low = 0x80;  // allowed range of the second byte
    std::uint8_t high = 0xBF;
    if (b >= 0xC2 && b <= 0xDF) {
      length = 2;
    } else if (b == 0xE0) {
      length = 3, low = 0xA0;
    } else if ((b >= 0xE1 && b <= 0xEC) || b == 0xEE || b == 0xEF) {
      length = 3;
    } else if (b == 0xED) {
      length = 3, high = 0x9F;
    } else if (b == 0xF0) {
      length = 4, low = 0x90;
    } else if (b >= 0xF1 && b <= 0xF3) {
      length = 4;
    } else if (b == 0xF4) {
      length = 4, high = 0x8F;
    } else {
      return i;
    }
    if (n - i < length || s[i + 1] < low || s[i + 1] > high) return i;
    for (std::size_t k = 2; k < length; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return i;
    }
    i += length;
  }
  return std::string_view::npos;
}

Status NoConverter(Codec codec, std::string_view what) {
  return Status::Unsupported("the C library has no iconv converter from " +
                             std::string(charset_internal::CodecName(codec)) + ", needed for " +
                             std::string(what) + "; install the glibc gconv modules");
}

// Converts one run of a 94x94 set: `run` holds whole two-byte characters, each byte already
// checked to lie in the set's range; `offset` is where the run starts in the value.
Status AppendDoubleByteRun(GraphicSet set, std::span<const std::uint8_t> run, std::size_t offset,
                           std::string& out) {
  const bool jis_x_0212 = set == GraphicSet::kIsoIr159;
  const std::size_t width = jis_x_0212 ? 3 : 2;  // EUC-JP reaches JIS X 0212 through SS3
  std::string euc;
  euc.reserve(run.size() / 2 * width);
  for (std::size_t k = 0; k + 1 < run.size(); k += 2) {
    if (jis_x_0212) euc.push_back('\x8F');
    euc.push_back(static_cast<char>(run[k] | 0x80));
    euc.push_back(static_cast<char>(run[k + 1] | 0x80));
  }
  const Codec codec = Info(set).codec;
  Conversion c = charset_internal::ConvertToUtf8(codec, euc, out);
  if (c.outcome == Conversion::Outcome::kOk) return Status::Ok();
  if (c.outcome == Conversion::Outcome::kUnavailable) return NoConverter(codec, Info(set).name);
  const std::size_t at = offset + c.consumed / width * 2;
  return Status::Malformed("bytes " + HexBytes(run, at - offset, 2) + At(at) +
                           " are not a character of " + std::string(Info(set).name));
}

std::optional<GraphicSet> MatchEscape(std::span<const std::uint8_t> rest) {
  for (int i = 0; i < charset_internal::kGraphicSetCount; ++i) {
    const std::string_view escape = Info(static_cast<GraphicSet>(i)).escape;
    if (rest.size() < escape.size()) continue;
    if (std::equal(escape.begin(), escape.end(), rest.begin(),
                   [](char a, std::uint8_t b) { return static_cast<std::uint8_t>(a) == b; })) {
      return static_cast<GraphicSet>(i);
    }
  }
  return std::nullopt;
}

// "ESC $ ) C" for messages: the `length` bytes after ESC, printable ones as themselves.
std::string DescribeEscape(std::span<const std::uint8_t> bytes, std::size_t offset,
                           std::size_t length = 3) {
  std::string out = "ESC";
  for (std::size_t k = offset + 1; k < bytes.size() && k <= offset + length; ++k) {
    out += ' ';
    if (bytes[k] > 0x20 && bytes[k] < 0x7F) {
      out += static_cast<char>(bytes[k]);
    } else {
      out += Hex(bytes[k]);
    }
  }
  return out;
}

}  // namespace

CharacterSet::CharacterSet()
    : scheme_(Scheme::kIso2022),
      initial_g0_(GraphicSet::kIsoIr6),
      initial_g1_(GraphicSet::kNone),
      declared_(Bit(GraphicSet::kIsoIr6)) {}

Result<CharacterSet> CharacterSet::FromTerms(const std::vector<std::string>& terms) {
  CharacterSet cs;
  cs.terms_ = terms;
  // Values after the first that are empty carry nothing; a first value that is empty means
  // ISO 2022 IR 6 (C.12.1.1.2).
  std::vector<std::string_view> values;
  for (const std::string& t : terms) values.push_back(Normalize(t));
  while (values.size() > 1 && values.back().empty()) values.pop_back();
  if (values.empty() || (values.size() == 1 && values[0].empty())) return cs;

  const bool multi_valued = values.size() > 1;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (values[i].empty()) {
      if (i == 0) continue;  // the default repertoire, already in place
      return Status::Malformed("(0008,0005) value " + std::to_string(i + 1) +
                               " is empty; only value 1 may be (PS3.3 C.12.1.1.2)");
    }
    std::optional<TermInfo> info = LookUpTerm(values[i]);
    if (!info) return UnknownTerm(values[i]);
    if (info->scheme != Scheme::kIso2022) {
      // Sets without code extensions stand alone (PS3.3 C.12.1.1.2, Table C.12-5).
      if (multi_valued) {
        return Status::Malformed("(0008,0005) term '" + std::string(values[i]) +
                                 "' has no code extensions and cannot be combined with other "
                                 "terms (PS3.3 C.12.1.1.2); use it as the only value");
      }
      cs.scheme_ = info->scheme;
      cs.declared_ = 0;
      return cs;
    }
    if (info->code_extensions || multi_valued) cs.code_extensions_ = true;
    if (i == 0) {
      // A multi-byte term as value 1 keeps ASCII in G0, where the delimiters must stay
      // recognisable; IR 149 and IR 58 become the initial G1 set.
      if (!info->multi_byte) cs.initial_g0_ = info->g0;
      cs.initial_g1_ = info->g1;
    }
    if (info->g0 != GraphicSet::kNone) cs.declared_ |= Bit(info->g0);
    if (info->g1 != GraphicSet::kNone) cs.declared_ |= Bit(info->g1);
  }
  return cs;
}

Result<CharacterSet> CharacterSet::FromDataSet(const DataSet& dataset) {
  return FromDataSet(dataset, CharacterSet());
}

Result<CharacterSet> CharacterSet::FromDataSet(const DataSet& item, const CharacterSet& enclosing) {
  const Element* element = item.Find(tags::kSpecificCharacterSet);
  if (element == nullptr) return enclosing;
  // Read the bytes whatever VR the element came with (UN from a private transfer, say):
  // ignoring a present (0008,0005) would decode everything else as garbage.
  const auto bytes = element->value.view();
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  if (TrimTrailingPadding(text).empty()) return CharacterSet();
  return FromTerms(SplitStringValues(text, Vr::kCS));
}

bool CharacterSet::is_utf8() const {
  return scheme_ == Scheme::kUtf8 ||
         (scheme_ == Scheme::kIso2022 && declared_ == Bit(GraphicSet::kIsoIr6) &&
          initial_g1_ == GraphicSet::kNone);
}

Result<std::string> CharacterSet::Decode(std::span<const std::uint8_t> bytes, Vr vr) const {
  // Every set here agrees with ASCII on bytes below 0x80 when no escape sequence is present
  // (JIS X 0201 Romaji is read as ASCII: its 0x5C must stay the value delimiter).
  if (IsPlainAscii(bytes)) return AsString(bytes);
  switch (scheme_) {
    case Scheme::kIso2022:
      return DecodeIso2022(bytes, vr);
    case Scheme::kUtf8: {
      const std::size_t bad = FindInvalidUtf8(bytes);
      if (bad != std::string_view::npos) {
        return Status::Malformed("invalid UTF-8 sequence starting " + HexBytes(bytes, bad, 4) +
                                 At(bad) + " in a value declared ISO_IR 192");
      }
      for (std::size_t i = 0; i < bytes.size(); ++i) {
        if (bytes[i] == kEsc) {
          return Status::Malformed("escape sequence" + At(i) +
                                   " in a value declared ISO_IR 192, which has no code "
                                   "extensions (PS3.3 C.12.1.1.2)");
        }
      }
      return AsString(bytes);
    }
    case Scheme::kGb18030:
    case Scheme::kGbk: {
      const bool gbk = scheme_ == Scheme::kGbk;
      const std::string_view name = gbk ? "GBK" : "GB18030";
      for (std::size_t i = 0; i < bytes.size(); ++i) {
        // ESC is never part of a GB18030 or GBK character: single bytes stop at 0x7F and
        // trail bytes start at 0x30 (four-byte) or 0x40 (two-byte).
        if (bytes[i] == kEsc) {
          return Status::Malformed("escape sequence" + At(i) + " in a value declared " +
                                   std::string(name) +
                                   ", which has no code extensions (PS3.3 C.12.1.1.2)");
        }
      }
      const Codec codec = gbk ? Codec::kGbk : Codec::kGb18030;
      std::string out;
      out.reserve(bytes.size() * 3 / 2);
      const std::string_view in(reinterpret_cast<const char*>(bytes.data()), bytes.size());
      Conversion c = charset_internal::ConvertToUtf8(codec, in, out);
      switch (c.outcome) {
        case Conversion::Outcome::kOk:
          return out;
        case Conversion::Outcome::kUnavailable:
          return NoConverter(codec, name);
        case Conversion::Outcome::kIncomplete:
          return Status::Malformed("incomplete " + std::string(name) + " character " +
                                   HexBytes(bytes, c.consumed, 4) + At(c.consumed) +
                                   " at the end of the value");
        case Conversion::Outcome::kInvalid:
          return Status::Malformed("bytes " + HexBytes(bytes, c.consumed, 4) + At(c.consumed) +
                                   " are not a " + std::string(name) + " character");
      }
      return Status::Internal("unhandled iconv outcome");
    }
  }
  return Status::Internal("unhandled character set scheme");
}

Result<std::string> CharacterSet::DecodeIso2022(std::span<const std::uint8_t> bytes, Vr vr) const {
  const bool multi_valued = IsMultiValuedString(vr);
  const bool person_name = vr == Vr::kPN;
  GraphicSet g0 = initial_g0_;
  GraphicSet g1 = initial_g1_;
  std::string out;
  out.reserve(bytes.size() + bytes.size() / 2);
  const std::size_t n = bytes.size();
  std::size_t i = 0;
  // Each iteration consumes at least one byte, so this ends after at most n iterations.
  while (i < n) {
    const std::uint8_t b = bytes[i];
    if (b == kEsc) {
      std::optional<GraphicSet> set = MatchEscape(bytes.subspan(i + 1));
      const std::size_t length = set ? Info(*set).escape.size() : 3;
      if (!code_extensions_) {
        return Status::Malformed("escape sequence " + DescribeEscape(bytes, i, length) + At(i) +
                                 ", but " + TermsForMessage(terms_) +
                                 " does not enable code extensions (PS3.5 6.1.2.5); the terms "
                                 "must be 'ISO 2022 ...'");
      }
      if (!set) {
        return Status::Malformed("unknown or truncated escape sequence " +
                                 DescribeEscape(bytes, i) + At(i) +
                                 " (PS3.3 Tables C.12-3 and C.12-4 list those DICOM allows)");
      }
      // ESC ( B is always accepted: writers return to the default repertoire with it even
      // when value 1 is ISO 2022 IR 13.
      if (*set != GraphicSet::kIsoIr6 && (declared_ & Bit(*set)) == 0) {
        return Status::Malformed("escape sequence " + DescribeEscape(bytes, i, length) + At(i) +
                                 " designates " + std::string(Info(*set).name) + ", which " +
                                 TermsForMessage(terms_) + " does not declare");
      }
      (Info(*set).g1 ? g1 : g0) = *set;
      i += 1 + Info(*set).escape.size();
      continue;
    }

    if (b < 0x80) {
      if (Info(g0).shape == Shape::kDoubleByte && b >= 0x21 && b <= 0x7E) {
        std::size_t end = i;
        while (end < n && bytes[end] >= 0x21 && bytes[end] <= 0x7E) ++end;
        if ((end - i) % 2 != 0) {
          return Status::Malformed("incomplete " + std::string(Info(g0).name) + " character " +
                                   HexBytes(bytes, end - 1, 1) + At(end - 1));
        }
        BASTION_RETURN_IF_ERROR(AppendDoubleByteRun(g0, bytes.subspan(i, end - i), i, out));
        i = end;
        continue;
      }
      // Control characters and delimiters bring back the initial sets (PS3.5 6.1.2.5.3).
      // In a 94x94 G0 the delimiter bytes belong to characters and were consumed above.
      if (b < 0x20 || (multi_valued && b == '\\') || (person_name && (b == '^' || b == '='))) {
        g0 = initial_g0_;
        g1 = initial_g1_;
      }
      out.push_back(static_cast<char>(b));
      ++i;
      continue;
    }

    if (b < 0xA0) {
      return Status::Malformed("byte " + Hex(b) + At(i) +
                               " is a C1 control code, which DICOM text does not use (often "
                               "Windows-1252 text declared as ISO_IR 100)");
    }
    switch (g1) {
      case GraphicSet::kNone:
        return Status::Malformed(
            "byte " + Hex(b) + At(i) + " needs a G1 character set and none is active there (" +
            TermsForMessage(terms_) +
            "; the initial sets return after each delimiter, PS3.5 6.1.2.5.3); (0008,0005) must "
            "name the character set the value is written in");
      case GraphicSet::kIsoIr100:  // Latin-1 is Unicode's first 256 code points
        charset_internal::AppendUtf8(b, out);
        ++i;
        continue;
      case GraphicSet::kIsoIr13:  // JIS X 0201 Katakana: 0xA1..0xDF, U+FF61..U+FF9F in order
        if (b < 0xA1 || b > 0xDF) {
          return Status::Malformed("byte " + Hex(b) + At(i) + " is not a character of " +
                                   std::string(Info(g1).name));
        }
        charset_internal::AppendUtf8(0xFF61 + (b - 0xA1), out);
        ++i;
        continue;
      case GraphicSet::kIsoIr149:
      case GraphicSet::kIsoIr58: {
        std::size_t end = i;
        while (end < n && bytes[end] >= 0xA1 && bytes[end] <= 0xFE) ++end;
        if (end == i || (end - i) % 2 != 0) {
          const std::size_t at = end == i ? i : end - 1;
          return Status::Malformed(std::string(end == i ? "byte " : "incomplete character ") +
                                   Hex(bytes[at]) + At(at) + " in " + std::string(Info(g1).name));
        }
        BASTION_RETURN_IF_ERROR(AppendDoubleByteRun(g1, bytes.subspan(i, end - i), i, out));
        i = end;
        continue;
      }
      default: {
        const charset_internal::G1Table* table = charset_internal::SingleByteTable(g1);
        if (table == nullptr) {
          return Status::Unsupported(
              "the C library has no iconv converter from " + std::string(Info(g1).iconv_name) +
              ", needed for " + std::string(Info(g1).name) + "; install the glibc gconv modules");
        }
        const charset_internal::Utf8Char& c = (*table)[b - 0xA0];
        if (c.size == 0) {
          return Status::Malformed("byte " + Hex(b) + At(i) + " is not a character of " +
                                   std::string(Info(g1).name));
        }
        out.append(c.bytes.data(), c.size);
        ++i;
        continue;
      }
    }
  }
  return out;
}

}  // namespace bastion::dicom
