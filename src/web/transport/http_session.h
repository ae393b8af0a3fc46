// HttpSession: HTTP/1.1 (RFC 9112) on one connection of the network server
// (net/transport/server.h, which owns the sockets, TLS, the connection caps and the strand).
//
// Bytes in, calls to the handler out: Beast's parser reads the request head (bounded by
// max_header_bytes) and the body (Content-Length or chunked, bounded by max_body_bytes); the
// head goes to Handler::Begin on a worker thread, the body to the handler's BodyConsumer in
// pieces of at least 256 KiB (a hand-off per 16 KiB TLS record cost more in thread wake-ups than
// the consumer's own work); reading goes on while a piece is consumed, up to 512 KiB gathered
// for the next, then pauses, so memory per connection stays bounded. The response goes out with
// Content-Length or chunked, produced piece by piece with at most one piece queued for the
// network. Requests on one connection are handled
// in order (keep-alive, pipelining).
//
// Every response carries the security headers (HSTS on TLS, nosniff, a restrictive CSP, no
// caching of patient data, no framing, no referrer). Errors the session detects itself are
// answered through Handler::ErrorResponse: a malformed request 400, a head over the limit 431,
// a body over the limit 413 (before any of it is read when Content-Length says so), a
// stalled request 408; after those the connection is closed.
// Thread-safety: the network server calls a session on its connection's strand only.
#pragma once

#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "net/transport/connection.h"
#include "web/http/message.h"

namespace bastion::web::transport {

struct HttpLimits {
  std::uint32_t max_header_bytes = 16 * 1024;         // request line and header fields together
  std::uint64_t max_body_bytes = 4ull << 30;          // any request body (services have their own)
  std::chrono::milliseconds request_timeout{30'000};  // no progress on a request for this long
  std::chrono::milliseconds idle_timeout{60'000};     // keep-alive wait for the next request
  std::uint32_t max_requests_per_connection = 10'000;
  std::size_t response_piece_bytes = 1 << 20;  // produced and queued at a time
};

class HttpSession : public net::transport::ConnectionLogic {
 public:
  // `handler` and `workers` outlive every session.
  HttpSession(http::Handler& handler, boost::asio::thread_pool& workers, HttpLimits limits);
  ~HttpSession() override;

  void OnOpen(net::transport::Connection& connection) override;
  void OnData(net::transport::Connection& connection, std::span<const std::uint8_t> bytes) override;
  void OnTimer(net::transport::Connection& connection, net::transport::TimerId id) override;
  void OnClosed(const std::string& reason) override;

  struct Parser;  // Beast's parser, in http_session.cc

 private:
  enum class State : std::uint8_t {
    kReadingHead,
    kWaiting,
    kReadingBody,
    kResponding,
    kDraining,  // answered without reading the body: discarding it before closing
    kClosed
  };

  void Pump(std::span<const std::uint8_t> fresh = {});
  // Feeds data to the parser while a request head or body is read; returns the bytes used.
  std::size_t Parse(std::span<const std::uint8_t> data);
  void NewRequest();
  void HeadComplete();
  void DeliverBody();
  void FinishBody();
  // Answers with the handler's error response (`http_status` overrides its status), then closes.
  void Refuse(const Status& status, unsigned http_status = 0);
  void StartResponse(http::Response response);
  void SendNextPiece(std::shared_ptr<http::BodyProducer> producer);
  void ResponseDone();

  http::Handler& handler_;
  boost::asio::thread_pool& workers_;
  const HttpLimits limits_;
  net::transport::Connection* connection_ = nullptr;
  std::unique_ptr<Parser> parser_;
  std::string input_;  // received bytes not yet parsed
  State state_ = State::kReadingHead;
  bool keep_alive_ = true;
  bool head_request_ = false;
  bool chunked_response_ = false;
  bool unread_body_ = false;
  std::uint64_t drained_ = 0;
  std::uint32_t requests_ = 0;
  std::shared_ptr<http::BodyConsumer> consumer_;
};

}  // namespace bastion::web::transport
