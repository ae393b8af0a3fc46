#include "web/http/multipart.h"

#include <openssl/rand.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "base/hex.h"

namespace bastion::web::http {

namespace {

// RFC 2046 5.1.1 allows 70 characters; MultipartLimits::max_boundary_length may tolerate more,
// up to this (the delimiter search table holds shifts in a byte).
constexpr std::size_t kLongestToleratedBoundary = 200;

// RFC 2046 5.1.1: bcharsnospace := DIGIT / ALPHA / "'" / "(" / ")" / "+" / "_" / "," / "-" /
// "." / "/" / ":" / "=" / "?"; bchars := bcharsnospace / " ".
constexpr std::string_view kBcharSymbols = "'()+_,-./:=? ";

bool IsBchar(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return kBcharSymbols.find(c) != std::string_view::npos;
}

bool IsOws(char c) { return c == ' ' || c == '\t'; }

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

// What a header line may carry once CTLs are left out (see PartHeader).
void AppendWithoutControls(std::string& out, std::string_view text) {
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u != '\t' && (u < 0x20 || u == 0x7F)) continue;
    out += c;
  }
}

}  // namespace

Status ValidateBoundary(std::string_view boundary, std::size_t max_length) {
  if (boundary.empty()) return Status::Malformed("empty multipart boundary");
  max_length = std::min(max_length, kLongestToleratedBoundary);
  if (boundary.size() > max_length) {
    return Status::Malformed("multipart boundary longer than " + std::to_string(max_length) +
                             " characters");
  }
  for (char c : boundary) {
    if (!IsBchar(c)) return Status::Malformed("invalid character in multipart boundary");
  }
  if (boundary.back() == ' ') return Status::Malformed("multipart boundary ends with a space");
  return Status::Ok();
}

Result<std::string> BoundaryOf(const MediaType& media_type, std::size_t max_length) {
  std::optional<std::string_view> boundary = media_type.Parameter("boundary");
  if (!boundary) return Status::Malformed("multipart media type without a boundary parameter");
  BASTION_RETURN_IF_ERROR(ValidateBoundary(*boundary, max_length));
  return std::string(*boundary);
}

std::optional<std::string_view> PartHeaders::Get(std::string_view name) const {
  for (const auto& [n, v] : fields) {
    if (EqualsIgnoreCase(n, name)) return std::string_view(v);
  }
  return std::nullopt;
}

// --- MultipartReader ---

MultipartReader::MultipartReader(std::string boundary, MultipartLimits limits, Events& events)
    : limits_(limits), events_(events) {
  error_ = ValidateBoundary(boundary, limits.max_boundary_length);
  if (!error_.ok()) return;
  delimiter_ = "\r\n--" + boundary;
  // Horspool: the shift for the byte under the window's last position is its distance from the
  // end of the pattern at its last occurrence before the final byte; absent bytes shift fully.
  const std::size_t length = delimiter_.size();
  skip_.fill(static_cast<std::uint8_t>(std::min<std::size_t>(length, 255)));
  for (std::size_t i = 0; i + 1 < length; ++i) {
    skip_[static_cast<unsigned char>(delimiter_[i])] = static_cast<std::uint8_t>(length - 1 - i);
  }
  held_ = "\r\n";
  held_.reserve(length);
  line_.reserve(256);
}

Status MultipartReader::Feed(std::span<const std::uint8_t> chunk) {
  if (!error_.ok()) return error_;
  if (state_ == State::kDone) {
    error_ = Status::Internal("multipart body fed after Finish");
    return error_;
  }
  const std::uint8_t* p = chunk.data();
  std::size_t n = chunk.size();
  while (n > 0) {
    std::size_t used = 0;
    Status status = Step(p, n, used);
    if (!status.ok()) {
      error_ = std::move(status);
      return error_;
    }
    p += used;
    n -= used;
  }
  return Status::Ok();
}

