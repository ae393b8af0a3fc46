// DICOM JSON decoder (PS3.18 F.2); the rules are listed in json_model.h.
//
// Two passes: the JSON text becomes a flat token tape (json_tape.h, bounded in nesting and
// value count), then the decoder walks the tape into a DataSet, validating every attribute
// against its VR. Recursion follows sequence depth only, capped by JsonLimits::max_depth.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "dicom/json_internal.h"
#include "dicom/json_model.h"
#include "dicom/json_tape.h"

namespace bastion::dicom {
namespace {

using json_internal::JsonTape;
using json_internal::kPnGroupNames;
using json_internal::ParseJsonTape;
using Kind = json_internal::JsonKind;
using Token = json_internal::JsonToken;

// Recursion in the decoder follows sequence depth; this caps what a caller may configure.
constexpr std::uint32_t kMaxSupportedDepth = 256;

std::string_view KindName(Kind kind) {
  switch (kind) {
    case Kind::kNull:
      return "null";
    case Kind::kBool:
      return "a boolean";
    case Kind::kInteger:
    case Kind::kUnsigned:
    case Kind::kFloat:
      return "a number";
    case Kind::kString:
    case Kind::kKey:
      return "a string";
    case Kind::kArray:
      return "an array";
    case Kind::kObject:
      return "an object";
  }
  return "?";
}

// A JSON string for an error message: quoted, at most 40 characters, control and non-ASCII
// bytes shown as '?', so hostile input cannot forge log lines.
std::string Quote(std::string_view text) {
  std::string out = "\"";
  for (std::size_t i = 0; i < text.size() && i < 40; ++i) {
    const auto c = static_cast<std::uint8_t>(text[i]);
    out += (c >= 0x20 && c < 0x7F) ? static_cast<char>(c) : '?';
  }
  if (text.size() > 40) out += "...";
  return out + "\"";
}

bool IsAscii(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return static_cast<std::uint8_t>(c) < 0x80; });
}

// Eight upper-case hex digits (PS3.18 F.2.1.1.2), as attribute keys and AT values use.
std::optional<Tag> ParseHexTag(std::string_view text) {
  if (text.size() != 8) return std::nullopt;
  std::uint32_t value = 0;
  for (char c : text) {
    std::uint32_t digit = 0;
    if (c >= '0' && c <= '9') {
      digit = static_cast<std::uint32_t>(c - '0');
    } else if (c >= 'A' && c <= 'F') {
      digit = static_cast<std::uint32_t>(c - 'A' + 10);
    } else {
      return std::nullopt;
    }
    value = (value << 4) | digit;
  }
  return Tag::FromU32(value);
}

// Byte granularity of an InlineBinary value of this VR.
std::size_t InlineBinaryWidth(Vr vr) {
  switch (vr) {
    case Vr::kOW:
      return 2;
    case Vr::kOF:
    case Vr::kOL:
      return 4;
    case Vr::kOD:
    case Vr::kOV:
      return 8;
    default:
      return 1;
  }
}

void StoreLittleEndian(std::vector<std::uint8_t>& out, std::uint64_t value, std::size_t width) {
  for (std::size_t i = 0; i < width; ++i) {
    out.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
  }
}

// An integral JSON number as sign and magnitude, so the whole of int64 and uint64 fits.
struct Integer {
  bool negative = false;
  std::uint64_t magnitude = 0;
};

class Decoder {
 public:
  Decoder(const std::vector<Token>& tokens, const std::string& pool, const JsonLimits& limits)
      : tokens_(tokens),
        pool_(pool),
        limits_(limits),
        max_depth_(std::min(limits.max_depth, kMaxSupportedDepth)) {}

  Result<DataSet> DecodeTop() {
    std::uint32_t root = 0;
    if (tokens_.empty()) return Status::Malformed("empty JSON");
    if (tokens_[0].kind == Kind::kArray) {
      if (tokens_[0].end != tokens_.size() || tokens_.size() < 2 ||
          tokens_[1].kind != Kind::kObject || tokens_[1].end != tokens_.size()) {
        return Status::Malformed("expected one DICOM JSON object (or an array of exactly one)");
      }
      root = 1;
    } else if (tokens_[0].kind != Kind::kObject) {
      return Status::Malformed("expected a DICOM JSON object, found " +
                               std::string(KindName(tokens_[0].kind)));
    }
    DataSet dataset;
    BASTION_RETURN_IF_ERROR(DecodeDataSet(root, dataset, 0));
    if (non_ascii_text_) UseUtf8(dataset);
    return dataset;
  }

