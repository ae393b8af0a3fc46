#include "dicom/dump.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "dicom/charset.h"
#include "dicom/dictionary.h"

namespace bastion::dicom {
namespace {

constexpr std::size_t kValueColumn = 52;

std::string Keyword(Tag tag) {
  if (tag.is_private_creator()) return "PrivateCreator";
  if (tag.is_private()) return "PrivateTag";
  const DictionaryEntry* entry = LookupTag(tag);
  if (entry == nullptr) return "UnknownTag";
  return std::string(entry->keyword);
}

std::size_t Utf8Length(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

// Cuts `s` to at most `max` code points.
std::string TruncateUtf8(const std::string& s, std::size_t max, bool& truncated) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      if (count == max) {
        truncated = true;
        return s.substr(0, i);
      }
      ++count;
    }
  }
  return s;
}

template <typename T>
T LoadLe(const std::uint8_t* p) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i) v |= static_cast<std::uint64_t>(p[i]) << (8 * i);
  T out;
  if constexpr (sizeof(T) == 8) {
    std::memcpy(&out, &v, 8);
  } else if constexpr (sizeof(T) == 4) {
    auto v32 = static_cast<std::uint32_t>(v);
    std::memcpy(&out, &v32, 4);
  } else if constexpr (sizeof(T) == 2) {
    auto v16 = static_cast<std::uint16_t>(v);
    std::memcpy(&out, &v16, 2);
  }
  return out;
}

std::string FormatBinary(const Element& e, const DumpOptions& options, std::size_t& vm) {
  auto b = e.value.view();
  std::string out;
  char buf[64];
  auto join = [&](std::size_t width, auto format_one) {
    vm = width == 0 ? 0 : b.size() / width;
    for (std::size_t i = 0; i < vm; ++i) {
      if (i == options.max_binary_values) {
        out += "\\...";
        break;
      }
      if (i > 0) out += '\\';
      format_one(b.data() + i * width);
    }
  };
  switch (e.vr) {
    case Vr::kUS:
      join(2, [&](const std::uint8_t* p) { out += std::to_string(LoadLe<std::uint16_t>(p)); });
      break;
    case Vr::kSS:
      join(2, [&](const std::uint8_t* p) { out += std::to_string(LoadLe<std::int16_t>(p)); });
      break;
    case Vr::kUL:
      join(4, [&](const std::uint8_t* p) { out += std::to_string(LoadLe<std::uint32_t>(p)); });
      break;
    case Vr::kSL:
      join(4, [&](const std::uint8_t* p) { out += std::to_string(LoadLe<std::int32_t>(p)); });
      break;
    case Vr::kUV:
      join(8, [&](const std::uint8_t* p) { out += std::to_string(LoadLe<std::uint64_t>(p)); });
      break;
    case Vr::kSV:
      join(8, [&](const std::uint8_t* p) { out += std::to_string(LoadLe<std::int64_t>(p)); });
      break;
    case Vr::kFL:
      join(4, [&](const std::uint8_t* p) {
        std::snprintf(buf, sizeof buf, "%g", static_cast<double>(LoadLe<float>(p)));
        out += buf;
      });
      break;
    case Vr::kFD:
      join(8, [&](const std::uint8_t* p) {
        std::snprintf(buf, sizeof buf, "%.17g", LoadLe<double>(p));
        out += buf;
      });
      break;
    case Vr::kAT:
      join(4, [&](const std::uint8_t* p) {
        out += Tag(LoadLe<std::uint16_t>(p), LoadLe<std::uint16_t>(p + 2)).ToString();
      });
      break;
    case Vr::kOW:
      join(2, [&](const std::uint8_t* p) {
        std::snprintf(buf, sizeof buf, "%04x", LoadLe<std::uint16_t>(p));
        out += buf;
      });
      vm = 1;
      break;
    case Vr::kOF:
    case Vr::kOL:
      join(4, [&](const std::uint8_t* p) {
        std::snprintf(buf, sizeof buf, "%08x", LoadLe<std::uint32_t>(p));
        out += buf;
      });
      vm = 1;
      break;
    case Vr::kOD:
    case Vr::kOV:
      join(8, [&](const std::uint8_t* p) {
        std::snprintf(buf, sizeof buf, "%016" PRIx64, LoadLe<std::uint64_t>(p));
        out += buf;
      });
      vm = 1;
      break;
    default:  // OB, UN
      join(1, [&](const std::uint8_t* p) {
        std::snprintf(buf, sizeof buf, "%02x", *p);
        out += buf;
      });
      vm = 1;
      break;
  }
  if (b.empty()) {
    vm = 0;
    return "(no value available)";
  }
  return out;
}

std::string FormatString(const Element& e, const CharacterSet* charset, const DumpOptions& options,
                         std::size_t& vm) {
  auto b = e.value.view();
  std::string raw(reinterpret_cast<const char*>(b.data()), b.size());
  std::string_view trimmed = TrimTrailingPadding(raw);
  if (trimmed.empty()) {
    vm = 0;
    return "(no value available)";
  }
  vm = IsMultiValuedString(e.vr)
           ? 1 + static_cast<std::size_t>(std::count(trimmed.begin(), trimmed.end(), '\\'))
           : 1;
  std::string text(trimmed);
  std::string note;
  if (UsesSpecificCharacterSet(e.vr)) {
    if (charset == nullptr) {
      note = " (undecoded: unsupported character set)";
    } else {
      auto decoded = charset->Decode(
          std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(trimmed.data()),
                                        trimmed.size()),
          e.vr);
      if (decoded.ok()) {
        text = std::move(decoded).value();
      } else {
        note = " (undecodable: " + decoded.status().message() + ")";
      }
    }
  }
  bool truncated = false;
  text = TruncateUtf8(text, options.max_value_chars, truncated);
  return "[" + EscapeForTerminal(text) + (truncated ? "..." : "") + "]" + note;
}

