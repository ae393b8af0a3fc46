// Helpers shared by the DICOM JSON encoder and decoder; see json_internal.h.
#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>

#include "dicom/json_internal.h"

namespace bastion::dicom::json_internal {

namespace {

constexpr std::string_view kBase64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<std::int8_t, 256> MakeBase64Table() {
  std::array<std::int8_t, 256> table{};
  for (auto& entry : table) entry = -1;
  for (std::size_t i = 0; i < kBase64Alphabet.size(); ++i) {
    table[static_cast<std::uint8_t>(kBase64Alphabet[i])] = static_cast<std::int8_t>(i);
  }
  return table;
}

constexpr std::array<std::int8_t, 256> kBase64Table = MakeBase64Table();

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Consumes a run of digits starting at `i`; returns how many there were.
std::size_t SkipDigits(std::string_view text, std::size_t& i) {
  std::size_t start = i;
  while (i < text.size() && IsDigit(text[i])) ++i;
  return i - start;
}

}  // namespace

std::string FormatPath(std::span<const PathStep> path, std::string_view separator,
                       std::string_view item_open, std::string_view item_close) {
  std::string out;
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (i > 0) out += separator;
    out += path[i].tag.ToHex();
    if (i + 1 < path.size()) {
      out += item_open;
      out += std::to_string(path[i].item);
      out += item_close;
    }
  }
  return out;
}

std::string Base64Encode(std::span<const std::uint8_t> bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    std::uint32_t n = (std::uint32_t{bytes[i]} << 16) | (std::uint32_t{bytes[i + 1]} << 8) |
                      std::uint32_t{bytes[i + 2]};
    out += kBase64Alphabet[(n >> 18) & 63];
    out += kBase64Alphabet[(n >> 12) & 63];
    out += kBase64Alphabet[(n >> 6) & 63];
    out += kBase64Alphabet[n & 63];
  }
  std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    std::uint32_t n = std::uint32_t{bytes[i]} << 16;
    if (rest == 2) n |= std::uint32_t{bytes[i + 1]} << 8;
    out += kBase64Alphabet[(n >> 18) & 63];
    out += kBase64Alphabet[(n >> 12) & 63];
    out += rest == 2 ? kBase64Alphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

Result<std::vector<std::uint8_t>> Base64Decode(std::string_view text, std::uint64_t max_size) {
  if (text.size() % 4 != 0) {
    return Status::Malformed("base64 length " + std::to_string(text.size()) +
                             " is not a multiple of 4");
  }
  std::size_t padding = 0;
  if (!text.empty() && text.back() == '=') padding = text[text.size() - 2] == '=' ? 2 : 1;
  const std::uint64_t decoded_size = text.size() / 4 * 3 - padding;
  if (decoded_size > max_size) {
    return Status::LimitExceeded("InlineBinary of " + std::to_string(decoded_size) +
                                 " bytes exceeds the limit of " + std::to_string(max_size));
  }
  std::vector<std::uint8_t> out;
  out.reserve(static_cast<std::size_t>(decoded_size));
  const std::size_t data_end = text.size() - padding;
  for (std::size_t i = 0; i < text.size(); i += 4) {
    std::uint32_t n = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      const std::size_t pos = i + j;
      std::int8_t v = 0;
      if (pos < data_end) {
        v = kBase64Table[static_cast<std::uint8_t>(text[pos])];
        if (v < 0) {
          return Status::Malformed("invalid base64 character at offset " + std::to_string(pos));
        }
      }
      n = (n << 6) | static_cast<std::uint32_t>(v);
    }
    const std::size_t bytes_here = i + 4 <= data_end ? 3 : 3 - padding;
    // Bits the padding hides must be zero, so each byte string has exactly one encoding.
    if (bytes_here == 2 && (n & 0xFF) != 0) {
      return Status::Malformed("non-zero padding bits in base64 at offset " + std::to_string(i));
    }
    if (bytes_here == 1 && (n & 0xFFFF) != 0) {
      return Status::Malformed("non-zero padding bits in base64 at offset " + std::to_string(i));
    }
    out.push_back(static_cast<std::uint8_t>(n >> 16));
    if (bytes_here >= 2) out.push_back(static_cast<std::uint8_t>(n >> 8));
    if (bytes_here == 3) out.push_back(static_cast<std::uint8_t>(n));
  }
  return out;
}

std::optional<std::int64_t> ParseIntegerString(std::string_view text) {
  std::size_t i = 0;
  bool negative = false;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) negative = text[i++] == '-';
  const std::size_t digits_start = i;
  if (SkipDigits(text, i) == 0 || i != text.size()) return std::nullopt;
  // At most 12 characters (PS3.5), so the digits fit an int64 without overflow checks.
  if (text.size() - digits_start > 12) return std::nullopt;
  std::int64_t value = 0;
  for (std::size_t k = digits_start; k < text.size(); ++k) value = value * 10 + (text[k] - '0');
  if (negative) value = -value;
  if (value < std::numeric_limits<std::int32_t>::min() ||
      value > std::numeric_limits<std::int32_t>::max()) {
    return std::nullopt;
  }
  return value;
}

std::optional<double> ParseDecimalString(std::string_view text) {
  // [+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)?
  std::size_t i = 0;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
  std::size_t mantissa_digits = SkipDigits(text, i);
  if (i < text.size() && text[i] == '.') {
    ++i;
    mantissa_digits += SkipDigits(text, i);
  }
  if (mantissa_digits == 0) return std::nullopt;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
    if (SkipDigits(text, i) == 0) return std::nullopt;
  }
  if (i != text.size()) return std::nullopt;
  // from_chars takes no leading '+'.
  std::string_view digits = text;
  if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);
  double value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || end != digits.data() + digits.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

bool IsJsonNumber(std::string_view text) {
  std::size_t i = 0;
  if (i < text.size() && text[i] == '-') ++i;
  if (i >= text.size()) return false;
  if (text[i] == '0') {
    ++i;
  } else if (SkipDigits(text, i) == 0) {
    return false;
  }
  if (i < text.size() && text[i] == '.') {
    ++i;
    if (SkipDigits(text, i) == 0) return false;
  }
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
    if (SkipDigits(text, i) == 0) return false;
  }
  return i == text.size();
}

std::string FormatDouble(double value) {
  if (value == 0 && std::signbit(value)) return "-0.0";
  std::array<char, 64> buffer{};
  auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  return std::string(buffer.data(), result.ptr);
}

std::string FormatFloat(float value) {
  if (value == 0 && std::signbit(value)) return "-0.0";
  std::array<char, 64> buffer{};
  auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  return std::string(buffer.data(), result.ptr);
}

std::string FormatDecimalString(double value) {
  std::string shortest = FormatDouble(value);
  if (shortest.size() <= 16) return shortest;
  // Fewer significant digits until it fits; "-1e-308" (7 characters) always does.
  std::array<char, 64> buffer{};
  for (int precision = 16; precision >= 1; --precision) {
    auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value,
                                std::chars_format::general, precision);
    std::string text(buffer.data(), result.ptr);
    if (text.size() <= 16) return text;
  }
  return "0";  // unreachable for finite values
}

bool IsInlineBinaryVr(Vr vr) {
  switch (vr) {
    case Vr::kOB:
    case Vr::kOD:
    case Vr::kOF:
    case Vr::kOL:
    case Vr::kOV:
    case Vr::kOW:
    case Vr::kUN:
      return true;
    default:
      return false;
  }
}

}  // namespace bastion::dicom::json_internal