 private:
  using PathStep = json_internal::PathStep;

  std::string_view Text(const Token& token) const {
    return std::string_view(pool_).substr(token.text, token.size);
  }
  std::uint32_t Next(std::uint32_t index) const {
    const Token& token = tokens_[index];
    return (token.kind == Kind::kArray || token.kind == Kind::kObject) ? token.end : index + 1;
  }

  std::string Path() const { return json_internal::FormatPath(path_, ".", "[", "]"); }
  Status Error(const std::string& what) const {
    return Status::Malformed(path_.empty() ? what : Path() + ": " + what);
  }
  Status ValueError(std::size_t index, const std::string& what) const {
    return Error("Value[" + std::to_string(index) + "] " + what);
  }

  // Sets (0008,0005) to ISO_IR 192 in the data set and in every item that has its own.
  static void UseUtf8(DataSet& dataset) {
    dataset.SetString(tags::kSpecificCharacterSet, Vr::kCS, "ISO_IR 192");
    ReplaceInItems(dataset);
  }
  static void ReplaceInItems(DataSet& dataset) {
    for (Element& element : dataset.mutable_elements()) {
      for (DataSet& item : element.items) {
        if (item.Contains(tags::kSpecificCharacterSet)) {
          item.SetString(tags::kSpecificCharacterSet, Vr::kCS, "ISO_IR 192");
        }
        ReplaceInItems(item);
      }
    }
  }

  Status DecodeDataSet(std::uint32_t object, DataSet& out, std::uint32_t depth) {
    const std::uint32_t end = tokens_[object].end;
    for (std::uint32_t i = object + 1; i < end;) {
      const std::string_view key = Text(tokens_[i]);
      const std::uint32_t value = i + 1;
      i = Next(value);
      auto tag = ParseHexTag(key);
      if (!tag) {
        return Error("attribute key " + Quote(key) +
                     " is not eight upper-case hexadecimal digits (PS3.18 F.2.1.1.2)");
      }
      if (tag->is_group_length()) {
        return Error("group length " + Quote(key) + " is not allowed in DICOM JSON (F.2.2)");
      }
      if (tag->is_delimiter_group()) {
        return Error("item and delimiter tags " + Quote(key) + " are not attributes");
      }
      if (out.Contains(*tag)) return Error("duplicate attribute " + Quote(key));
      if (++element_count_ > limits_.max_elements) {
        return Status::LimitExceeded("more than " + std::to_string(limits_.max_elements) +
                                     " attributes");
      }
      path_.push_back({*tag, 0});
      Element element;
      element.tag = *tag;
      Status status = DecodeAttribute(value, element, depth);
      path_.pop_back();
      BASTION_RETURN_IF_ERROR(status);
      out.Append(std::move(element));
    }
    return Status::Ok();
  }

  Status DecodeAttribute(std::uint32_t object, Element& element, std::uint32_t depth) {
    if (tokens_[object].kind != Kind::kObject) {
      return Error("attribute must be an object, found " +
                   std::string(KindName(tokens_[object].kind)));
    }
    std::optional<std::uint32_t> vr_token;
    std::optional<std::uint32_t> value_token;
    std::optional<std::uint32_t> inline_token;
    std::optional<std::uint32_t> uri_token;
    const std::uint32_t end = tokens_[object].end;
    for (std::uint32_t i = object + 1; i < end;) {
      const std::string_view key = Text(tokens_[i]);
      const std::uint32_t value = i + 1;
      i = Next(value);
      std::optional<std::uint32_t>* slot = nullptr;
      if (key == "vr") {
        slot = &vr_token;
      } else if (key == "Value") {
        slot = &value_token;
      } else if (key == "InlineBinary") {
        slot = &inline_token;
      } else if (key == "BulkDataURI") {
        slot = &uri_token;
      } else {
        return Error("unknown key " + Quote(key) +
                     " (expected vr, Value, InlineBinary or BulkDataURI)");
      }
      if (*slot) return Error("duplicate key " + Quote(key));
      *slot = value;
    }
    if (!vr_token) return Error("missing \"vr\"");
    if (tokens_[*vr_token].kind != Kind::kString) return Error("\"vr\" must be a string");
    auto vr = ParseVr(Text(tokens_[*vr_token]));
    if (!vr) return Error("unknown VR " + Quote(Text(tokens_[*vr_token])));
    element.vr = *vr;
    if (int(value_token.has_value()) + int(inline_token.has_value()) + int(uri_token.has_value()) >
        1) {
      return Error("at most one of Value, InlineBinary and BulkDataURI is allowed (F.2.2)");
    }
    if (uri_token) return DecodeBulkDataUri(*uri_token, element);
    if (inline_token) return DecodeInlineBinary(*inline_token, element);
    if (!value_token) return Status::Ok();  // an empty value (F.2.5)
    const Token& array = tokens_[*value_token];
    if (array.kind != Kind::kArray) {
      return Error("\"Value\" must be an array, found " + std::string(KindName(array.kind)));
    }
    if (json_internal::IsInlineBinaryVr(element.vr)) {
      return Error(std::string(VrName(element.vr)) +
                   " values are InlineBinary or BulkDataURI, not Value (F.2.2)");
    }
    std::vector<std::uint32_t> entries;
    for (std::uint32_t i = *value_token + 1; i < array.end; i = Next(i)) entries.push_back(i);
    if (element.vr == Vr::kSQ) return DecodeItems(entries, element, depth);
    if (element.vr == Vr::kPN) return DecodePersonNames(entries, element);
    if (IsString(element.vr)) return DecodeStrings(entries, element);
    return DecodeBinaryNumbers(entries, element);
  }

