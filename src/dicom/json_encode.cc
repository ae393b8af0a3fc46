// DICOM JSON encoder (PS3.18 F.2); the rules are listed in json_model.h.
//
// The JSON text is written by hand rather than through a JSON library: the encoder controls
// number formatting (a DS keeps its digits, floats use the shortest round-trip form) and the
// output is deterministic byte for byte.
#include <cmath>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "dicom/charset.h"
#include "dicom/json_internal.h"
#include "dicom/json_model.h"

namespace bastion::dicom {
namespace {

using json_internal::Base64Encode;
using json_internal::FormatDouble;
using json_internal::FormatFloat;
using json_internal::kMaxSafeInteger;
using json_internal::kPnGroupNames;

// Deeper than any data set the reader accepts; keeps recursion bounded for data sets built in
// memory.
constexpr std::size_t kMaxEncodeDepth = 256;

// Length of the UTF-8 sequence starting at text[i], or 0 when it is not valid UTF-8
// (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF).
std::size_t Utf8SequenceLength(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<std::uint8_t>(text[k]); };
  const std::uint8_t b0 = byte(i);
  if (b0 < 0x80) return 1;
  std::size_t n = 0;
  std::uint8_t lo = 0x80;
  std::uint8_t hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > text.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return n;
}

bool IsValidUtf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    std::size_t n = Utf8SequenceLength(text, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

bool IsAscii(std::string_view text) {
  for (char c : text) {
    if (static_cast<std::uint8_t>(c) >= 0x80) return false;
  }
  return true;
}

// Lenient fallback: keeps ASCII (and, when allowed, valid UTF-8) and turns every other byte
// into U+FFFD.
std::string ReplaceInvalid(std::string_view text, bool allow_utf8) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    std::size_t n = Utf8SequenceLength(text, i);
    if (n == 1 || (allow_utf8 && n > 1)) {
      out.append(text.substr(i, n));
      i += n;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

class JsonWriter {
 public:
  explicit JsonWriter(bool pretty) : pretty_(pretty) {}

  void BeginObject() { BeginContainer('{'); }
  void EndObject() { EndContainer('}'); }
  void BeginArray() { BeginContainer('['); }
  void EndArray() { EndContainer(']'); }
  void Key(std::string_view key) {
    Separate();
    AppendQuoted(key);
    out_ += pretty_ ? ": " : ":";
    after_key_ = true;
  }
  // Precondition: valid UTF-8.
  void String(std::string_view text) {
    Separate();
    AppendQuoted(text);
  }
  // Precondition: `text` matches the JSON number grammar.
  void Number(std::string_view text) {
    Separate();
    out_ += text;
  }
  void Null() {
    Separate();
    out_ += "null";
  }
  std::string Take() && { return std::move(out_); }

 private:
  void Separate() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (first_.empty()) return;
    if (!first_.back()) out_ += ',';
    first_.back() = false;
    if (pretty_) Newline();
  }
  void BeginContainer(char open) {
    Separate();
    out_ += open;
    first_.push_back(true);
  }
  void EndContainer(char close) {
    const bool empty = first_.back();
    first_.pop_back();
    if (pretty_ && !empty) Newline();
    out_ += close;
  }
  void Newline() {
    out_ += '\n';
    out_.append(2 * first_.size(), ' ');
  }
  void AppendQuoted(std::string_view text) {
    static constexpr char kHex[] = "0123456789abcdef";
    out_ += '"';
    for (char c : text) {
      const auto u = static_cast<std::uint8_t>(c);
      switch (c) {
        case '"':
          out_ += "\\\"";
          break;
        case '\\':
          out_ += "\\\\";
          break;
        case '\b':
          out_ += "\\b";
          break;
        case '\f':
          out_ += "\\f";
          break;
        case '\n':
          out_ += "\\n";
          break;
        case '\r':
          out_ += "\\r";
          break;
        case '\t':
          out_ += "\\t";
          break;
        default:
          if (u < 0x20 || u == 0x7F) {
            out_ += "\\u00";
            out_ += kHex[u >> 4];
            out_ += kHex[u & 15];
          } else {
            out_ += c;
          }
      }
    }
    out_ += '"';
  }

  bool pretty_;
  bool after_key_ = false;
  std::vector<bool> first_;  // per open container: no member written yet
  std::string out_;
};

// The character set in force for one data set level. A set we cannot use is only an error
// when a value actually needs it (not ASCII).
struct TextContext {
  std::optional<CharacterSet> charset;
  Status charset_error;
};

std::uint16_t LoadU16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>(p[0] | (p[1] << 8));
}
std::uint32_t LoadU32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8) |
         (static_cast<std::uint32_t>(p[2]) << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}
