#include "security/jwks.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "security/jwt_internal.h"

namespace bastion::security {
namespace {

using Json = nlohmann::json;

// Members that carry private (RSA, EC, OKP: RFC 7518 6.2.2, 6.3.2; RFC 8037 2) or symmetric
// ("oct", RFC 7518 6.4.1) key material.
constexpr const char* kSecretMembers[] = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"};

constexpr std::size_t kP256CoordinateBytes = 32;  // RFC 7518 6.2.1.2: the full coordinate size
constexpr std::size_t kEd25519KeyBytes = 32;      // RFC 8032 5.1.5
// RFC 7518 6.3.1.2 sets no bound on "e"; OpenSSL itself refuses exponents over 64 bits for
// larger moduli, and a big exponent only makes each verification slower.
constexpr std::size_t kMaxRsaExponentBytes = 8;

struct BnFree {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
struct BldFree {
  void operator()(OSSL_PARAM_BLD* b) const { OSSL_PARAM_BLD_free(b); }
};
struct ParamsFree {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct CtxFree {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct FileClose {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;
using BldPtr = std::unique_ptr<OSSL_PARAM_BLD, BldFree>;
using CtxPtr = std::unique_ptr<EVP_PKEY_CTX, CtxFree>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

const unsigned char* Bytes(const std::string& s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// "key 3" or "key 3 (kid "abc")", for messages; the kid is escaped, never raw.
std::string Describe(std::size_t index, const Json& jwk) {
  std::string out = "key " + std::to_string(index);
  auto kid = jwk.find("kid");
  if (kid != jwk.end() && kid->is_string()) {
    std::string text = kid->get_ref<const std::string&>().substr(0, 64);
    out += " (kid " + Json(text).dump(-1, ' ', true, Json::error_handler_t::replace) + ")";
  }
  return out;
}

// An optional string member: nullopt when absent, Malformed when not a string.
Result<std::optional<std::string>> OptionalString(const Json& jwk, const char* name,
                                                  const std::string& what) {
  auto it = jwk.find(name);
  if (it == jwk.end()) return std::optional<std::string>();
  if (!it->is_string()) return Status::Malformed(what + ": \"" + name + "\" is not a string");
  return std::optional<std::string>(it->get<std::string>());
}

// A required base64url member (RFC 7518 2, Base64urlUInt and octet strings); strict.
Result<std::string> RequiredBytes(const Json& jwk, const char* name, const std::string& what) {
  auto it = jwk.find(name);
  if (it == jwk.end() || !it->is_string()) {
    return Status::Malformed(what + ": \"" + name + "\" is missing or not a string");
  }
  std::optional<std::string> bytes = Base64UrlDecode(it->get_ref<const std::string&>());
  if (!bytes) return Status::Malformed(what + ": \"" + name + "\" is not strict base64url");
  if (bytes->empty()) return Status::Malformed(what + ": \"" + name + "\" is empty");
  return std::move(*bytes);
}

// A Base64urlUInt (RFC 7518 2): the minimum number of octets, so no leading zero octet.
Result<std::string> RequiredUnsigned(const Json& jwk, const char* name, const std::string& what) {
  BASTION_ASSIGN_OR_RETURN(std::string bytes, RequiredBytes(jwk, name, what));
  if (bytes.front() == '\0') {
    return Status::Malformed(what + ": \"" + name + "\" has a leading zero octet");
  }
  return bytes;
}

// Builds the key from `params` with OpenSSL 3's provider interface; nullptr on failure.
PkeyPtr FromData(const char* type, OSSL_PARAM_BLD* bld) {
  std::unique_ptr<OSSL_PARAM, ParamsFree> params(OSSL_PARAM_BLD_to_param(bld));
  CtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* pkey = nullptr;
  if (params == nullptr || ctx == nullptr || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &pkey, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    EVP_PKEY_free(pkey);
    ERR_clear_error();
    return nullptr;
  }
  return PkeyPtr(pkey);
}

Result<PkeyPtr> RsaKey(const Json& jwk, const JwksLimits& limits, const std::string& what) {
  BASTION_ASSIGN_OR_RETURN(std::string n, RequiredUnsigned(jwk, "n", what));
  BASTION_ASSIGN_OR_RETURN(std::string e, RequiredUnsigned(jwk, "e", what));
  // Bits of the modulus from its minimal encoding, before OpenSSL sees it.
  unsigned char top = static_cast<unsigned char>(n.front());
  std::size_t bits = (n.size() - 1) * 8;
  for (; top != 0; top = static_cast<unsigned char>(top >> 1)) ++bits;
  if (bits < 2048) {
    return Status::Unsupported(what + ": RSA keys for JWT must have at least 2048 bits (this has " +
                               std::to_string(bits) + ")");
  }
  if (bits > limits.max_rsa_bits) {
    return Status::LimitExceeded(what + ": RSA modulus of " + std::to_string(bits) +
                                 " bits is over the limit of " +
                                 std::to_string(limits.max_rsa_bits));
  }
  if ((static_cast<unsigned char>(n.back()) & 1) == 0) {
    return Status::Malformed(what + ": RSA modulus is even");
  }
  if (e.size() > kMaxRsaExponentBytes) {
    return Status::Unsupported(what + ": RSA exponent longer than 64 bits");
  }
  if ((static_cast<unsigned char>(e.back()) & 1) == 0 ||
      (e.size() == 1 && static_cast<unsigned char>(e[0]) == 1)) {
    return Status::Malformed(what + ": RSA exponent must be odd and greater than 1");
  }
  BnPtr bn_n(BN_bin2bn(Bytes(n), static_cast<int>(n.size()), nullptr));
  BnPtr bn_e(BN_bin2bn(Bytes(e), static_cast<int>(e.size()), nullptr));
  BldPtr bld(OSSL_PARAM_BLD_new());
  if (bn_n == nullptr || bn_e == nullptr || bld == nullptr ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1) {
    ERR_clear_error();
    return Status::Internal(what + ": cannot build the RSA parameters");
  }
  PkeyPtr pkey = FromData("RSA", bld.get());
  if (pkey == nullptr) return Status::Malformed(what + ": not a valid RSA public key");
  return pkey;
}

Result<PkeyPtr> Ec256Key(const Json& jwk, const std::string& what) {
  BASTION_ASSIGN_OR_RETURN(std::string x, RequiredBytes(jwk, "x", what));
  BASTION_ASSIGN_OR_RETURN(std::string y, RequiredBytes(jwk, "y", what));
  if (x.size() != kP256CoordinateBytes || y.size() != kP256CoordinateBytes) {
    return Status::Malformed(what + ": P-256 coordinates \"x\" and \"y\" must be 32 bytes each");
  }
  // The uncompressed point (SEC 1 2.3.3): 0x04 || x || y.
  std::string point = std::string(1, '\x04') + x + y;
  BldPtr bld(OSSL_PARAM_BLD_new());
  if (bld == nullptr ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, SN_X9_62_prime256v1,
                                      0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    ERR_clear_error();
    return Status::Internal(what + ": cannot build the EC parameters");
  }
  PkeyPtr pkey = FromData("EC", bld.get());
  // A point off the curve must never reach a verification.
  CtxPtr check(pkey == nullptr ? nullptr
                               : EVP_PKEY_CTX_new_from_pkey(nullptr, pkey.get(), nullptr));
  if (check == nullptr || EVP_PKEY_public_check(check.get()) != 1) {
    ERR_clear_error();
    return Status::Malformed(what + ": \"x\" and \"y\" are not a point on P-256");
  }
  return pkey;
}

Result<PkeyPtr> Ed25519Key(const Json& jwk, const std::string& what) {
  BASTION_ASSIGN_OR_RETURN(std::string x, RequiredBytes(jwk, "x", what));
  if (x.size() != kEd25519KeyBytes) {
    return Status::Malformed(what + ": an Ed25519 \"x\" must be 32 bytes");
  }
  BldPtr bld(OSSL_PARAM_BLD_new());
  if (bld == nullptr || OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY,
                                                         x.data(), x.size()) != 1) {
    ERR_clear_error();
    return Status::Internal(what + ": cannot build the Ed25519 parameters");
  }
  PkeyPtr pkey = FromData("ED25519", bld.get());
  if (pkey == nullptr) return Status::Malformed(what + ": not a valid Ed25519 public key");
  return pkey;
}

// One entry of "keys": the key, or nullopt with `skip` saying why it is not used.
Result<std::optional<JwtPublicKey>> DecodeKey(const Json& jwk, std::size_t index,
                                              const JwksLimits& limits, std::string& skip) {
  if (!jwk.is_object()) {
    return Status::Malformed("key " + std::to_string(index) + " is not an object");
  }
  const std::string what = Describe(index, jwk);
  for (const char* member : kSecretMembers) {
    if (jwk.contains(member)) {
      return Status::Malformed(what + " holds private or secret key material (\"" +
                               std::string(member) +
                               "\"); a key set must publish public keys only, so this one is "
                               "refused: have the issuer replace the leaked key");
    }
  }
  BASTION_ASSIGN_OR_RETURN(std::optional<std::string> kty, OptionalString(jwk, "kty", what));
  if (!kty) return Status::Malformed(what + " has no \"kty\"");
  BASTION_ASSIGN_OR_RETURN(std::optional<std::string> kid, OptionalString(jwk, "kid", what));
  if (kid && kid->size() > limits.max_key_id_bytes) {
    return Status::LimitExceeded(what + ": \"kid\" longer than " +
                                 std::to_string(limits.max_key_id_bytes) + " bytes");
  }
  BASTION_ASSIGN_OR_RETURN(std::optional<std::string> use, OptionalString(jwk, "use", what));
  if (use && *use != "sig") {
    skip = what + ": \"use\" is not \"sig\"";
    return std::optional<JwtPublicKey>();
  }
  if (auto ops = jwk.find("key_ops"); ops != jwk.end()) {
    if (!ops->is_array() ||
        !std::all_of(ops->begin(), ops->end(), [](const Json& op) { return op.is_string(); })) {
      return Status::Malformed(what + ": \"key_ops\" is not a list of strings");
    }
    if (std::find(ops->begin(), ops->end(), Json("verify")) == ops->end()) {
      skip = what + ": \"key_ops\" does not include \"verify\"";
      return std::optional<JwtPublicKey>();
    }
  }
  BASTION_ASSIGN_OR_RETURN(std::optional<std::string> alg_name, OptionalString(jwk, "alg", what));
  std::optional<JwtAlgorithm> alg;
  if (alg_name) {
    alg = ParseJwtAlgorithm(*alg_name);
    if (!alg) {
      skip = what + ": algorithm not implemented (RS256, ES256 and EdDSA are)";
      return std::optional<JwtPublicKey>();
    }
  }
  auto contradicts = [&](JwtAlgorithm expected) { return alg && *alg != expected; };
  auto mismatch = [&]() {
    return Status::Malformed(what + ": \"alg\" " + *alg_name + " does not fit a key of kty " +
                             *kty);
  };

  PkeyPtr pkey;
  if (*kty == "RSA") {
    if (contradicts(JwtAlgorithm::kRs256)) return mismatch();
    BASTION_ASSIGN_OR_RETURN(pkey, RsaKey(jwk, limits, what));
  } else if (*kty == "EC" || *kty == "OKP") {
    const bool ec = *kty == "EC";
    const JwtAlgorithm expected = ec ? JwtAlgorithm::kEs256 : JwtAlgorithm::kEdDsa;
    if (contradicts(expected)) return mismatch();
    BASTION_ASSIGN_OR_RETURN(std::optional<std::string> crv, OptionalString(jwk, "crv", what));
    if (!crv) return Status::Malformed(what + " has no \"crv\"");
    if (ec && *crv != "P-256") {
      // ES256 is defined on P-256 only (RFC 7518 3.4).
      if (alg) return Status::Malformed(what + ": \"alg\" ES256 needs \"crv\" P-256");
      skip = what + ": curve not implemented (P-256 is)";
      return std::optional<JwtPublicKey>();
    }
    if (!ec && *crv != "Ed25519") {
      // EdDSA covers Ed448 too (RFC 8037 3.1); X25519 and X448 cannot sign at all.
      if (alg && *crv != "Ed448") {
        return Status::Malformed(what + ": \"alg\" EdDSA needs \"crv\" Ed25519 or Ed448");
      }
      skip = what + ": curve not implemented (Ed25519 is)";
      return std::optional<JwtPublicKey>();
    }
    if (ec) {
      BASTION_ASSIGN_OR_RETURN(pkey, Ec256Key(jwk, what));
    } else {
      BASTION_ASSIGN_OR_RETURN(pkey, Ed25519Key(jwk, what));
    }
  } else {
    skip = what + ": kty not implemented (RSA, EC and OKP are)";
    return std::optional<JwtPublicKey>();
  }
  Result<JwtPublicKey> key =
      JwtPublicKeyFactory::FromEvpPkey(pkey.release(), kid ? std::move(*kid) : std::string());
  if (!key.ok()) return key.status().WithContext(what);
  return std::optional<JwtPublicKey>(std::move(key).value());
}

Result<std::vector<JwtPublicKey>> ParseUnguarded(std::string_view json, const JwksLimits& limits,
                                                 std::vector<std::string>* skipped) {
  if (json.size() > limits.max_bytes) {
    return Status::LimitExceeded("JWK set larger than " + std::to_string(limits.max_bytes) +
                                 " bytes");
  }
  std::optional<Json> doc = internal::ParseStrictJson(json, limits.max_json_depth);
  if (!doc) {
    return Status::Malformed(
        "JWK set is not a JSON object (or repeats a member name, or nests deeper than " +
        std::to_string(limits.max_json_depth) + ")");
  }
  auto keys = doc->find("keys");
  if (keys == doc->end() || !keys->is_array()) {
    return Status::Malformed("JWK set has no \"keys\" list (RFC 7517 5)");
  }
  if (keys->size() > limits.max_keys) {
    return Status::LimitExceeded("JWK set has more than " + std::to_string(limits.max_keys) +
                                 " keys");
  }
  std::vector<JwtPublicKey> out;
  std::size_t index = 0;
  for (const Json& jwk : *keys) {
    std::string skip;
    BASTION_ASSIGN_OR_RETURN(std::optional<JwtPublicKey> key,
                             DecodeKey(jwk, index++, limits, skip));
    if (key) {
      out.push_back(std::move(*key));
    } else if (skipped != nullptr) {
      skipped->push_back(std::move(skip));
    }
  }
  if (out.empty()) {
    return Status::Malformed("JWK set has no usable signing key (RSA, EC P-256 or Ed25519)");
  }
  return out;
}

}  // namespace

Result<std::vector<JwtPublicKey>> ParseJwks(std::string_view json, const JwksLimits& limits,
                                            std::vector<std::string>* skipped) {
  // The one boundary around nlohmann and OpenSSL here: a surprise is a refusal, not a crash.
  try {
    return ParseUnguarded(json, limits, skipped);
  } catch (...) {
    return Status::Malformed("JWK set could not be processed");
  }
}

Result<std::vector<JwtPublicKey>> LoadJwksFile(const std::string& path, const JwksLimits& limits,
                                               std::vector<std::string>* skipped) {
  std::unique_ptr<std::FILE, FileClose> f(std::fopen(path.c_str(), "rb"));
  if (f == nullptr) return Status::NotFound("cannot open JWK set file " + path);
  std::string text;
  char buf[4096];
  std::size_t n = 0;
  // One byte past the limit is enough to know the file is too large.
  while (text.size() <= limits.max_bytes && (n = std::fread(buf, 1, sizeof buf, f.get())) > 0) {
    text.append(buf, n);
  }
  if (std::ferror(f.get()) != 0) return Status::Unavailable("cannot read JWK set file " + path);
  Result<std::vector<JwtPublicKey>> keys = ParseJwks(text, limits, skipped);
  if (!keys.ok()) return keys.status().WithContext(path);
  return keys;
}

}  // namespace bastion::security