  Status DecodeBulkDataUri(std::uint32_t index, Element& element) {
    if (element.vr == Vr::kSQ) return Error("a sequence cannot be a BulkDataURI");
    if (tokens_[index].kind != Kind::kString || tokens_[index].size == 0) {
      return Error("\"BulkDataURI\" must be a non-empty string");
    }
    element.bulk_data_uri = std::string(Text(tokens_[index]));
    return Status::Ok();
  }

  Status DecodeInlineBinary(std::uint32_t index, Element& element) {
    if (!json_internal::IsInlineBinaryVr(element.vr)) {
      return Error("InlineBinary is only for OB, OD, OF, OL, OV, OW and UN, not " +
                   std::string(VrName(element.vr)) + " (F.2.7)");
    }
    if (tokens_[index].kind != Kind::kString) return Error("\"InlineBinary\" must be a string");
    auto bytes = json_internal::Base64Decode(Text(tokens_[index]), limits_.max_inline_binary);
    if (!bytes.ok()) return bytes.status().WithContext(Path() + ": InlineBinary");
    const std::size_t width = InlineBinaryWidth(element.vr);
    if (bytes->size() % width != 0) {
      return Error("InlineBinary of " + std::to_string(bytes->size()) + " bytes for " +
                   std::string(VrName(element.vr)) + " is not a multiple of " +
                   std::to_string(width));
    }
    element.value = ValueBytes(std::move(bytes).value());
    return Status::Ok();
  }

  Status DecodeItems(const std::vector<std::uint32_t>& entries, Element& element,
                     std::uint32_t depth) {
    if (depth + 1 > max_depth_) {
      return Status::LimitExceeded(Path() + ": sequences nested deeper than " +
                                   std::to_string(max_depth_));
    }
    element.items.reserve(entries.size());
    for (std::size_t k = 0; k < entries.size(); ++k) {
      if (tokens_[entries[k]].kind != Kind::kObject) {
        return ValueError(
            k, "must be an item object, found " + std::string(KindName(tokens_[entries[k]].kind)));
      }
      path_.back().item = k;
      DataSet item;
      BASTION_RETURN_IF_ERROR(DecodeDataSet(entries[k], item, depth + 1));
      element.items.push_back(std::move(item));
    }
    return Status::Ok();
  }

  // Checks one decoded text value against its VR and notes non-ASCII text.
  Status CheckText(std::size_t index, Vr vr, std::string_view text) {
    if (IsMultiValuedString(vr) && text.find('\\') != std::string_view::npos) {
      return ValueError(index, "contains a backslash, the value delimiter (F.2.4)");
    }
    // Value lengths are not held to PS3.5 Table 6.2-1: the Part 10 reader accepts an
    // over-long DA such as "1997.04.24" and the encoder writes it, so the decoder takes it
    // back. Repertoire and delimiters are checked: they decide what the bytes mean.
    if (IsAscii(text)) return Status::Ok();
    if (!UsesSpecificCharacterSet(vr)) {
      return ValueError(
          index, "has non-ASCII characters, which " + std::string(VrName(vr)) + " does not allow");
    }
    non_ascii_text_ = true;
    return Status::Ok();
  }

