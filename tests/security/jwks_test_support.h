// Helpers for the JWKS cache and fetcher tests: Ed25519 JWKs of keys generated at test time,
// and an in-process HTTPS server on 127.0.0.1 (Boost.Beast, a certificate from a local CA
// made by security/local_ca.h) that serves a JWK Set, redirects, or never answers.
// Thread-safety: the server runs on its own thread; its setters may be called from the test.
#pragma once

#include <openssl/evp.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <chrono>
#include <condition_variable>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "security/jwt.h"
#include "security/local_ca.h"

namespace bastion::security::testing {

// The public JWK of an Ed25519 key (RFC 8037 2).
inline nlohmann::json Ed25519Jwk(EVP_PKEY* key, const std::string& kid) {
  std::string raw(32, '\0');
  std::size_t len = raw.size();
  EVP_PKEY_get_raw_public_key(key, reinterpret_cast<unsigned char*>(raw.data()), &len);
  return {{"kty", "OKP"}, {"crv", "Ed25519"}, {"x", Base64UrlEncode(raw)}, {"kid", kid}};
}

inline std::string JwkSet(std::initializer_list<nlohmann::json> keys) {
  nlohmann::json set = {{"keys", nlohmann::json::array()}};
  for (const auto& k : keys) set["keys"].push_back(k);
  return set.dump();
}

class TestHttpsServer {
 public:
  enum class Mode { kServe, kServeChunked, kRedirect, kNeverAnswer };

  // Serves with `leaf` (a certificate and key issued by a test CA).
  explicit TestHttpsServer(const KeyAndCertificate& leaf)
      : tls_(boost::asio::ssl::context::tls_server), acceptor_(ioc_) {
    tls_.use_certificate_chain(boost::asio::buffer(leaf.certificate_pem));
    tls_.use_private_key(boost::asio::buffer(leaf.key_pem), boost::asio::ssl::context::pem);
    using boost::asio::ip::tcp;
    tcp::endpoint endpoint(boost::asio::ip::make_address("127.0.0.1"), 0);
    acceptor_.open(endpoint.protocol());
    acceptor_.bind(endpoint);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    Accept();
    thread_ = std::thread([this] { ioc_.run(); });
  }
  ~TestHttpsServer() {
    ioc_.stop();
    thread_.join();
  }
  TestHttpsServer(const TestHttpsServer&) = delete;
  TestHttpsServer& operator=(const TestHttpsServer&) = delete;

  std::uint16_t port() const { return port_; }
  std::string Url(const std::string& host = "127.0.0.1") const {
    return "https://" + host + ":" + std::to_string(port_) + "/realms/x/certs";
  }
  void SetBody(std::string body) {
    std::lock_guard lock(mutex_);
    body_ = std::move(body);
  }
  void SetMode(Mode mode) {
    std::lock_guard lock(mutex_);
    mode_ = mode;
  }
  // Requests read so far (whatever the answer).
  int requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  // Waits until `n` requests have been read, or `limit` has passed; the count then.
  int WaitForRequests(int n, std::chrono::milliseconds limit) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, limit, [&] { return requests_ >= n; });
    return requests_;
  }
  std::string last_target() const {
    std::lock_guard lock(mutex_);
    return last_target_;
  }

 private:
  using Stream = boost::asio::ssl::stream<boost::asio::ip::tcp::socket>;
  struct Session {
    explicit Session(Stream s) : stream(std::move(s)) {}
    Stream stream;
    boost::beast::flat_buffer buffer;
    boost::beast::http::request<boost::beast::http::string_body> request;
    boost::beast::http::response<boost::beast::http::string_body> response;
  };

  void Accept() {
    acceptor_.async_accept(
        [this](boost::system::error_code ec, boost::asio::ip::tcp::socket socket) {
          if (ec) return;
          auto session = std::make_shared<Session>(Stream(std::move(socket), tls_));
          session->stream.async_handshake(boost::asio::ssl::stream_base::server,
                                          [this, session](boost::system::error_code hec) {
                                            if (!hec) Read(session);
                                          });
          Accept();
        });
  }

  void Read(const std::shared_ptr<Session>& session) {
    boost::beast::http::async_read(
        session->stream, session->buffer, session->request,
        [this, session](boost::system::error_code ec, std::size_t) {
          if (ec) return;
          Mode mode;
          {
            std::lock_guard lock(mutex_);
            ++requests_;
            last_target_ = std::string(session->request.target());
            mode = mode_;
            session->response.body() = body_;
          }
          changed_.notify_all();
          namespace http = boost::beast::http;
          if (mode == Mode::kNeverAnswer) {
            stalled_.push_back(session);  // kept open, never answered
            return;
          }
          session->response.version(11);
          if (mode == Mode::kRedirect) {
            session->response.result(http::status::found);
            session->response.set(http::field::location, Url() + "/moved");
            session->response.body().clear();
          } else {
            session->response.result(http::status::ok);
            session->response.set(http::field::content_type, "text/html");  // not trusted
          }
          session->response.prepare_payload();
          if (mode == Mode::kServeChunked) session->response.chunked(true);  // no length
          http::async_write(session->stream, session->response,
                            [session](boost::system::error_code, std::size_t) {});
        });
  }

  boost::asio::io_context ioc_;
  boost::asio::ssl::context tls_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::vector<std::shared_ptr<Session>> stalled_;  // before ioc_ in destruction order
  std::uint16_t port_ = 0;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  Mode mode_ = Mode::kServe;
  std::string body_;
  std::string last_target_;
  int requests_ = 0;
  std::thread thread_;
};

}  // namespace bastion::security::testing
