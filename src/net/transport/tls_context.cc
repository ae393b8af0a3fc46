#include "net/transport/tls_context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "base/hex.h"

namespace bastion::net::transport {
namespace {

namespace ssl = boost::asio::ssl;

// TLS 1.2 suites allowed by PS3.15 B.13 / BCP 195: ECDHE with AES-GCM or ChaCha20-Poly1305.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

std::string LastOpensslError() {
  unsigned long e = ERR_get_error();
  if (e == 0) return "unknown error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return buf;
}

Status ApplyProfile(SSL_CTX* ctx) {
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(
      ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_set_cipher_list(ctx, kTls12Ciphers) != 1) {
    return Status::Internal("cannot set the TLS 1.2 cipher list: " + LastOpensslError());
  }
  if (SSL_CTX_set1_groups_list(ctx, "X25519:P-256:P-384") != 1) {
    return Status::Internal("cannot set the key exchange groups: " + LastOpensslError());
  }
  return Status::Ok();
}

}  // namespace

Result<std::shared_ptr<ssl::context>> MakeServerTlsContext(const TlsServerFiles& files) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = ctx->native_handle();
  BASTION_RETURN_IF_ERROR(ApplyProfile(native));
  if (SSL_CTX_use_certificate_chain_file(native, files.certificate_file.c_str()) != 1) {
    return Status::Unavailable("cannot load the server certificate " + files.certificate_file +
                               ": " + LastOpensslError());
  }
  if (SSL_CTX_use_PrivateKey_file(native, files.key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(native) != 1) {
    return Status::Unavailable("cannot load the server key " + files.key_file +
                               " (or it does not match the certificate): " + LastOpensslError());
  }
  if (!files.client_ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(native, files.client_ca_file.c_str(), nullptr) != 1) {
      return Status::Unavailable("cannot load the client CA bundle " + files.client_ca_file + ": " +
                                 LastOpensslError());
    }
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(files.client_ca_file.c_str());
    if (names != nullptr) SSL_CTX_set_client_CA_list(native, names);
    // Ask for a certificate, verify it if given; requiring one is per-peer policy.
    SSL_CTX_set_verify(native, SSL_VERIFY_PEER, nullptr);
  }
  SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_SERVER);
  static const unsigned char kSessionContext[] = "bastion-dimse";
  SSL_CTX_set_session_id_context(native, kSessionContext, sizeof kSessionContext - 1);
  return ctx;
}

Result<std::shared_ptr<ssl::context>> MakeClientTlsContext(const TlsClientFiles& files) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  SSL_CTX* native = ctx->native_handle();
  BASTION_RETURN_IF_ERROR(ApplyProfile(native));
  if (files.ca_file.empty()) {
    return Status::Malformed(
        "a TLS client needs a CA file to verify the server (no anonymous "
        "TLS)");
  }
  if (SSL_CTX_load_verify_locations(native, files.ca_file.c_str(), nullptr) != 1) {
    return Status::Unavailable("cannot load the CA file " + files.ca_file + ": " +
                               LastOpensslError());
  }
  SSL_CTX_set_verify(native, SSL_VERIFY_PEER, nullptr);
  if (!files.certificate_file.empty()) {
    if (SSL_CTX_use_certificate_chain_file(native, files.certificate_file.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(native, files.key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(native) != 1) {
      return Status::Unavailable("cannot load the client certificate/key " +
                                 files.certificate_file + ": " + LastOpensslError());
    }
  }
  return ctx;
}

std::string PeerCertificateFingerprint(const SSL* ssl) {
  if (ssl == nullptr || SSL_get_verify_result(ssl) != X509_V_OK) return "";
  X509* cert = SSL_get0_peer_certificate(ssl);
  if (cert == nullptr) return "";
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (X509_digest(cert, EVP_sha256(), md, &n) != 1) return "";
  return ToHex(std::span<const std::uint8_t>(md, n));
}

}  // namespace bastion::net::transport
