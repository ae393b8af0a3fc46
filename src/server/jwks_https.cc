#include "server/jwks_https.h"

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <cctype>
#include <charconv>
#include <cstdint>

#include "net/transport/tls_context.h"

namespace bastion::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using ErrorCode = boost::system::error_code;

struct JwksHttpsFetcher::Impl {
  JwksUrl url;
  JwksFetchLimits limits;
  std::shared_ptr<asio::ssl::context> tls;
};

namespace {

// Runs one asynchronous operation to completion on `ioc` (which runs nothing else), so the
// fetch reads as a sequence while every step stays under the stream's deadline.
template <typename Initiate>
ErrorCode Await(asio::io_context& ioc, Initiate&& initiate) {
  ErrorCode result = asio::error::would_block;
  initiate([&result](ErrorCode ec, auto&&...) { result = ec; });
  ioc.restart();
  ioc.run();
  return result;
}

bool IsUrlCharacter(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u > 0x20 && u < 0x7F && c != '\\' && c != '"' && c != '<' && c != '>' && c != '`' &&
         c != '{' && c != '}' && c != '|' && c != '^';
}

bool IsHostCharacter(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '.';
}

}  // namespace

Result<JwksUrl> ParseJwksUrl(std::string_view text) {
  const std::string shown(text.substr(0, 256));
  auto bad = [&](const std::string& why) {
    return Status::Malformed("jwks_url '" + shown + "': " + why);
  };
  if (text.size() > 2048) return Status::LimitExceeded("jwks_url is longer than 2048 characters");
  constexpr std::string_view kHttps = "https://";
  if (text.rfind("http://", 0) == 0) {
    return bad(
        "must use https://: over plain http anyone on the network path could substitute "
        "their own keys and sign tokens Bastion would accept");
  }
  if (text.size() < kHttps.size() || text.substr(0, kHttps.size()) != kHttps) {
    return bad("must be an https:// URL");
  }
  if (!std::all_of(text.begin(), text.end(), IsUrlCharacter)) {
    return bad("has spaces, control characters or characters a URL may not hold");
  }
  JwksUrl url;
  url.url = std::string(text);
  std::string_view rest = text.substr(kHttps.size());
  const std::size_t slash = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, slash);
  std::string_view target = slash == std::string_view::npos ? "/" : rest.substr(slash);
  if (target.find('#') != std::string_view::npos) return bad("may not have a fragment");
  if (authority.find('@') != std::string_view::npos) {
    return bad("may not carry user information (credentials do not belong in a key set URL)");
  }
  std::string_view port_text;
  bool has_port = false;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad("has an unterminated IPv6 literal");
    url.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad("has text after the IPv6 literal");
      has_port = true;
      port_text = after.substr(1);
    }
    ErrorCode ec;
    const auto address = asio::ip::make_address_v6(url.host, ec);
    if (ec || address.is_v4_mapped()) return bad("has an invalid IPv6 literal");
  } else {
    const std::size_t colon = authority.find(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      has_port = true;
      port_text = authority.substr(colon + 1);
    }
    if (!std::all_of(url.host.begin(), url.host.end(), IsHostCharacter) ||
        url.host.find("..") != std::string::npos || url.host.front() == '.') {
      return bad("has an invalid host name");
    }
  }
  if (url.host.empty() || url.host.size() > 253) return bad("has no usable host");
  if (has_port) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || value == 0 ||
        value > 65535) {
      return bad("has an invalid port");
    }
    url.port = static_cast<std::uint16_t>(value);
  }
  url.target = std::string(target);
  if (url.target.front() != '/') url.target.insert(url.target.begin(), '/');
  return url;
}

Result<JwksHttpsFetcher> JwksHttpsFetcher::Create(JwksUrl url, const std::string& ca_file,
                                                  JwksFetchLimits limits) {
  if (limits.timeout.count() <= 0 || limits.max_body_bytes == 0 || limits.max_header_bytes == 0) {
    return Status::Malformed("JWKS fetch limits must be positive");
  }
  std::string trust = ca_file;
  if (trust.empty()) {
    trust = X509_get_default_cert_file();
    struct stat st {};
    if (::stat(trust.c_str(), &st) != 0) {
      return Status::Unavailable("no system trust store at " + trust + " to verify " + url.url +
                                 ": set jwks_ca_file to the CA that issued the IdP's certificate");
    }
  }
  BASTION_ASSIGN_OR_RETURN(std::shared_ptr<asio::ssl::context> tls,
                           net::transport::MakeClientTlsContext({trust, "", ""}));
  if (ca_file.empty()) {
    // The system store may also be a hashed directory (SSL_CERT_DIR, OPENSSLDIR/certs).
    SSL_CTX_set_default_verify_paths(tls->native_handle());
  }
  auto impl = std::make_shared<Impl>();
  impl->url = std::move(url);
  impl->limits = limits;
  impl->tls = std::move(tls);
  return JwksHttpsFetcher(std::move(impl));
}

const JwksUrl& JwksHttpsFetcher::url() const { return impl_->url; }

