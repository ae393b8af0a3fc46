// WebServer: the HTTPS side of `bastion serve` (issue 6). Builds the DICOMweb service over the
// archive the DICOM side uses, its authenticator (the same user store, roles, audit sink and
// JWT issuers as DIMSE, plus the token store and login sessions), a worker pool for requests,
// and its own network server (separate connection caps) on the [http] listener, with the
// server's TLS certificate, and the plaintext listener when one is configured: the same API on
// loopback, a redirect to HTTPS anywhere else.
// Thread-safety: Start/Stop from one thread.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "archive/archive.h"
#include "base/status.h"
#include "security/identity.h"
#include "server/data_dir.h"

namespace bastion::server {

class WebServer {
 public:
  using JwtCheck = std::function<Result<security::Identity>(std::string_view token)>;
  // `dir` and `archive` outlive the server.
  WebServer(DataDir& dir, archive::Archive& archive, JwtCheck jwt);
  ~WebServer();

  // Binds [http] and starts serving; the bound HTTPS port.
  Result<std::uint16_t> Start();
  // The bound plaintext port, 0 when there is none.
  std::uint16_t plaintext_port() const { return plaintext_port_; }
  // Whether the plaintext listener serves the API (loopback) rather than only redirecting.
  static bool PlaintextServesApi(const HttpConfig& http);
  void Stop();
  // Re-reads the token file when it changed (tokens created or revoked with the CLI).
  void ReloadTokens();

  struct Parts;

 private:
  DataDir& dir_;
  archive::Archive& archive_;
  JwtCheck jwt_;
  std::uint16_t plaintext_port_ = 0;
  std::unique_ptr<Parts> parts_;
};

}  // namespace bastion::server
