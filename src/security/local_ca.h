// A local certificate authority for deployments without their own PKI: creates the CA,
// the server certificate and client certificates for registered peers (bastion init,
// bastion cert issue). Keys are ECDSA P-256, signatures SHA-256 (PS3.15 B.13, BCP 195).
// Keys and certificates are PEM strings; writing them (mode 0600 for keys) is the caller's job.
// Thread-safety: stateless functions.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"

namespace bastion::security {

struct KeyAndCertificate {
  std::string key_pem;          // PKCS#8 private key
  std::string certificate_pem;  // X.509 certificate
};

struct CertificateRequest {
  std::string common_name;
  std::vector<std::string> dns_names;     // subjectAltName DNS entries
  std::vector<std::string> ip_addresses;  // subjectAltName IP entries (v4 or v6 literals)
  int days = 825;
  bool server = true;  // extendedKeyUsage serverAuth
  bool client = true;  // extendedKeyUsage clientAuth
};

Result<KeyAndCertificate> CreateCertificateAuthority(const std::string& common_name, int days);
Result<KeyAndCertificate> IssueCertificate(const KeyAndCertificate& ca,
                                           const CertificateRequest& request);
// Lower-case hex SHA-256 of the DER encoding of the first certificate in `pem`.
Result<std::string> CertificateFingerprint(const std::string& pem);

}  // namespace bastion::security