void Line(std::string& out, int indent, const std::string& left, const std::string& right) {
  std::string line(static_cast<std::size_t>(indent) * 2, ' ');
  line += left;
  std::size_t width = Utf8Length(line);
  if (width < kValueColumn) line.append(kValueColumn - width, ' ');
  out += line;
  out += " # ";
  out += right;
  out += '\n';
}

std::string LengthField(std::uint64_t length) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%6" PRIu64, length);
  return buf;
}

void DumpLevel(const DataSet& ds, const CharacterSet* inherited, const DumpOptions& options,
               int indent, std::string& out) {
  // An item may carry its own Specific Character Set (PS3.5 6.1.2.2).
  std::optional<CharacterSet> own;
  const CharacterSet* charset = inherited;
  if (ds.Contains(tags::kSpecificCharacterSet)) {
    auto cs = CharacterSet::FromDataSet(ds);
    if (cs.ok()) {
      own = std::move(cs).value();
      charset = &*own;
    } else {
      out += std::string(static_cast<std::size_t>(indent) * 2, ' ') +
             "# warning: " + EscapeForTerminal(cs.status().message()) + "\n";
      charset = nullptr;
    }
  }
  for (const Element& e : ds.elements()) {
    std::string head = e.tag.ToString() + " " + std::string(VrName(e.vr)) + " ";
    if (e.vr == Vr::kSQ) {
      Line(out, indent,
           head + "(Sequence with " + std::to_string(e.items.size()) + " item" +
               (e.items.size() == 1 ? "" : "s") + ")",
           "     -, " + std::to_string(e.items.size()) + " " + Keyword(e.tag));
      for (std::size_t i = 0; i < e.items.size(); ++i) {
        Line(out, indent + 1, "(FFFE,E000) na (Item #" + std::to_string(i + 1) + ")",
             "     -, 1 Item");
        DumpLevel(e.items[i], charset, options, indent + 2, out);
      }
      continue;
    }
    if (e.encapsulated) {
      Line(out, indent,
           head + "(PixelSequence with " + std::to_string(e.fragments.size()) + " items)",
           "     -, 1 " + Keyword(e.tag));
      for (std::size_t i = 0; i < e.fragments.size(); ++i) {
        Line(out, indent + 1,
             "(FFFE,E000) pi (" + std::string(i == 0 ? "Basic Offset Table" : "fragment") + ", " +
                 std::to_string(e.fragments[i].size()) + " bytes)",
             LengthField(e.fragments[i].size()) + ", 1 Item");
      }
      continue;
    }
    std::size_t vm = 0;
    std::string value;
    if (!e.bulk_data_uri.empty() && e.value.size() == 0) {
      value = "(BulkDataURI " + EscapeForTerminal(e.bulk_data_uri) + ")";
    } else if (IsString(e.vr)) {
      value = FormatString(e, charset, options, vm);
    } else {
      value = FormatBinary(e, options, vm);
    }
    Line(out, indent, head + value,
         LengthField(e.length()) + ", " + std::to_string(vm) + " " + Keyword(e.tag));
  }
}

}  // namespace

std::string EscapeForTerminal(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  char buf[8];
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7F) {
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      out += buf;
      ++i;
      continue;
    }
    if (c < 0x80) {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    // Copy a well-formed UTF-8 sequence whole; escape anything else byte by byte.
    std::size_t n = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    bool ok = n > 0 && i + n <= s.size() && !(c == 0xC0 || c == 0xC1 || c > 0xF4);
    for (std::size_t k = 1; ok && k < n; ++k) {
      ok = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
    }
    // C1 control characters (U+0080..U+009F) are terminal escapes too.
    if (ok && n == 2 && c == 0xC2 && static_cast<unsigned char>(s[i + 1]) < 0xA0) ok = false;
    if (!ok) {
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      out += buf;
      ++i;
      continue;
    }
    out.append(s.substr(i, n));
    i += n;
  }
  return out;
}

void DumpDataSet(const DataSet& dataset, const DumpOptions& options, std::string& out) {
  CharacterSet ascii;
  DumpLevel(dataset, &ascii, options, 0, out);
}

std::string DumpPart10(const Part10File& file, const DumpOptions& options) {
  std::string out;
  if (file.has_preamble) {
    out += "# Preamble: " + DescribePreamble(file.preamble) + "\n";
  } else {
    out += "# Preamble: none (not a Part 10 file)\n";
  }
  if (!file.meta.empty()) {
    out += "# File Meta Information\n";
    DumpDataSet(file.meta, options, out);
  }
  out += "# Data set, " + std::string(file.transfer_syntax.name) + " (" +
         std::string(file.transfer_syntax.uid) + ")\n";
  DumpDataSet(file.dataset, options, out);
  for (const std::string& w : file.warnings) out += "# warning: " + EscapeForTerminal(w) + "\n";
  return out;
}

}  // namespace bastion::dicom
