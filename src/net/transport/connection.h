// The seam between the socket code and protocol logic.
//
// The transport owns sockets, TLS, timers and threads; a ConnectionLogic owns one connection's
// protocol state and asks the transport for I/O through Connection. All calls into a
// ConnectionLogic for one connection are serialised (one strand per connection), so the logic
// needs no locks of its own; work that may block (password hashing) is posted elsewhere and
// its result comes back through Connection::Post.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace bastion::net::transport {

struct PeerInfo {
  std::string address;  // IP literal of the remote end
  std::uint16_t port = 0;
  bool tls = false;
  std::string certificate_fingerprint;  // SHA-256 of a verified client certificate, or ""
  std::string local_listener;           // "tls" or "plaintext"
  // Accepted beyond the connection caps: the logic should refuse (local limit exceeded).
  bool over_capacity = false;
};

enum class TimerId : std::uint8_t { kArtim, kIdle, kPdu, kCustom };

class Connection {
 public:
  virtual ~Connection() = default;
  virtual const PeerInfo& peer() const = 0;
  // Queues bytes for sending, in order.
  virtual void Send(std::vector<std::uint8_t> bytes) = 0;
  // Closes once every queued byte has been written (or at once when `immediately`).
  virtual void Close(bool immediately = false) = 0;
  // (Re)starts a timer; its expiry calls ConnectionLogic::OnTimer unless stopped first.
  virtual void StartTimer(TimerId id, std::chrono::milliseconds after) = 0;
  virtual void StopTimer(TimerId id) = 0;
  // Runs `callback` on this connection's strand once every byte queued so far has been written
  // (at once when nothing is queued); dropped when the connection closes first. Lets a sender
  // of large data keep a bounded amount queued.
  virtual void WhenWritten(std::function<void()> callback) = 0;
  // Stops delivering received bytes until ResumeReading (e.g. while a decision is pending).
  virtual void PauseReading() = 0;
  virtual void ResumeReading() = 0;
  // Runs `task` on this connection's strand (safe from any thread, even after close: then the
  // task is dropped).
  virtual void Post(std::function<void()> task) = 0;
  // A handle to Post that stays valid after the connection is gone (then it drops tasks):
  // hand it to work running on other threads.
  using Poster = std::function<void(std::function<void()>)>;
  virtual Poster MakePoster() = 0;
};

class ConnectionLogic {
 public:
  virtual ~ConnectionLogic() = default;
  // The connection is established (after the TLS handshake, if any).
  virtual void OnOpen(Connection& connection) = 0;
  virtual void OnData(Connection& connection, std::span<const std::uint8_t> bytes) = 0;
  virtual void OnTimer(Connection& connection, TimerId id) = 0;
  // The transport closed (peer closed, error, or after Close). No further calls follow.
  virtual void OnClosed(const std::string& reason) = 0;
};

// Creates the logic for a new connection; may return nullptr to refuse it at once.
using ConnectionLogicFactory = std::function<std::unique_ptr<ConnectionLogic>(const PeerInfo&)>;

}  // namespace bastion::net::transport