  static std::string Join(const std::vector<std::string>& values) {
    std::string out;
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (i > 0) out += '\\';
      out += values[i];
    }
    return out;
  }

  static std::vector<std::uint8_t> Bytes(const std::string& text) {
    return std::vector<std::uint8_t>(text.begin(), text.end());
  }

  Status DecodePersonNames(const std::vector<std::uint32_t>& entries, Element& element) {
    std::vector<std::string> values;
    for (std::size_t k = 0; k < entries.size(); ++k) {
      const std::uint32_t index = entries[k];
      const Token& token = tokens_[index];
      if (token.kind == Kind::kNull) {
        values.emplace_back();
        continue;
      }
      if (token.kind != Kind::kObject) {
        return ValueError(
            k, "must be a person name object or null, found " + std::string(KindName(token.kind)));
      }
      std::optional<std::string_view> groups[3];
      for (std::uint32_t i = index + 1; i < token.end;) {
        const std::string_view key = Text(tokens_[i]);
        const std::uint32_t value = i + 1;
        i = Next(value);
        auto name = std::find(std::begin(kPnGroupNames), std::end(kPnGroupNames), key);
        if (name == std::end(kPnGroupNames)) {
          return ValueError(k, "has unknown key " + Quote(key) +
                                   " (expected Alphabetic, Ideographic or Phonetic)");
        }
        auto& group = groups[name - std::begin(kPnGroupNames)];
        if (group) return ValueError(k, "has duplicate key " + Quote(key));
        if (tokens_[value].kind != Kind::kString) {
          return ValueError(k, Quote(key) + " must be a string");
        }
        group = Text(tokens_[value]);
        if (group->find_first_of("=\\") != std::string_view::npos) {
          return ValueError(k, Quote(key) + " contains '=' or '\\'");
        }
        BASTION_RETURN_IF_ERROR(CheckText(k, Vr::kPN, *group));
      }
      // Trailing empty groups are left out, so "Doe^John" stays "Doe^John".
      std::size_t last = 0;
      for (std::size_t g = 0; g < 3; ++g) {
        if (groups[g] && !groups[g]->empty()) last = g + 1;
      }
      std::string text;
      for (std::size_t g = 0; g < last; ++g) {
        if (g > 0) text += '=';
        if (groups[g]) text += *groups[g];
      }
      values.push_back(std::move(text));
    }
    element.value = ValueBytes(Bytes(Canonical(Join(values), Vr::kPN)));
    return Status::Ok();
  }

  // The padding rules of PS3.5 6.2 applied as the encoder applies them (SplitStringValues), so
  // that decode -> encode -> decode reaches a fixed point: " CT" and "CT" are the same CS value.
  static std::string Canonical(const std::string& joined, Vr vr) {
    if (TrimTrailingPadding(joined).empty()) return "";
    std::string out;
    bool first = true;
    for (const std::string& value : SplitStringValues(joined, vr)) {
      if (!first) out += '\\';
      out += value;
      first = false;
    }
    return out;
  }

  // An integral JSON number (a float with an integral value is accepted too).
  std::optional<Integer> IntegerOf(const Token& token) const {
    switch (token.kind) {
      case Kind::kInteger:
        if (token.number.i < 0) {
          return Integer{true, static_cast<std::uint64_t>(-(token.number.i + 1)) + 1};
        }
        return Integer{false, static_cast<std::uint64_t>(token.number.i)};
      case Kind::kUnsigned:
        return Integer{false, token.number.u};
      case Kind::kFloat: {
        const double d = token.number.d;
        if (std::trunc(d) != d || std::fabs(d) >= 9.2e18) return std::nullopt;
        const auto i = static_cast<std::int64_t>(d);
        if (i < 0) return Integer{true, static_cast<std::uint64_t>(-(i + 1)) + 1};
        return Integer{false, static_cast<std::uint64_t>(i)};
      }
      default:
        return std::nullopt;
    }
  }

  static std::string IntegerText(const Integer& value) {
    return (value.negative ? "-" : "") + std::to_string(value.magnitude);
  }

  Status DecodeStrings(const std::vector<std::uint32_t>& entries, Element& element) {
    const Vr vr = element.vr;
    if (!IsMultiValuedString(vr) && entries.size() > 1) {
      return Error(std::string(VrName(vr)) + " has a single value, found " +
                   std::to_string(entries.size()));
    }
    std::vector<std::string> values;
    values.reserve(entries.size());
    for (std::size_t k = 0; k < entries.size(); ++k) {
      const Token& token = tokens_[entries[k]];
      if (token.kind == Kind::kNull) {
        values.emplace_back();
        continue;
      }
      const bool is_number = token.kind == Kind::kInteger || token.kind == Kind::kUnsigned ||
                             token.kind == Kind::kFloat;
      if (vr == Vr::kIS && is_number) {
        auto value = IntegerOf(token);
        if (!value || value->magnitude > (value->negative ? 0x80000000u : 0x7FFFFFFFu)) {
          return ValueError(k, "is not an integer in [-2^31, 2^31-1] as IS requires");
        }
        values.push_back(IntegerText(*value));
        continue;
      }
      if (vr == Vr::kDS && is_number) {
        values.push_back(DecimalStringOf(token));
        continue;
      }
      if (token.kind != Kind::kString) {
        return ValueError(k,
                          std::string("must be ") +
                              (vr == Vr::kIS || vr == Vr::kDS ? "a number, a string" : "a string") +
                              " or null, found " + std::string(KindName(token.kind)));
      }
      std::string_view text = Text(token);
      BASTION_RETURN_IF_ERROR(CheckText(k, vr, text));
      if (vr == Vr::kIS && !json_internal::ParseIntegerString(Trimmed(text))) {
        return ValueError(k, Quote(text) + " is not a valid IS");
      }
      if (vr == Vr::kDS && !json_internal::ParseDecimalString(Trimmed(text))) {
        return ValueError(k, Quote(text) + " is not a valid DS");
      }
      values.emplace_back(vr == Vr::kIS || vr == Vr::kDS ? Trimmed(text) : text);
    }
    element.value = ValueBytes(Bytes(Canonical(Join(values), vr)));
    return Status::Ok();
  }

  static std::string_view Trimmed(std::string_view text) {
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
    return text;
  }

  // A DS of at most 16 characters: the JSON digits when they fit, else the closest that do.
  std::string DecimalStringOf(const Token& token) const {
    if (token.kind == Kind::kFloat) {
      if (token.size <= 16) return std::string(Text(token));
      return json_internal::FormatDecimalString(token.number.d);
    }
    std::string text = token.kind == Kind::kInteger ? std::to_string(token.number.i)
                                                    : std::to_string(token.number.u);
    if (text.size() <= 16) return text;
    return json_internal::FormatDecimalString(token.kind == Kind::kInteger
                                                  ? static_cast<double>(token.number.i)
                                                  : static_cast<double>(token.number.u));
  }

  Status DecodeBinaryNumbers(const std::vector<std::uint32_t>& entries, Element& element) {
    const Vr vr = element.vr;
    std::vector<std::uint8_t> out;
    for (std::size_t k = 0; k < entries.size(); ++k) {
      const Token& token = tokens_[entries[k]];
      if (vr == Vr::kAT) {
        std::optional<Tag> tag;
        if (token.kind == Kind::kString) tag = ParseHexTag(Text(token));
        if (!tag) return ValueError(k, "must be a tag of eight upper-case hexadecimal digits");
        StoreLittleEndian(out, tag->group, 2);
        StoreLittleEndian(out, tag->element, 2);
        continue;
      }
      if (vr == Vr::kFL || vr == Vr::kFD) {
        BASTION_RETURN_IF_ERROR(AppendFloating(k, token, vr, out));
        continue;
      }
      std::optional<Integer> value;
      if (token.kind == Kind::kString && (vr == Vr::kSV || vr == Vr::kUV)) {
        value = ParseDecimalInteger(Text(token));  // F.2.3: SV/UV may be strings
      } else {
        value = IntegerOf(token);
      }
      if (!value) {
        return ValueError(k, "must be an integer, found " +
                                 (token.kind == Kind::kString ? Quote(Text(token))
                                                              : std::string(KindName(token.kind))));
      }
      std::uint64_t max_positive = 0;
      std::uint64_t max_negative = 0;  // magnitude
      std::size_t width = 0;
      switch (vr) {
        case Vr::kUS:
          max_positive = 0xFFFF;
          width = 2;
          break;
        case Vr::kSS:
          max_positive = 0x7FFF;
          max_negative = 0x8000;
          width = 2;
          break;
        case Vr::kUL:
          max_positive = 0xFFFFFFFF;
          width = 4;
          break;
        case Vr::kSL:
          max_positive = 0x7FFFFFFF;
          max_negative = 0x80000000;
          width = 4;
          break;
        case Vr::kUV:
          max_positive = std::numeric_limits<std::uint64_t>::max();
          width = 8;
          break;
        case Vr::kSV:
          max_positive = 0x7FFFFFFFFFFFFFFF;
          max_negative = 0x8000000000000000;
          width = 8;
          break;
        default:
          return Error("VR " + std::string(VrName(vr)) + " has no JSON value form");
      }
      if (value->negative ? value->magnitude > max_negative : value->magnitude > max_positive) {
        return ValueError(k,
                          IntegerText(*value) + " is out of range for " + std::string(VrName(vr)));
      }
      const std::uint64_t bits = value->negative ? (~value->magnitude + 1) : value->magnitude;
      StoreLittleEndian(out, bits, width);
    }
    element.value = ValueBytes(std::move(out));
    return Status::Ok();
  }

  static std::optional<Integer> ParseDecimalInteger(std::string_view text) {
    Integer value;
    if (!text.empty() && text.front() == '-') {
      value.negative = true;
      text.remove_prefix(1);
    }
    if (text.empty() || text.size() > 20) return std::nullopt;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value.magnitude);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
  }

  Status AppendFloating(std::size_t k, const Token& token, Vr vr, std::vector<std::uint8_t>& out) {
    double value = 0;
    switch (token.kind) {
      case Kind::kInteger:
        value = static_cast<double>(token.number.i);
        break;
      case Kind::kUnsigned:
        value = static_cast<double>(token.number.u);
        break;
      case Kind::kFloat:
        value = token.number.d;
        break;
      default:
        return ValueError(k, "must be a number, found " + std::string(KindName(token.kind)));
    }
    if (!std::isfinite(value)) return ValueError(k, "is not finite");
    std::uint64_t bits = 0;
    if (vr == Vr::kFL) {
      if (std::fabs(value) > static_cast<double>(std::numeric_limits<float>::max())) {
        return ValueError(k, "is out of range for FL");
      }
      const auto f = static_cast<float>(value);
      std::uint32_t b32 = 0;
      std::memcpy(&b32, &f, sizeof f);
      StoreLittleEndian(out, b32, 4);
      return Status::Ok();
    }
    std::memcpy(&bits, &value, sizeof value);
    StoreLittleEndian(out, bits, 8);
    return Status::Ok();
  }

  const std::vector<Token>& tokens_;
  const std::string& pool_;
  const JsonLimits& limits_;
  const std::uint32_t max_depth_;
  std::vector<PathStep> path_;
  std::uint64_t element_count_ = 0;
  bool non_ascii_text_ = false;
};