Result<std::string> JwksHttpsFetcher::Fetch() const {
  const JwksUrl& url = impl_->url;
  const JwksFetchLimits& limits = impl_->limits;
  auto unavailable = [&](const std::string& why) {
    return Status::Unavailable("fetching " + url.url + ": " + why);
  };
  try {
    asio::io_context ioc;
    asio::ssl::stream<beast::tcp_stream> stream(ioc, *impl_->tls);
    SSL* ssl = stream.native_handle();
    ErrorCode ec;
    (void)asio::ip::make_address(url.host, ec);  // ec set: not an IP literal
    if (ec) {
      // A name: sent as SNI (RFC 6066 3) and matched against the certificate's DNS names.
      SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      if (SSL_set_tlsext_host_name(ssl, url.host.c_str()) != 1 ||
          SSL_set1_host(ssl, url.host.c_str()) != 1) {
        return Status::Internal("cannot set the TLS host name for " + url.url);
      }
    } else if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), url.host.c_str()) != 1) {
      return Status::Internal("cannot set the TLS IP address for " + url.url);
    }

    const auto deadline = std::chrono::steady_clock::now() + limits.timeout;
    asio::ip::tcp::resolver resolver(ioc);
    const auto endpoints = resolver.resolve(url.host, std::to_string(url.port), ec);
    if (ec) return unavailable("cannot resolve " + url.host + ": " + ec.message());
    if (std::chrono::steady_clock::now() >= deadline)
      return unavailable("name resolution timed out");

    // One deadline for everything after resolution (beast::tcp_stream applies it to every
    // operation started until it is changed).
    beast::tcp_stream& tcp = beast::get_lowest_layer(stream);
    tcp.expires_at(deadline);
    const std::string seconds =
        std::to_string(std::chrono::duration<double>(limits.timeout).count()) + " s";
    auto failure = [&](const char* step, ErrorCode e) {
      if (e == beast::error::timeout)
        return unavailable(std::string(step) + ": no answer within " + seconds);
      return unavailable(std::string(step) + ": " + e.message());
    };
    ec = Await(ioc, [&](auto handler) { tcp.async_connect(endpoints, std::move(handler)); });
    if (ec) return failure("connect", ec);
    ec = Await(ioc, [&](auto handler) {
      stream.async_handshake(asio::ssl::stream_base::client, std::move(handler));
    });
    if (ec) {
      const long verify = SSL_get_verify_result(ssl);
      if (verify != X509_V_OK) {
        return unavailable(std::string("the server's certificate is not trusted: ") +
                           X509_verify_cert_error_string(verify));
      }
      return failure("TLS handshake", ec);
    }

    http::request<http::empty_body> request{http::verb::get, url.target, 11};
    const bool bracket = url.host.find(':') != std::string::npos;
    std::string host = bracket ? "[" + url.host + "]" : url.host;
    if (url.port != 443) host += ":" + std::to_string(url.port);
    request.set(http::field::host, host);
    request.set(http::field::user_agent, "Bastion-JWKS");
    request.set(http::field::accept, "application/jwk-set+json, application/json");
    request.set(http::field::connection, "close");
    ec = Await(ioc, [&](auto handler) { http::async_write(stream, request, std::move(handler)); });
    if (ec) return failure("sending the request", ec);

    beast::flat_buffer buffer(limits.max_header_bytes + 64 * 1024);
    http::response_parser<http::string_body> parser;
    parser.header_limit(
        static_cast<std::uint32_t>(std::min<std::size_t>(limits.max_header_bytes, UINT32_MAX)));
    parser.body_limit(limits.max_body_bytes);
    auto too_large = [&] {
      return Status::LimitExceeded("fetching " + url.url + ": the set is larger than " +
                                   std::to_string(limits.max_body_bytes) + " bytes");
    };
    ec = Await(ioc, [&](auto handler) {
      http::async_read_header(stream, buffer, parser, std::move(handler));
    });
    if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
      return Status::LimitExceeded("fetching " + url.url + ": response headers larger than " +
                                   std::to_string(limits.max_header_bytes) + " bytes");
    }
    if (ec == http::error::body_limit) return too_large();
    if (ec) return failure("reading the response", ec);
    // A declared length over the limit is refused before any of the body is read.
    if (parser.content_length() && *parser.content_length() > limits.max_body_bytes) {
      return too_large();
    }
    if (!parser.is_done()) {
      ec = Await(
          ioc, [&](auto handler) { http::async_read(stream, buffer, parser, std::move(handler)); });
    }
    if (ec == http::error::body_limit) return too_large();
    if (ec) return failure("reading the response", ec);
    if (parser.get().body().size() > limits.max_body_bytes) return too_large();
    const unsigned status = parser.get().result_int();
    if (status >= 300 && status < 400) {
      return unavailable("answered " + std::to_string(status) +
                         ", a redirect, which is not followed: set jwks_url to the set's own URL");
    }
    if (status != 200) return unavailable("answered HTTP " + std::to_string(status));
    // No TLS shutdown: the whole message is read and the request said Connection: close.
    ErrorCode ignored;
    tcp.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    return std::move(parser.get().body());
  } catch (const std::exception& e) {
    return unavailable(std::string("unexpected failure: ") + e.what());
  }
}

}  // namespace bastion::server