std::uint64_t LoadU64(const std::uint8_t* p) {
  return static_cast<std::uint64_t>(LoadU32(p)) |
         (static_cast<std::uint64_t>(LoadU32(p + 4)) << 32);
}

// Binary VRs and the numeric VRs whose value arrays can be large (PS3.18 F.2.7): every binary
// VR but AT.
bool MayBeBulkData(Vr vr) { return IsBinary(vr) && vr != Vr::kAT; }

class Encoder {
 public:
  explicit Encoder(const JsonEncodeOptions& options) : options_(options), writer_(options.pretty) {}

  Status EncodeTop(const DataSet& dataset) {
    TextContext root;
    SetCharset(dataset, root);
    writer_.BeginObject();
    BASTION_RETURN_IF_ERROR(EncodeMembers(dataset, root));
    writer_.EndObject();
    return Status::Ok();
  }

  std::string Take() && { return std::move(writer_).Take(); }

 private:
  using PathStep = json_internal::PathStep;

  static void SetCharset(const DataSet& dataset, TextContext& context) {
    auto charset = CharacterSet::FromDataSet(dataset);
    if (charset.ok()) {
      context.charset = std::move(charset).value();
      context.charset_error = Status::Ok();
    } else {
      context.charset.reset();
      context.charset_error = charset.status();
    }
  }

  // "00081140[0].00081150", for error messages.
  std::string ErrorPath() const { return json_internal::FormatPath(path_, ".", "[", "]"); }
  // "00081140/0/00081150", for the BulkDataURI callback.
  std::string UriPath() const { return json_internal::FormatPath(path_, "/", "/", ""); }
  Status Error(std::string what) const { return Status::Malformed(ErrorPath() + ": " + what); }

  Status EncodeMembers(const DataSet& dataset, const TextContext& context) {
    if (path_.size() >= kMaxEncodeDepth) {
      return Status::LimitExceeded(ErrorPath() + ": sequences nested deeper than " +
                                   std::to_string(kMaxEncodeDepth));
    }
    for (const Element& element : dataset.elements()) {
      if (element.tag.is_group_length()) continue;  // PS3.18 F.2.2
      path_.push_back({element.tag, 0});
      Status status = EncodeElement(element, context);
      path_.pop_back();
      BASTION_RETURN_IF_ERROR(status);
    }
    return Status::Ok();
  }

  Status EncodeElement(const Element& element, const TextContext& context) {
    writer_.Key(element.tag.ToHex());
    writer_.BeginObject();
    writer_.Key("vr");
    writer_.String(VrName(element.vr));
    if (!element.bulk_data_uri.empty()) {
      BASTION_RETURN_IF_ERROR(WriteBulkDataUri(element.bulk_data_uri));
    } else if (element.encapsulated) {
      std::optional<std::string> uri;
      if (options_.bulk_data_uri) uri = options_.bulk_data_uri(UriPath(), element);
      if (!uri) {
        return Status::Unsupported(
            ErrorPath() +
            ": encapsulated pixel data has no DICOM JSON form but a BulkDataURI (PS3.18 "
            "F.2.7); set JsonEncodeOptions::bulk_data_uri");
      }
      BASTION_RETURN_IF_ERROR(WriteBulkDataUri(*uri));
    } else if (element.vr == Vr::kSQ) {
      BASTION_RETURN_IF_ERROR(EncodeSequence(element, context));
    } else {
      std::optional<std::string> uri;
      if (MayBeBulkData(element.vr) && options_.bulk_data_uri &&
          element.value.size() >= options_.bulk_data_threshold && element.value.size() > 0) {
        uri = options_.bulk_data_uri(UriPath(), element);
      }
      if (uri) {
        BASTION_RETURN_IF_ERROR(WriteBulkDataUri(*uri));
      } else {
        BASTION_RETURN_IF_ERROR(EncodeValue(element, context));
      }
    }
    writer_.EndObject();
    return Status::Ok();
  }

  Status WriteBulkDataUri(const std::string& uri) {
    if (!IsValidUtf8(uri)) return Status::Internal(ErrorPath() + ": BulkDataURI is not UTF-8");
    writer_.Key("BulkDataURI");
    writer_.String(uri);
    return Status::Ok();
  }