Status MultipartReader::Finish() {
  if (!error_.ok()) return error_;
  switch (state_) {
    case State::kEpilogue:
    case State::kDone:
      state_ = State::kDone;
      return Status::Ok();
    case State::kPreamble:
      error_ = Status::Malformed("multipart body without a boundary delimiter");
      break;
    case State::kBoundaryTail:
      error_ = Status::Malformed("multipart body ends inside a boundary delimiter line");
      break;
    case State::kHeaders:
      error_ = Status::Malformed("multipart body ends inside the headers of part " +
                                 std::to_string(parts_ + 1));
      break;
    case State::kData:
      error_ = Status::Malformed("multipart body ends inside the data of part " +
                                 std::to_string(parts_) + " (no close delimiter)");
      break;
  }
  return error_;
}

// One step of the state machine over p[0, n): consumes at least one byte or changes state.
Status MultipartReader::Step(const std::uint8_t* p, std::size_t n, std::size_t& used) {
  switch (state_) {
    case State::kPreamble:
    case State::kData:
      return ScanBody(p, n, used);
    case State::kBoundaryTail:
      return ConsumeTail(p, n, used);
    case State::kHeaders:
      return ConsumeHeaders(p, n, used);
    case State::kEpilogue:
      used = n;
      return CountIgnored(n);
    case State::kDone:
      break;
  }
  return Status::Internal("multipart reader stepped after Finish");
}

// Preamble or part data: everything up to the next delimiter.
Status MultipartReader::ScanBody(const std::uint8_t* p, std::size_t n, std::size_t& used) {
  const std::size_t length = delimiter_.size();
  const auto* delimiter = reinterpret_cast<const std::uint8_t*>(delimiter_.data());
  if (!held_.empty()) {
    // held_ is delimiter_[0, k): does this chunk continue it?
    const std::size_t k = held_.size();
    const std::size_t m = std::min(length - k, n);
    if (std::memcmp(p, delimiter + k, m) == 0) {
      if (k + m < length) {
        held_.append(reinterpret_cast<const char*>(p), m);
        used = m;
        return Status::Ok();
      }
      held_.clear();
      virtual_held_ = 0;
      used = m;
      state_ = State::kBoundaryTail;
      tail_ = Tail::kStart;
      padding_bytes_ = 0;
      return Status::Ok();
    }
    // Not a delimiter, so the held bytes are body. No delimiter can start inside them either:
    // a delimiter's only CR is its first byte, and held_ has no other CR.
    const std::size_t real = held_.size() - virtual_held_;
    BASTION_RETURN_IF_ERROR(
        EmitBody(reinterpret_cast<const std::uint8_t*>(held_.data()) + virtual_held_, real));
    held_.clear();
    virtual_held_ = 0;
  }

  const std::size_t at = Find(p, n);
  if (at != std::string::npos) {
    BASTION_RETURN_IF_ERROR(EmitBody(p, at));
    used = at + length;
    state_ = State::kBoundaryTail;
    tail_ = Tail::kStart;
    padding_bytes_ = 0;
    return Status::Ok();
  }
  const std::size_t keep = PartialDelimiterSuffix(p, n);
  BASTION_RETURN_IF_ERROR(EmitBody(p, n - keep));
  held_.assign(reinterpret_cast<const char*>(p) + (n - keep), keep);
  used = n;
  return Status::Ok();
}

// Boyer-Moore-Horspool over p[0, n): the offset of the first whole delimiter, or npos.
std::size_t MultipartReader::Find(const std::uint8_t* p, std::size_t n) const {
  const std::size_t length = delimiter_.size();
  if (n < length) return std::string::npos;
  const auto* delimiter = reinterpret_cast<const std::uint8_t*>(delimiter_.data());
  const std::uint8_t last = delimiter[length - 1];
  const std::size_t end = n - length;
  std::size_t i = 0;
  while (i <= end) {
    const std::uint8_t c = p[i + length - 1];
    if (c == last) {
      if (p[i] == '\r') {
        if (std::memcmp(p + i, delimiter, length - 1) == 0) return i;
      } else {
        // A delimiter starts only at a CR, so jump to the next one. Without this, a run of the
        // boundary's last character (shift 1) would cost a full step per byte.
        const void* cr = std::memchr(p + i + 1, '\r', end - i);
        if (cr == nullptr) return std::string::npos;
        i = static_cast<std::size_t>(static_cast<const std::uint8_t*>(cr) - p);
        continue;
      }
    }
    i += skip_[c];
  }
  return std::string::npos;
}

