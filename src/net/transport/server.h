// The network server: Asio listeners (TLS or, when explicitly configured, plaintext), a bounded
// pool of network threads, caps on connections in total and per source address, TCP_NODELAY on
// every socket, a TLS handshake deadline, and one strand per connection so that a slow or idle
// peer never delays the others.
// Thread-safety: Start/Stop from one controlling thread; connections run on the pool.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "net/transport/connection.h"

namespace bastion::net::transport {

struct ListenerConfig {
  std::string name;  // "tls" or "plaintext", reported in PeerInfo::local_listener
  std::string bind_address;
  std::uint16_t port = 0;                          // 0 picks a free port (tests)
  std::shared_ptr<boost::asio::ssl::context> tls;  // nullptr: plaintext
};

struct TransportLimits {
  std::uint32_t max_connections = 200;
  std::uint32_t max_connections_per_address = 20;
  // Connections beyond the caps still get a logic object, flagged over_capacity, so that the
  // protocol can refuse politely (A-ASSOCIATE-RJ); beyond this many extra they are closed.
  std::uint32_t overflow_connections = 16;
  std::chrono::milliseconds tls_handshake_timeout{15000};
  std::uint32_t threads = 0;  // 0: one per core
};

class Server {
 public:
  Server(TransportLimits limits, ConnectionLogicFactory factory);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds a listener now; returns the bound port.
  Result<std::uint16_t> AddListener(const ListenerConfig& listener);
  // Starts accepting on the thread pool; returns at once.
  void Start();
  // Stops accepting, closes every connection, joins the threads.
  void Stop();
  // Open connections right now (for tests and metrics).
  std::uint32_t connection_count() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace bastion::net::transport
