// DicomServer: the composition root of `bastion serve`. Loads the data directory, checks that
// the settings are safe, builds the TLS context, the gate, the lockout tracker and the network
// server, reloads users and peers when their files change, and emits start/stop audit events.
// Thread-safety: Start/Stop from one thread.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "server/archive_service.h"
#include "server/data_dir.h"

namespace bastion::server {

class DicomServer {
 public:
  static Result<std::unique_ptr<DicomServer>> Create(const std::string& data_dir);
  ~DicomServer();

  // Binds the listeners and starts serving. Returns the warnings to show the operator.
  Result<std::vector<std::string>> Start();
  void Stop();

  std::uint16_t tls_port() const { return tls_port_; }
  std::uint16_t plaintext_port() const { return plaintext_port_; }
  std::uint16_t http_port() const { return http_port_; }  // 0 when [http] is disabled
  std::uint16_t http_plaintext_port() const { return http_plaintext_port_; }  // 0: none
  const Config& config() const { return dir_.config; }

  struct Parts;

 private:
  DicomServer() = default;

  DataDir dir_;
  std::unique_ptr<Parts> parts_;
  std::uint16_t tls_port_ = 0;
  std::uint16_t plaintext_port_ = 0;
  std::uint16_t http_port_ = 0;
  std::uint16_t http_plaintext_port_ = 0;
  std::atomic<bool> stop_reloader_{false};
  std::thread reloader_;
};

}  // namespace bastion::server
