// TLS contexts for DIMSE (and later HTTPS) following PS3.15 B.13 and BCP 195 (RFC 9325):
// TLS 1.3, or TLS 1.2 with ECDHE key exchange and AEAD ciphers only; no compression, no
// renegotiation. The server asks every client for a certificate and verifies any it gets
// against the configured CA bundle; whether a given peer must present one is decided later by
// peer policy (after the handshake, from the verified certificate's fingerprint).
// Thread-safety: a context is configured once, then shared read-only by all connections.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

#include "base/status.h"

namespace bastion::net::transport {

struct TlsServerFiles {
  std::string certificate_file;  // PEM chain, leaf first
  std::string key_file;          // PEM private key
  std::string client_ca_file;    // CAs whose client certificates we accept
};

struct TlsClientFiles {
  std::string ca_file;           // CAs we trust for the server's certificate
  std::string certificate_file;  // optional client certificate
  std::string key_file;
};

Result<std::shared_ptr<boost::asio::ssl::context>> MakeServerTlsContext(
    const TlsServerFiles& files);
Result<std::shared_ptr<boost::asio::ssl::context>> MakeClientTlsContext(
    const TlsClientFiles& files);

// Lower-case hex SHA-256 fingerprint of a verified peer certificate, or "" when none.
std::string PeerCertificateFingerprint(const SSL* ssl);

}  // namespace bastion::net::transport
