#include "web/http/https_redirect.h"

#include <algorithm>

namespace bastion::web::http {

namespace {

bool IsRegNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.';
}

bool IsIpv6LiteralChar(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' ||
         c == '.';
}

bool AllDigits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The path of an origin-form target, without its query; "/" when it is not origin-form.
std::string_view PathOf(std::string_view target) {
  if (target.empty() || target.front() != '/') return "/";
  return target.substr(0, std::min(target.find('?'), target.find('#')));
}

}  // namespace

std::optional<std::string> HostOfHostHeader(std::string_view value) {
  constexpr std::size_t kMaxHostLength = 253;  // RFC 1035 2.3.4, the longest DNS name
  std::string_view host = value;
  std::string_view port;
  if (!host.empty() && host.front() == '[') {
    const std::size_t close = host.find(']');
    if (close == std::string_view::npos || close < 2) return std::nullopt;
    port = host.substr(close + 1);
    host = host.substr(0, close + 1);
    if (!std::all_of(host.begin() + 1, host.end() - 1, IsIpv6LiteralChar)) return std::nullopt;
    if (!port.empty() && port.front() != ':') return std::nullopt;
  } else {
    const std::size_t colon = host.find(':');
    if (colon != std::string_view::npos) {
      port = host.substr(colon);
      host = host.substr(0, colon);
    }
    if (host.empty() || !std::all_of(host.begin(), host.end(), IsRegNameChar)) return std::nullopt;
  }
  if (!port.empty() && !AllDigits(port.substr(1))) return std::nullopt;
  if (host.size() > kMaxHostLength) return std::nullopt;
  return std::string(host);
}

HttpsRedirect::HttpsRedirect(std::string public_url, std::uint16_t https_port)
    : public_url_(std::move(public_url)), https_port_(https_port) {
  while (!public_url_.empty() && public_url_.back() == '/') public_url_.pop_back();
}

std::optional<std::string> HttpsRedirect::LocationFor(const RequestHead& head) const {
  const std::string_view path = PathOf(head.target);
  if (!public_url_.empty()) return public_url_ + std::string(path);
  const std::optional<std::string_view> host_header = FindHeader(head.headers, "host");
  if (!host_header) return std::nullopt;
  std::optional<std::string> host = HostOfHostHeader(*host_header);
  if (!host) return std::nullopt;
  std::string location = "https://" + *host;
  if (https_port_ != 443) location += ":" + std::to_string(https_port_);
  return location + std::string(path);
}

Dispatch HttpsRedirect::Begin(const RequestHead& head) {
  std::optional<std::string> location = LocationFor(head);
  if (!location) {
    Response refused =
        TextResponse(400, "text/plain; charset=utf-8",
                     "This port only redirects to HTTPS, and the request's Host header is missing "
                     "or not a host name. Use https:// and the server's HTTPS port.\n");
    refused.close = true;
    return {std::move(refused), nullptr};
  }
  Response response = TextResponse(308, "text/plain; charset=utf-8",
                                   "Bastion serves only over HTTPS: " + *location + "\n");
  response.headers.emplace_back("location", std::move(*location));
  response.close = true;
  return {std::move(response), nullptr};
}

Response HttpsRedirect::ErrorResponse(const Status& status, unsigned http_status) {
  const unsigned code = http_status != 0 ? http_status : HttpStatusFor(status);
  Response response = TextResponse(code, "text/plain; charset=utf-8",
                                   "This port only redirects to HTTPS: " + status.message() + "\n");
  response.close = true;
  return response;
}

}  // namespace bastion::web::http
