#include "web/http/query_string.h"

#include <algorithm>

namespace bastion::web::http {

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 3986 3.3: pchar = unreserved / pct-encoded / sub-delims / ":" / "@" ('%' is checked by
// PercentDecode).
constexpr std::string_view kPathSymbols = "-._~!$&'()*+,;=:@%";

bool IsPathChar(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return kPathSymbols.find(c) != std::string_view::npos;
}

// Printable ASCII but '#' (see the header for why the query is looser than RFC 3986).
bool IsQueryChar(char ch) {
  const auto c = static_cast<unsigned char>(ch);
  return c >= 0x21 && c <= 0x7E && c != '#';
}

std::string At(std::size_t pos) { return " at offset " + std::to_string(pos); }

Status CheckSegment(std::string_view raw, std::size_t offset, const TargetLimits& limits,
                    std::string& decoded) {
  if (raw.size() > limits.max_segment_length) {
    return Status::LimitExceeded("path segment longer than " +
                                 std::to_string(limits.max_segment_length) + " bytes" + At(offset));
  }
  if (raw.empty()) return Status::Malformed("empty path segment" + At(offset));
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (!IsPathChar(raw[i])) {
      return Status::Malformed("character not allowed in a path segment" + At(offset + i));
    }
  }
  Result<std::string> d = PercentDecode(raw, /*plus_is_space=*/false);
  if (!d.ok()) return d.status().WithContext("path segment" + At(offset));
  decoded = std::move(d).value();
  if (decoded == "." || decoded == "..") {
    return Status::Malformed("dot segment ('.' or '..') in the path" + At(offset));
  }
  if (decoded.find_first_of(std::string_view("/\\", 2)) != std::string::npos) {
    return Status::Malformed("encoded '/' or '\\' inside a path segment" + At(offset));
  }
  return Status::Ok();
}

}  // namespace

Result<std::string> PercentDecode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) {
        return Status::Malformed("truncated percent-encoding" + At(i));
      }
      const int hi = HexValue(text[i + 1]);
      const int lo = HexValue(text[i + 2]);
      if (hi < 0 || lo < 0) return Status::Malformed("invalid percent-encoding" + At(i));
      const auto byte = static_cast<char>(hi * 16 + lo);
      if (byte == '\0') return Status::Malformed("percent-encoded NUL" + At(i));
      out += byte;
      i += 2;
    } else if (c == '\0') {
      return Status::Malformed("NUL byte" + At(i));
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

Result<Target> ParseTarget(std::string_view request_target, const TargetLimits& limits) {
  if (request_target.size() > limits.max_target_length) {
    return Status::LimitExceeded("request target longer than " +
                                 std::to_string(limits.max_target_length) + " bytes");
  }
  if (request_target.empty()) return Status::Malformed("empty request target");
  if (request_target == "*") {
    return Status::Malformed("asterisk-form request target is not accepted");
  }
  if (request_target.front() != '/') {
    return Status::Malformed("request target must be origin-form (an absolute path)");
  }
  if (request_target.find('#') != std::string_view::npos) {
    return Status::Malformed("request target carries a fragment ('#')");
  }

  const std::size_t question = request_target.find('?');
  const std::string_view path = request_target.substr(0, question);
  const std::string_view query =
      question == std::string_view::npos ? std::string_view() : request_target.substr(question + 1);

  Target target;

  // Path: "/" segment *( "/" segment ), one trailing empty segment allowed and dropped.
  std::string_view rest = path.substr(1);
  if (!rest.empty() && rest.back() == '/') {
    rest.remove_suffix(1);
    if (rest.empty()) return Status::Malformed("empty path segment" + At(1));  // "//"
  }
  if (!rest.empty()) {
    const auto count = static_cast<std::size_t>(std::count(rest.begin(), rest.end(), '/')) + 1;
    if (count > limits.max_segments) {
      return Status::LimitExceeded("more than " + std::to_string(limits.max_segments) +
                                   " path segments");
    }
    target.segments.reserve(count);
    std::size_t start = 0;
    while (true) {
      const std::size_t slash = rest.find('/', start);
      const std::string_view raw = rest.substr(
          start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
      std::string decoded;
      BASTION_RETURN_IF_ERROR(CheckSegment(raw, 1 + start, limits, decoded));
      target.segments.push_back(std::move(decoded));
      if (slash == std::string_view::npos) break;
      start = slash + 1;
    }
  }

  // Query: pairs separated by '&', name and value split at the first '='.
  for (std::size_t i = 0; i < query.size(); ++i) {
    if (!IsQueryChar(query[i])) {
      return Status::Malformed("character not allowed in the query" + At(question + 1 + i));
    }
  }
  for (std::size_t start = 0; !query.empty();) {
    const std::size_t amp = query.find('&', start);
    const std::size_t end = amp == std::string_view::npos ? query.size() : amp;
    const std::string_view pair = query.substr(start, end - start);
    const std::size_t offset = question + 1 + start;
    if (!pair.empty()) {
      if (target.query.size() + 1 > limits.max_query_parameters) {
        return Status::LimitExceeded("more than " + std::to_string(limits.max_query_parameters) +
                                     " query parameters");
      }
      const std::size_t eq = pair.find('=');
      const std::string_view raw_name = pair.substr(0, eq);
      const std::string_view raw_value =
          eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
      if (raw_name.empty()) return Status::Malformed("query parameter without a name" + At(offset));
      Result<std::string> name = PercentDecode(raw_name, /*plus_is_space=*/true);
      if (!name.ok()) return name.status().WithContext("query parameter name" + At(offset));
      Result<std::string> value = PercentDecode(raw_value, /*plus_is_space=*/true);
      if (!value.ok()) return value.status().WithContext("query parameter value" + At(offset));
      target.query.emplace_back(std::move(name).value(), std::move(value).value());
    }
    if (amp == std::string_view::npos) break;
    start = amp + 1;
  }
  return target;
}

}  // namespace bastion::web::http
