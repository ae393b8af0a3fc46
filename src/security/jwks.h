// JSON Web Key Sets (RFC 7517 5): the public keys an OAuth2 / OpenID Connect issuer publishes
// for its access tokens, decoded into the JwtPublicKeys a JwtVerifier takes.
//
// Decoded kinds: RSA (RFC 7518 6.3.1, "n" >= 2048 bits, "e" odd and > 1) for RS256, EC on
// P-256 (RFC 7518 6.2.1, "x" and "y" of 32 bytes, the point checked to be on the curve) for
// ES256, and OKP Ed25519 (RFC 8037 2, "x" of 32 bytes) for EdDSA. "kid" becomes key_id.
// The rule for what a set may hold: keys we would not use are skipped (an unknown "kty",
// "use" other than "sig", "key_ops" without "verify", a JWS "alg" we do not implement, a curve
// we do not implement), because issuers publish such keys beside their signing keys (e.g.
// RSA-OAEP encryption keys). A key of a kind we do use that is broken or inconsistent refuses
// the whole set (a member missing or of the wrong type, bad base64url, a coordinate of the
// wrong length, an "alg" that contradicts the key, a weak RSA key): stricter than the SHOULD
// of RFC 7517 5, because a damaged key in a set we rely on means the set is not what the
// issuer meant to publish. Private or symmetric key material ("d", "p", "q", "dp", "dq",
// "qi", "oth", "k") in any key, even one we would skip, refuses the set: the issuer's secrets
// have leaked, and a set that carries them must not be trusted silently.
// A set with no usable key is Malformed. Fetching a set from its URL is not done here.
// Pure: no files or clocks except LoadJwksFile. Bounded by JwksLimits, checked before parsing.
// Thread-safety: stateless functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "security/jwt.h"

namespace bastion::security {

struct JwksLimits {
  std::size_t max_bytes = 256 * 1024;  // a large provider's set is a few kilobytes
  std::size_t max_keys = 64;           // entries in "keys", usable or not
  // Containers nested this deep are refused; the root object is depth 0, "keys" 1, a key 2,
  // arrays in a key ("key_ops", "x5c") 3.
  int max_json_depth = 4;
  // Every verification costs time that grows with the modulus; an issuer has no reason to use
  // more than this, and a bound keeps a hostile set from making each request expensive.
  std::size_t max_rsa_bits = 8192;
  std::size_t max_key_id_bytes = 256;
};

// The usable keys of a JWK Set, in the set's order. `skipped` (optional) receives one line per
// skipped key saying which and why, for the operator's log.
Result<std::vector<JwtPublicKey>> ParseJwks(std::string_view json, const JwksLimits& limits = {},
                                            std::vector<std::string>* skipped = nullptr);

// Reads a JWK Set file (at most limits.max_bytes) and parses it. A key set is public: the file
// may be readable by others.
Result<std::vector<JwtPublicKey>> LoadJwksFile(const std::string& path,
                                               const JwksLimits& limits = {},
                                               std::vector<std::string>* skipped = nullptr);

}  // namespace bastion::security
