#include "web/http/media_type.h"

#include <cstdint>

namespace bastion::web::http {

namespace {

// RFC 9110 5.6.2: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" /
// "_" / "`" / "|" / "~" / DIGIT / ALPHA.
constexpr std::string_view kTcharSymbols = "!#$%&'*+-.^_`|~";

bool IsTchar(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return kTcharSymbols.find(c) != std::string_view::npos;
}

bool IsOws(char c) { return c == ' ' || c == '\t'; }

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string LowerCopy(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = Lower(c);
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

std::string At(std::size_t pos) { return " at offset " + std::to_string(pos); }

// Reads 1*tchar at `pos`; `what` names the expected item in the error.
Result<std::string_view> ReadToken(std::string_view text, std::size_t& pos, const char* what) {
  const std::size_t start = pos;
  while (pos < text.size() && IsTchar(text[pos])) ++pos;
  if (pos == start) {
    if (start >= text.size()) return Status::Malformed(std::string(what) + " missing at the end");
    return Status::Malformed(std::string("invalid character in ") + what + At(start));
  }
  return text.substr(start, pos - start);
}

// RFC 9110 5.6.4: quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE, with
// qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text and
// quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text ). `pos` is at the opening quote.
Result<std::string> ReadQuotedString(std::string_view text, std::size_t& pos) {
  const std::size_t start = pos;
  ++pos;
  std::string value;
  while (pos < text.size()) {
    const auto c = static_cast<unsigned char>(text[pos]);
    if (c == '"') {
      ++pos;
      return value;
    }
    if (c == '\\') {
      if (pos + 1 >= text.size()) break;
      const auto e = static_cast<unsigned char>(text[pos + 1]);
      if (e != '\t' && (e < 0x20 || e == 0x7F)) {
        return Status::Malformed("invalid escaped character in quoted-string" + At(pos + 1));
      }
      value += static_cast<char>(e);
      pos += 2;
      continue;
    }
    if (c != '\t' && (c < 0x20 || c == 0x7F)) {
      return Status::Malformed("control character in quoted-string" + At(pos));
    }
    value += static_cast<char>(c);
    ++pos;
  }
  return Status::Malformed("unterminated quoted-string starting" + At(start));
}

// RFC 9110 12.4.2: qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ).
// Returns thousandths (0..1000).
Result<unsigned> ParseQvalue(std::string_view v, std::size_t offset) {
  auto bad = [&] { return Status::Malformed("invalid weight (q)" + At(offset)); };
  if (v.empty() || (v[0] != '0' && v[0] != '1')) return bad();
  unsigned thousandths = v[0] == '1' ? 1000 : 0;
  if (v.size() == 1) return thousandths;
  if (v[1] != '.' || v.size() > 5) return bad();
  unsigned scale = 100;
  for (std::size_t i = 2; i < v.size(); ++i, scale /= 10) {
    if (v[i] < '0' || v[i] > '9') return bad();
    if (v[0] == '1' && v[i] != '0') return bad();
    thousandths += static_cast<unsigned>(v[i] - '0') * scale;
  }
  return thousandths;
}

enum class Form : std::uint8_t { kMediaType, kRange };

// Parses `type "/" subtype parameters` from `pos`. For a media type it must reach the end; for a
// range it stops before a ',' (the list separator, outside quoted-strings) and takes the "q"
// parameter out as the weight.
Status ParseOne(std::string_view text, std::size_t& pos, const MediaTypeLimits& limits, Form form,
                MediaType& out, unsigned& q_thousandths) {
  BASTION_ASSIGN_OR_RETURN(std::string_view type, ReadToken(text, pos, "media type"));
  if (pos >= text.size() || text[pos] != '/') {
    return Status::Malformed("media type without '/'" + At(pos));
  }
  ++pos;
  BASTION_ASSIGN_OR_RETURN(std::string_view subtype, ReadToken(text, pos, "media subtype"));
  out.type = LowerCopy(type);
  out.subtype = LowerCopy(subtype);
  if (form == Form::kMediaType && (out.type == "*" || out.subtype == "*")) {
    return Status::Malformed("a wildcard is allowed in a media range (Accept), not a media type");
  }
  if (form == Form::kRange && out.type == "*" && out.subtype != "*") {
    return Status::Malformed("media range '*/" + out.subtype + "' is not allowed; use '*/*'");
  }

  bool weight_seen = false;
  std::size_t count = 0;  // parameters read, the weight included
  q_thousandths = 1000;
  while (true) {
    while (pos < text.size() && IsOws(text[pos])) ++pos;
    if (pos >= text.size() || (form == Form::kRange && text[pos] == ',')) return Status::Ok();
    // media-range [ weight ]: the weight ends the range (RFC 9110 12.5.1 has no accept-ext).
    if (weight_seen) return Status::Malformed("something after the weight (q)" + At(pos));
    if (text[pos] != ';') return Status::Malformed("expected ';' or the end" + At(pos));
    ++pos;
    while (pos < text.size() && IsOws(text[pos])) ++pos;
    // parameters = *( OWS ";" OWS [ parameter ] ): an empty parameter is allowed.
    if (pos >= text.size() || text[pos] == ';' || (form == Form::kRange && text[pos] == ',')) {
      continue;
    }
    const std::size_t name_at = pos;
    BASTION_ASSIGN_OR_RETURN(std::string_view raw_name, ReadToken(text, pos, "parameter name"));
    std::string name = LowerCopy(raw_name);
    if (pos >= text.size() || text[pos] != '=') {
      return Status::Malformed("parameter '" + name + "' without '=value' (no whitespace is " +
                               "allowed around '=')" + At(pos));
    }
    ++pos;
    const std::size_t value_at = pos;
    std::string value;
    bool quoted = false;
    if (pos < text.size() && text[pos] == '"') {
      BASTION_ASSIGN_OR_RETURN(value, ReadQuotedString(text, pos));
      quoted = true;
    } else {
      // MediaTypeLimits::accept_unquoted_media_type_values: '/' may continue a token value.
      const bool slash_allowed = limits.accept_unquoted_media_type_values;
      const std::size_t start = pos;
      while (pos < text.size() && (IsTchar(text[pos]) || (slash_allowed && text[pos] == '/'))) {
        ++pos;
      }
      if (pos == start) {
        BASTION_ASSIGN_OR_RETURN(std::string_view v, ReadToken(text, pos, "parameter value"));
        value = std::string(v);
      } else {
        value = std::string(text.substr(start, pos - start));
      }
    }
    if (++count > limits.max_parameters) {
      return Status::LimitExceeded("more than " + std::to_string(limits.max_parameters) +
                                   " parameters in a media type");
    }
    if (form == Form::kRange && name == "q") {
      if (quoted) return Status::Malformed("the weight (q) cannot be quoted" + At(value_at));
      BASTION_ASSIGN_OR_RETURN(q_thousandths, ParseQvalue(value, value_at));
      weight_seen = true;
      continue;
    }
    for (const auto& [existing, unused] : out.parameters) {
      if (existing == name) {
        return Status::Malformed("parameter '" + name + "' repeated" + At(name_at));
      }
    }
    out.parameters.emplace_back(std::move(name), std::move(value));
  }
}

// Checked before any parsing, so the parser's work and copies are bounded by it.
Status CheckLength(std::string_view text, const MediaTypeLimits& limits) {
  if (text.size() > limits.max_length) {
    return Status::LimitExceeded("media type value longer than " +
                                 std::to_string(limits.max_length) + " bytes");
  }
  return Status::Ok();
}

std::string_view TrimOws(std::string_view text) {
  while (!text.empty() && IsOws(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsOws(text.back())) text.remove_suffix(1);
  return text;
}

}  // namespace

bool IsToken(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!IsTchar(c)) return false;
  }
  return true;
}

std::optional<std::string_view> MediaType::Parameter(std::string_view name) const {
  for (const auto& [n, v] : parameters) {
    if (EqualsIgnoreCase(n, name)) return std::string_view(v);
  }
  return std::nullopt;
}

std::string MediaType::Essence() const { return type + "/" + subtype; }

std::string MediaType::ToString() const {
  std::string out = Essence();
  for (const auto& [name, value] : parameters) {
    out += "; ";
    out += name;
    out += '=';
    if (IsToken(value)) {
      out += value;
      continue;
    }
    out += '"';
    for (char c : value) {
      const auto u = static_cast<unsigned char>(c);
      // A quoted-string cannot carry controls other than HTAB, escaped or not; leaving them out
      // means no value can ever end the header line it is written into.
      if (u != '\t' && (u < 0x20 || u == 0x7F)) continue;
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out;
}

Result<MediaType> ParseMediaType(std::string_view text, const MediaTypeLimits& limits) {
  BASTION_RETURN_IF_ERROR(CheckLength(text, limits));
  text = TrimOws(text);
  if (text.empty()) return Status::Malformed("empty media type");
  MediaType out;
  std::size_t pos = 0;
  unsigned unused_q = 0;
  BASTION_RETURN_IF_ERROR(ParseOne(text, pos, limits, Form::kMediaType, out, unused_q));
  return out;
}

Result<std::vector<MediaRange>> ParseAccept(std::string_view text, const MediaTypeLimits& limits) {
  BASTION_RETURN_IF_ERROR(CheckLength(text, limits));
  std::vector<MediaRange> ranges;
  std::size_t pos = 0;
  while (pos < text.size()) {
    while (pos < text.size() && IsOws(text[pos])) ++pos;
    if (pos >= text.size()) break;
    if (text[pos] == ',') {  // an empty list element
      ++pos;
      continue;
    }
    if (ranges.size() + 1 > limits.max_ranges) {
      return Status::LimitExceeded("more than " + std::to_string(limits.max_ranges) +
                                   " media ranges in Accept");
    }
    MediaRange range;
    unsigned q_thousandths = 1000;
    BASTION_RETURN_IF_ERROR(ParseOne(text, pos, limits, Form::kRange, range.media, q_thousandths));
    range.q = q_thousandths / 1000.0;
    ranges.push_back(std::move(range));
    if (pos < text.size()) ++pos;  // ParseOne stopped at ','
  }
  return ranges;
}

bool Matches(const MediaRange& range, std::string_view type, std::string_view subtype) {
  if (range.media.type == "*") return true;
  if (!EqualsIgnoreCase(range.media.type, type)) return false;
  return range.media.subtype == "*" || EqualsIgnoreCase(range.media.subtype, subtype);
}

}  // namespace bastion::web::http
