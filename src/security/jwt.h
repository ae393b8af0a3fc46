// JSON Web Token verification (RFC 7519) for User Identity Negotiation type 5 (PS3.7
// D.3.3.7) and, later, DICOMweb bearer tokens (PS3.18, IHE IUA).
//
// Accepts compact JWS (RFC 7515 7.1) signed with RS256 (RSA >= 2048 bits), ES256 (P-256, the
// JOSE r||s signature of RFC 7518 3.4) or EdDSA (Ed25519, RFC 8037). "none", HMAC algorithms
// and anything not in the issuer's allow-list are refused; each key is bound to the one
// algorithm its type allows, so a public key can never be used as an HMAC secret. Checks
// exp (required), nbf, iat, iss and aud (RFC 7519 4.1) against a time passed in: no clock
// inside. Bounded: the token size is checked before decoding, JSON depth and duplicate
// member names are refused. Errors are Unauthenticated with a fixed description and never
// contain token contents.
// Claims are found by name or by a dotted path into nested objects ("realm_access.roles", as
// Keycloak emits roles); the roles claim gives Identity::roles and, when configured, the scope
// claim gives Identity::scope, failing closed: a configured scope claim that is missing or
// malformed refuses the token.
// Keys come from the issuer's fixed list and, optionally, from a JwtKeySource whose set may
// change (a JWK Set fetched from the issuer's URL, security/jwks_cache.h); the verifier itself
// does no I/O and asks the source for a newer set only when a token names a key it lacks.
// Thread-safety: a JwtVerifier is immutable after Create(); Verify() may run concurrently
// (a JwtKeySource is thread-safe by contract).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "security/identity.h"

namespace bastion::security {

enum class JwtAlgorithm : std::uint8_t { kRs256, kEs256, kEdDsa };
std::string_view JwtAlgorithmName(JwtAlgorithm alg);  // "RS256", "ES256", "EdDSA"
std::optional<JwtAlgorithm> ParseJwtAlgorithm(std::string_view name);

// A public key for one issuer, usable with exactly one algorithm (RSA: RS256, P-256: ES256,
// Ed25519: EdDSA). Cheap to copy (shared, immutable).
class JwtPublicKey {
 public:
  // PEM "PUBLIC KEY" (SubjectPublicKeyInfo) or a certificate whose public key is used.
  // `key_id` matches the token header's "kid" when both are present.
  static Result<JwtPublicKey> FromPem(std::string_view pem, std::string key_id = "");
  static Result<JwtPublicKey> FromPemFile(const std::string& path, std::string key_id = "");

  JwtAlgorithm algorithm() const { return algorithm_; }
  const std::string& key_id() const { return key_id_; }

  struct Impl;  // holds the EVP_PKEY; defined in jwt.cc
  const Impl& impl() const { return *impl_; }

 private:
  friend class JwtPublicKeyFactory;  // jwt_internal.h: keys decoded elsewhere (JWKS)
  JwtPublicKey(std::shared_ptr<const Impl> impl, JwtAlgorithm alg, std::string key_id)
      : impl_(std::move(impl)), algorithm_(alg), key_id_(std::move(key_id)) {}
  std::shared_ptr<const Impl> impl_;
  JwtAlgorithm algorithm_;
  std::string key_id_;
};

using JwtKeyList = std::vector<JwtPublicKey>;

// Keys of one issuer that may change while the verifier runs (key rotation). Implementations
// must be thread-safe; Keys() is on every verification's path and should not block.
class JwtKeySource {
 public:
  virtual ~JwtKeySource() = default;
  // The current keys; never null (empty while none is known yet).
  virtual std::shared_ptr<const JwtKeyList> Keys() const = 0;
  // Called when a token names a "kid" that no current key has, or when there is no key yet:
  // the source may look for a newer set (rate-limited, so forged kids cannot make it hammer
  // the issuer) and returns the keys to try, possibly the same as before. May block for as
  // long as one fetch may take.
  virtual std::shared_ptr<const JwtKeyList> KeysForUnknownKid() = 0;
};

struct JwtIssuer {
  std::string issuer;                  // exact "iss"
  std::vector<std::string> audiences;  // the token's "aud" must contain one (required)
  std::vector<JwtAlgorithm> allowed_algorithms;
  std::vector<JwtPublicKey> keys;            // fixed keys (PEM files, a JWKS file): always kept
  std::shared_ptr<JwtKeySource> key_source;  // optional: keys that change (a JWKS URL)
  // Claim names: a member of the payload, or, when the payload has no member of that exact
  // name, a path of member names joined by dots into nested objects ("realm_access.roles").
  // The exact name wins so that URL-shaped names ("https://example.org/roles") keep working.
  std::string roles_claim = "roles";  // array of strings, or one string
  std::string username_claim = "sub";
  // Empty: no scope claim (the identity may see every study its roles allow). Otherwise the
  // claim is required and is either an object {"institution": ["A"], "label": ["x"]} (the
  // shape of ScopeToJson) or the `--scope` arguments: a list of "ATTRIBUTE=VALUE" strings, or
  // one such string. {} is "all studies"; an empty list is refused (it grants nothing, and
  // an IdP emits it when an attribute was never set).
  std::string scope_claim;
  std::chrono::seconds clock_skew{60};
};

struct JwtLimits {
  std::size_t max_token_bytes = 8 * 1024;
  int max_json_depth = 8;
  std::size_t max_roles = 64;
  std::size_t max_username_bytes = 256;
  std::size_t max_scope_values = 64;        // values over all attributes of the scope claim
  std::size_t max_scope_entry_bytes = 320;  // one "ATTRIBUTE=VALUE" string
  std::size_t max_claim_path_segments = 6;  // "a.b.c": 3
};

class JwtVerifier {
 public:
  // Refuses incomplete issuer configurations (no audience, no algorithm, no key, a key whose
  // type is not among the allowed algorithms, duplicate issuers).
  static Result<JwtVerifier> Create(std::vector<JwtIssuer> issuers, JwtLimits limits = {});

  // The identity (source kJwt) the token speaks for, or Unauthenticated with the reason.
  Result<Identity> Verify(std::string_view token, std::chrono::system_clock::time_point now) const;

 private:
  JwtVerifier(std::vector<JwtIssuer> issuers, JwtLimits limits)
      : issuers_(std::move(issuers)), limits_(limits) {}
  std::vector<JwtIssuer> issuers_;
  JwtLimits limits_;
};

// RFC 7515 Appendix C base64url without padding; strict: refuses padding, whitespace,
// characters outside the alphabet, impossible lengths and non-zero trailing bits.
std::optional<std::string> Base64UrlDecode(std::string_view text);
std::string Base64UrlEncode(std::string_view bytes);

}  // namespace bastion::security
