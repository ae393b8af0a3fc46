// Fetching a JWK Set from the issuer's "jwks_uri" (OpenID Connect Discovery 1.0, section 3;
// RFC 8414 2) over HTTPS: the I/O half of security/jwks_cache.h, kept here with the other
// composition code so that src/security has no sockets. The set decides which tokens are trusted,
// so the channel is held to the project's TLS client profile (net/transport/tls_context.h: TLS 1.2+
// with ECDHE and AEAD):
//   - https:// only; the server's certificate is verified against the system trust store or
//     a configured CA file, and must name the URL's host (SNI sent, X509_VERIFY_PARAM host or
//     IP checked by OpenSSL);
//   - one GET (HTTP/1.1, RFC 9110 9.3.1), no redirect followed (a 3xx is an error: the
//     configured URL must name the set itself), only 200 accepted;
//   - bounded: header and body sizes, and one deadline over connect, handshake, request and
//     response. Name resolution uses the system resolver, bounded by its own timeouts.
// Content-Type is not trusted; the body is returned as bytes for ParseJwks to parse strictly.
// Thread-safety: a JwksHttpsFetcher is immutable; Fetch() may run concurrently.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"

namespace bastion::server {

// https://HOST[:PORT]/PATH[?QUERY], as configured (jwks_url).
struct JwksUrl {
  std::string url;   // the text it was parsed from, for messages
  std::string host;  // a DNS name, an IPv4 literal or an IPv6 literal (without brackets)
  std::uint16_t port = 443;
  std::string target;  // path and query: the request-target (RFC 9112 3.2.1 origin-form)
};

// Refuses anything but an absolute https URL: other schemes (http:// would let anyone on the
// path substitute the keys), user information, fragments, spaces and control characters.
Result<JwksUrl> ParseJwksUrl(std::string_view text);

struct JwksFetchLimits {
  std::size_t max_body_bytes = 256 * 1024;  // as JwksLimits::max_bytes: a set is kilobytes
  std::size_t max_header_bytes = 16 * 1024;
  std::chrono::milliseconds timeout = std::chrono::seconds(10);  // the whole exchange
};

class JwksHttpsFetcher {
 public:
  // `ca_file`: PEM CA certificates that verify the issuer; empty: the system trust store.
  // Builds the TLS context now, so a bad CA file fails at start-up.
  static Result<JwksHttpsFetcher> Create(JwksUrl url, const std::string& ca_file,
                                         JwksFetchLimits limits = {});

  // The body of a 200 response; Unavailable (unreachable, timeout, TLS or certificate
  // failure, a status other than 200) or LimitExceeded, with the URL and the reason.
  Result<std::string> Fetch() const;

  const JwksUrl& url() const;

  struct Impl;

 private:
  explicit JwksHttpsFetcher(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

}  // namespace bastion::server