  Status EncodeSequence(const Element& element, const TextContext& context) {
    if (element.items.empty()) return Status::Ok();  // F.2.5: no "Value"
    writer_.Key("Value");
    writer_.BeginArray();
    for (std::size_t i = 0; i < element.items.size(); ++i) {
      const DataSet& item = element.items[i];
      path_.back().item = i;
      writer_.BeginObject();
      if (item.Contains(tags::kSpecificCharacterSet)) {
        TextContext own;
        SetCharset(item, own);
        BASTION_RETURN_IF_ERROR(EncodeMembers(item, own));
      } else {
        BASTION_RETURN_IF_ERROR(EncodeMembers(item, context));
      }
      writer_.EndObject();
    }
    writer_.EndArray();
    return Status::Ok();
  }

  Status EncodeValue(const Element& element, const TextContext& context) {
    auto bytes = element.value.view();
    if (bytes.size() != element.value.size()) {
      return Status::Internal(ErrorPath() + ": value bytes are not available");
    }
    if (bytes.empty()) return Status::Ok();  // F.2.5: no "Value"
    if (json_internal::IsInlineBinaryVr(element.vr)) {
      writer_.Key("InlineBinary");
      writer_.String(Base64Encode(bytes));
      return Status::Ok();
    }
    if (IsString(element.vr)) return EncodeText(element, bytes, context);
    return EncodeBinaryNumbers(element.vr, bytes);
  }

  Status EncodeBinaryNumbers(Vr vr, std::span<const std::uint8_t> bytes) {
    const std::size_t width = vr == Vr::kAT ? 4 : static_cast<std::size_t>(SwapWidth(vr));
    if (width == 0) return Status::Internal(ErrorPath() + ": no JSON form for VR");
    if (bytes.size() % width != 0) {
      if (!options_.lenient_values) {
        return Error("value length " + std::to_string(bytes.size()) + " is not a multiple of " +
                     std::to_string(width) + " for " + std::string(VrName(vr)));
      }
      bytes = bytes.first(bytes.size() - bytes.size() % width);
      if (bytes.empty()) return Status::Ok();
    }
    writer_.Key("Value");
    writer_.BeginArray();
    for (std::size_t i = 0; i < bytes.size(); i += width) {
      const std::uint8_t* p = bytes.data() + i;
      switch (vr) {
        case Vr::kAT:
          writer_.String(Tag(LoadU16(p), LoadU16(p + 2)).ToHex());
          break;
        case Vr::kUS:
          writer_.Number(std::to_string(LoadU16(p)));
          break;
        case Vr::kSS:
          writer_.Number(std::to_string(static_cast<std::int16_t>(LoadU16(p))));
          break;
        case Vr::kUL:
          writer_.Number(std::to_string(LoadU32(p)));
          break;
        case Vr::kSL:
          writer_.Number(std::to_string(static_cast<std::int32_t>(LoadU32(p))));
          break;
        case Vr::kSV: {
          const auto v = static_cast<std::int64_t>(LoadU64(p));
          if (v >= -kMaxSafeInteger && v <= kMaxSafeInteger) {
            writer_.Number(std::to_string(v));
          } else {
            writer_.String(std::to_string(v));  // F.2.3: beyond 2^53 as a string
          }
          break;
        }
        case Vr::kUV: {
          const std::uint64_t v = LoadU64(p);
          if (v <= static_cast<std::uint64_t>(kMaxSafeInteger)) {
            writer_.Number(std::to_string(v));
          } else {
            writer_.String(std::to_string(v));
          }
          break;
        }
        case Vr::kFL: {
          float v = 0;
          std::memcpy(&v, p, sizeof v);
          BASTION_RETURN_IF_ERROR(WriteFloating(static_cast<double>(v), FormatFloat(v)));
          break;
        }
        case Vr::kFD: {
          double v = 0;
          std::memcpy(&v, p, sizeof v);
          BASTION_RETURN_IF_ERROR(WriteFloating(v, std::isfinite(v) ? FormatDouble(v) : ""));
          break;
        }
        default:
          return Status::Internal(ErrorPath() + ": no JSON form for VR " + std::string(VrName(vr)));
      }
    }
    writer_.EndArray();
    return Status::Ok();
  }

  Status WriteFloating(double value, const std::string& text) {
    if (std::isfinite(value)) {
      writer_.Number(text);
      return Status::Ok();
    }
    if (!options_.lenient_values) {
      return Error(std::string(std::isnan(value) ? "NaN" : "an infinity") +
                   " has no DICOM JSON representation");
    }
    writer_.String(std::isnan(value) ? "NaN" : (value > 0 ? "Infinity" : "-Infinity"));
    return Status::Ok();
  }

