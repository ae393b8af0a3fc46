#include "security/local_ca.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

#include "base/hex.h"

namespace bastion::security {
namespace {

template <typename T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const { F(p); }
};
using PKeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;

Status OpensslError(const std::string& what) {
  return Status::Internal(what + " failed in OpenSSL");
}

PKeyPtr NewEcKey() { return PKeyPtr(EVP_EC_gen("P-256")); }

std::string BioToString(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

Result<std::string> KeyPem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return OpensslError("writing a private key");
  }
  return BioToString(bio.get());
}

Result<std::string> CertPem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1)
    return OpensslError("writing a certificate");
  return BioToString(bio.get());
}

Status AddExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) return OpensslError("building extension " + value);
  int ok = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  return ok == 1 ? Status::Ok() : OpensslError("adding extension");
}

Result<X509Ptr> NewCertificate(EVP_PKEY* subject_key, const std::string& cn, int days) {
  X509Ptr cert(X509_new());
  if (!cert) return OpensslError("allocating a certificate");
  X509_set_version(cert.get(), 2);
  // A random 159-bit serial (RFC 5280 4.1.2.2: positive, at most 20 octets).
  unsigned char serial_bytes[20];
  if (RAND_bytes(serial_bytes, sizeof serial_bytes) != 1) return OpensslError("RAND_bytes");
  serial_bytes[0] &= 0x7F;
  BIGNUM* bn = BN_bin2bn(serial_bytes, sizeof serial_bytes, nullptr);
  ASN1_INTEGER* serial = BN_to_ASN1_INTEGER(bn, nullptr);
  X509_set_serialNumber(cert.get(), serial);
  ASN1_INTEGER_free(serial);
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -300);  // tolerate small clock skew
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(days) * 24 * 3600);
  X509_set_pubkey(cert.get(), subject_key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("Bastion PACS"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  return cert;
}

Result<PKeyPtr> ReadKey(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PKeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) return Status::Malformed("cannot read the CA private key");
  return key;
}

Result<X509Ptr> ReadCert(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) return Status::Malformed("cannot read a PEM certificate");
  return cert;
}

}  // namespace

Result<KeyAndCertificate> CreateCertificateAuthority(const std::string& common_name, int days) {
  PKeyPtr key = NewEcKey();
  if (!key) return OpensslError("generating the CA key");
  BASTION_ASSIGN_OR_RETURN(X509Ptr cert, NewCertificate(key.get(), common_name, days));
  X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get()));
  BASTION_RETURN_IF_ERROR(
      AddExtension(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE,pathlen:0"));
  BASTION_RETURN_IF_ERROR(
      AddExtension(cert.get(), cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign"));
  BASTION_RETURN_IF_ERROR(AddExtension(cert.get(), cert.get(), NID_subject_key_identifier, "hash"));
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) return OpensslError("signing the CA");
  KeyAndCertificate out;
  BASTION_ASSIGN_OR_RETURN(out.key_pem, KeyPem(key.get()));
  BASTION_ASSIGN_OR_RETURN(out.certificate_pem, CertPem(cert.get()));
  return out;
}

Result<KeyAndCertificate> IssueCertificate(const KeyAndCertificate& ca,
                                           const CertificateRequest& request) {
  BASTION_ASSIGN_OR_RETURN(PKeyPtr ca_key, ReadKey(ca.key_pem));
  BASTION_ASSIGN_OR_RETURN(X509Ptr ca_cert, ReadCert(ca.certificate_pem));
  PKeyPtr key = NewEcKey();
  if (!key) return OpensslError("generating a key");
  BASTION_ASSIGN_OR_RETURN(X509Ptr cert,
                           NewCertificate(key.get(), request.common_name, request.days));
  X509_set_issuer_name(cert.get(), X509_get_subject_name(ca_cert.get()));
  BASTION_RETURN_IF_ERROR(
      AddExtension(cert.get(), ca_cert.get(), NID_basic_constraints, "critical,CA:FALSE"));
  BASTION_RETURN_IF_ERROR(AddExtension(cert.get(), ca_cert.get(), NID_key_usage,
                                       "critical,digitalSignature,keyAgreement"));
  std::string eku;
  if (request.server) eku += "serverAuth";
  if (request.client) eku += std::string(eku.empty() ? "" : ",") + "clientAuth";
  if (!eku.empty()) {
    BASTION_RETURN_IF_ERROR(AddExtension(cert.get(), ca_cert.get(), NID_ext_key_usage, eku));
  }
  std::string san;
  for (const std::string& dns : request.dns_names) san += (san.empty() ? "" : ",") + ("DNS:" + dns);
  for (const std::string& ip : request.ip_addresses) san += (san.empty() ? "" : ",") + ("IP:" + ip);
  if (!san.empty()) {
    BASTION_RETURN_IF_ERROR(AddExtension(cert.get(), ca_cert.get(), NID_subject_alt_name, san));
  }
  BASTION_RETURN_IF_ERROR(
      AddExtension(cert.get(), ca_cert.get(), NID_authority_key_identifier, "keyid:always"));
  if (X509_sign(cert.get(), ca_key.get(), EVP_sha256()) == 0) {
    return OpensslError("signing a certificate");
  }
  KeyAndCertificate out;
  BASTION_ASSIGN_OR_RETURN(out.key_pem, KeyPem(key.get()));
  BASTION_ASSIGN_OR_RETURN(out.certificate_pem, CertPem(cert.get()));
  return out;
}

Result<std::string> CertificateFingerprint(const std::string& pem) {
  BASTION_ASSIGN_OR_RETURN(X509Ptr cert, ReadCert(pem));
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (X509_digest(cert.get(), EVP_sha256(), md, &n) != 1) return OpensslError("X509_digest");
  return ToHex(std::span<const std::uint8_t>(md, n));
}

}  // namespace bastion::security