// The length of the longest suffix of p[0, n) that is a proper prefix of the delimiter. Only a
// suffix starting at the last CR within reach can be one (the delimiter has one CR, first).
std::size_t MultipartReader::PartialDelimiterSuffix(const std::uint8_t* p, std::size_t n) const {
  const std::size_t reach = std::min(n, delimiter_.size() - 1);
  for (std::size_t len = 1; len <= reach; ++len) {
    if (p[n - len] != '\r') continue;
    return std::memcmp(p + (n - len), delimiter_.data(), len) == 0 ? len : 0;
  }
  return 0;
}

Status MultipartReader::EmitBody(const std::uint8_t* p, std::size_t n) {
  if (n == 0) return Status::Ok();
  if (state_ == State::kPreamble) return CountIgnored(n);
  if (n > limits_.max_part_bytes - part_bytes_) {
    return Status::LimitExceeded("multipart part " + std::to_string(parts_) + " larger than " +
                                 std::to_string(limits_.max_part_bytes) + " bytes");
  }
  part_bytes_ += n;
  return events_.OnPartData(std::span<const std::uint8_t>(p, n));
}

Status MultipartReader::CountIgnored(std::size_t n) {
  if (n > limits_.max_preamble_bytes - ignored_bytes_) {
    return Status::LimitExceeded("multipart preamble and epilogue longer than " +
                                 std::to_string(limits_.max_preamble_bytes) + " bytes");
  }
  ignored_bytes_ += n;
  return Status::Ok();
}

// After "--boundary": "--" (close delimiter) or transport-padding CRLF.
Status MultipartReader::ConsumeTail(const std::uint8_t* p, std::size_t n, std::size_t& used) {
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = static_cast<char>(p[i]);
    switch (tail_) {
      case Tail::kStart:
        if (c == '-') {
          tail_ = Tail::kDash;
          continue;
        }
        [[fallthrough]];
      case Tail::kPadding:
        if (IsOws(c)) {
          tail_ = Tail::kPadding;
          if (++padding_bytes_ > limits_.max_part_header_bytes) {
            return Status::LimitExceeded("transport padding after a boundary longer than " +
                                         std::to_string(limits_.max_part_header_bytes) + " bytes");
          }
          continue;
        }
        if (c == '\r') {
          tail_ = Tail::kCr;
          continue;
        }
        return Status::Malformed(
            "boundary delimiter followed by something other than '--', padding or CRLF");
      case Tail::kDash:
        if (c != '-') return Status::Malformed("boundary delimiter followed by a single '-'");
        used = i + 1;
        return OnDelimiterLine(/*close=*/true);
      case Tail::kCr:
        if (c != '\n') return Status::Malformed("boundary delimiter line not ended by CRLF");
        used = i + 1;
        return OnDelimiterLine(/*close=*/false);
    }
  }
  used = n;
  return Status::Ok();
}

Status MultipartReader::OnDelimiterLine(bool close) {
  if (part_open_) {
    part_open_ = false;
    BASTION_RETURN_IF_ERROR(events_.OnPartEnd());
  }
  if (close) {
    if (parts_ == 0) return Status::Malformed("multipart body without any part");
    state_ = State::kEpilogue;
    return Status::Ok();
  }
  if (parts_ >= limits_.max_parts) {
    return Status::LimitExceeded("multipart body with more than " +
                                 std::to_string(limits_.max_parts) + " parts");
  }
  state_ = State::kHeaders;
  headers_.fields.clear();
  line_.clear();
  header_bytes_ = 0;
  return Status::Ok();
}