  // The value as UTF-8: decoded through the character set for the VRs it affects, checked to
  // be ASCII for the others.
  Result<std::string> TextOf(Vr vr, std::span<const std::uint8_t> bytes,
                             const TextContext& context) {
    std::string_view raw(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    // ESC starts an ISO 2022 code extension: only the character set can interpret it.
    if (IsAscii(raw) &&
        (!UsesSpecificCharacterSet(vr) || raw.find('\x1B') == std::string_view::npos)) {
      return std::string(raw);
    }
    if (!UsesSpecificCharacterSet(vr)) {
      if (options_.lenient_values) return ReplaceInvalid(raw, /*allow_utf8=*/false);
      return Error("non-ASCII byte in a " + std::string(VrName(vr)) +
                   " value (default character repertoire only, PS3.5 6.1.2.3)");
    }
    Status failure;
    if (context.charset) {
      auto decoded = context.charset->Decode(bytes, vr);
      if (decoded.ok()) {
        if (IsValidUtf8(*decoded)) return std::move(decoded).value();
        failure = Status::Internal("character set decoder produced invalid UTF-8");
      } else {
        failure = decoded.status();
      }
    } else {
      failure = context.charset_error;
    }
    if (options_.lenient_values) return ReplaceInvalid(raw, /*allow_utf8=*/true);
    return failure.WithContext(ErrorPath());
  }

  Status EncodeText(const Element& element, std::span<const std::uint8_t> bytes,
                    const TextContext& context) {
    const Vr vr = element.vr;
    BASTION_ASSIGN_OR_RETURN(std::string text, TextOf(vr, bytes, context));
    if (TrimTrailingPadding(text).empty()) return Status::Ok();  // F.2.5: no "Value"
    std::vector<std::string> values = SplitStringValues(text, vr);
    writer_.Key("Value");
    writer_.BeginArray();
    for (const std::string& value : values) {
      if (value.empty()) {
        writer_.Null();  // F.2.5: an empty value among several
        continue;
      }
      switch (vr) {
        case Vr::kPN:
          BASTION_RETURN_IF_ERROR(WritePersonName(value));
          break;
        case Vr::kIS: {
          auto number = json_internal::ParseIntegerString(value);
          if (number) {
            writer_.Number(std::to_string(*number));
          } else {
            BASTION_RETURN_IF_ERROR(WriteInvalidNumber(value, "IS"));
          }
          break;
        }
        case Vr::kDS: {
          auto number = json_internal::ParseDecimalString(value);
          if (!number) {
            BASTION_RETURN_IF_ERROR(WriteInvalidNumber(value, "DS"));
          } else if (json_internal::IsJsonNumber(value)) {
            writer_.Number(value);  // keeps the original digits
          } else {
            writer_.Number(FormatDouble(*number));
          }
          break;
        }
        default:
          writer_.String(value);
      }
    }
    writer_.EndArray();
    return Status::Ok();
  }

  Status WriteInvalidNumber(const std::string& value, std::string_view vr) {
    if (!options_.lenient_values) {
      return Error("value is not a valid " + std::string(vr) +
                   (vr == "IS" ? " (an integer in [-2^31, 2^31-1])" : " (a finite decimal)"));
    }
    writer_.String(value);
    return Status::Ok();
  }

  Status WritePersonName(const std::string& value) {
    std::string_view groups[3];
    std::size_t count = 0;
    std::string_view rest = value;
    while (true) {
      std::size_t pos = rest.find('=');
      if (count == 3) {
        if (!options_.lenient_values) {
          return Error("person name has more than three component groups");
        }
        break;
      }
      groups[count++] = rest.substr(0, pos);
      if (pos == std::string_view::npos) break;
      rest.remove_prefix(pos + 1);
    }
    writer_.BeginObject();
    for (std::size_t g = 0; g < count; ++g) {
      if (groups[g].empty()) continue;  // F.2.2: only non-empty groups
      writer_.Key(kPnGroupNames[g]);
      writer_.String(groups[g]);
    }
    writer_.EndObject();
    return Status::Ok();
  }

  const JsonEncodeOptions& options_;
  JsonWriter writer_;
  std::vector<PathStep> path_;
};

}  // namespace

Result<std::string> EncodeJson(const DataSet& dataset, const JsonEncodeOptions& options) {
  Encoder encoder(options);
  BASTION_RETURN_IF_ERROR(encoder.EncodeTop(dataset));
  return std::move(encoder).Take();
}

}  // namespace bastion::dicom