Result<DataSet> Decode(std::string_view json, const JsonLimits& limits) {
  if (json.size() > limits.max_input_size) {
    return Status::LimitExceeded("DICOM JSON of " + std::to_string(json.size()) +
                                 " bytes exceeds the limit of " +
                                 std::to_string(limits.max_input_size));
  }
  if (json.size() > std::numeric_limits<std::uint32_t>::max()) {
    return Status::LimitExceeded("DICOM JSON larger than 4 GiB");
  }
  const std::uint32_t depth = std::min(limits.max_depth, kMaxSupportedDepth);
  // Data set object, attribute object, Value array, item object, ...: 3 levels per sequence,
  // plus an optional enclosing array and a PN object. Allowing one sequence more than
  // max_depth lets the decoder report the too-deep sequence by its tag path.
  const std::size_t max_nesting = 3 * (static_cast<std::size_t>(depth) + 1) + 5;
  const std::uint64_t max_tokens =
      std::min<std::uint64_t>(limits.max_values, std::numeric_limits<std::uint32_t>::max() - 1);
  BASTION_ASSIGN_OR_RETURN(JsonTape tape, ParseJsonTape(json, max_tokens, max_nesting));
  Decoder decoder(tape.tokens, tape.pool, limits);
  return decoder.DecodeTop();
}

}  // namespace

Result<DataSet> DecodeJson(std::string_view json, const JsonLimits& limits) {
  return Decode(json, limits);
}

}  // namespace bastion::dicom
