// HttpsRedirect: the only thing a plaintext HTTP listener on a network address does (issue 6:
// "if enabled elsewhere it only redirects"). Every request, whatever its method, is answered
// 308 Permanent Redirect (RFC 9110 15.4.9, which keeps the method) to the same path on the HTTPS
// listener, without reading its body, and the connection is closed.
//
// The query string is dropped on purpose: a QIDO-RS query carries patient names and IDs, and
// repeating them in a Location header would send them in clear a second time. The host is the
// configured public URL's when there is one; otherwise the request's Host, accepted only when it
// is a plain host name or IP literal (RFC 3986 3.2.2), so a crafted Host cannot inject text into
// the header. No HSTS here: RFC 6797 7.2 forbids it over plain HTTP.
// Thread-safety: immutable after construction; Begin may run concurrently.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "web/http/message.h"

namespace bastion::web::http {

// The host part of a Host header value ("pacs.example.org:8080" -> "pacs.example.org",
// "[::1]:80" -> "[::1]"), or nullopt when it is not a syntactically plain host.
std::optional<std::string> HostOfHostHeader(std::string_view value);

class HttpsRedirect : public Handler {
 public:
  // `public_url`: "https://pacs.example.org:8443" or empty; `https_port`: where HTTPS listens,
  // used with the request's host when there is no public URL.
  HttpsRedirect(std::string public_url, std::uint16_t https_port);

  Dispatch Begin(const RequestHead& head) override;
  Response ErrorResponse(const Status& status, unsigned http_status = 0) override;

  // The Location for a request, or nullopt when its Host cannot be used.
  std::optional<std::string> LocationFor(const RequestHead& head) const;

 private:
  std::string public_url_;  // without a trailing '/'
  std::uint16_t https_port_;
};

}  // namespace bastion::web::http