Status MultipartReader::ConsumeHeaders(const std::uint8_t* p, std::size_t n, std::size_t& used) {
  const void* newline = std::memchr(p, '\n', n);
  const std::size_t take =
      newline != nullptr
          ? static_cast<std::size_t>(static_cast<const std::uint8_t*>(newline) - p) + 1
          : n;
  if (take > limits_.max_part_header_bytes - header_bytes_) {
    return Status::LimitExceeded("headers of multipart part " + std::to_string(parts_ + 1) +
                                 " longer than " + std::to_string(limits_.max_part_header_bytes) +
                                 " bytes");
  }
  header_bytes_ += take;
  line_.append(reinterpret_cast<const char*>(p), take);
  used = take;
  if (newline == nullptr) return Status::Ok();
  return OnHeaderLine();
}

// line_ holds one line up to and including its LF.
Status MultipartReader::OnHeaderLine() {
  const std::string where = " in the headers of multipart part " + std::to_string(parts_ + 1);
  std::string_view line = line_;
  if (line.size() < 2 || line[line.size() - 2] != '\r') {
    return Status::Malformed("header line ended by a bare LF" + where);
  }
  line.remove_suffix(2);
  if (line.empty()) {  // the empty line: the part's data follows
    ++parts_;
    part_open_ = true;
    part_bytes_ = 0;
    state_ = State::kData;
    line_.clear();
    // The empty line's CRLF also serves as the next delimiter's when the data is empty: the
    // data, like every line of a part, must not start with the dash-boundary (RFC 2046 5.1.1).
    held_ = "\r\n";
    virtual_held_ = 2;
    return events_.OnPartBegin(headers_);
  }
  if (IsOws(line.front())) return Status::Malformed("obsolete line folding" + where);
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) return Status::Malformed("header line without ':'" + where);
  const std::string_view name = line.substr(0, colon);
  if (!IsToken(name)) return Status::Malformed("invalid header field name" + where);
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && IsOws(value.front())) value.remove_prefix(1);
  while (!value.empty() && IsOws(value.back())) value.remove_suffix(1);
  for (char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if (c != '\t' && (c < 0x20 || c == 0x7F)) {
      return Status::Malformed("control character in a header value" + where);
    }
  }
  std::string lower(name);
  for (char& c : lower) c = Lower(c);
  for (const auto& [existing, unused] : headers_.fields) {
    if (existing == lower)
      return Status::Malformed("header field '" + lower + "' repeated" + where);
  }
  if (headers_.fields.size() >= limits_.max_headers_per_part) {
    return Status::LimitExceeded("more than " + std::to_string(limits_.max_headers_per_part) +
                                 " header fields" + where);
  }
  headers_.fields.emplace_back(std::move(lower), std::string(value));
  line_.clear();
  return Status::Ok();
}

// --- Writing ---

std::string NewBoundary() {
  std::array<std::uint8_t, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    // A predictable boundary would let stored content end a part early; there is no safe
    // fallback without a working CSPRNG.
    std::abort();
  }
  return ToHex(bytes);
}

std::string PartHeader(std::string_view boundary,
                       std::span<const std::pair<std::string, std::string>> headers, bool first) {
  std::string out;
  if (!first) out += "\r\n";
  out += "--";
  AppendWithoutControls(out, boundary);
  out += "\r\n";
  for (const auto& [name, value] : headers) {
    AppendWithoutControls(out, name);
    out += ": ";
    AppendWithoutControls(out, value);
    out += "\r\n";
  }
  out += "\r\n";
  return out;
}

std::string CloseDelimiter(std::string_view boundary) {
  std::string out = "\r\n--";
  AppendWithoutControls(out, boundary);
  out += "--\r\n";
  return out;
}

std::string MultipartRelatedContentType(std::string_view boundary, std::string_view type,
                                        std::optional<std::string_view> transfer_syntax) {
  MediaType media{"multipart", "related", {}};
  media.parameters.emplace_back("type", std::string(type));
  if (transfer_syntax)
    media.parameters.emplace_back("transfer-syntax", std::string(*transfer_syntax));
  media.parameters.emplace_back("boundary", std::string(boundary));
  return media.ToString();
}

}  // namespace bastion::web::http
