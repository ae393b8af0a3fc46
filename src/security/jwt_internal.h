// Internal to src/security: what jwt.cc shares with the other JOSE decoders (jwks.cc). It
// names OpenSSL and nlohmann types, so no header outside src/security may include it.
// Thread-safety: stateless functions.
#pragma once

#include <openssl/types.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "security/jwt.h"

namespace bastion::security {

class JwtPublicKeyFactory {
 public:
  // Wraps a public key decoded elsewhere, with the checks FromPem applies (RSA >= 2048 bits
  // for RS256, EC on P-256 for ES256, Ed25519 for EdDSA; anything else Unsupported). Takes
  // ownership of `pkey` on every path, success or not.
  static Result<JwtPublicKey> FromEvpPkey(EVP_PKEY* pkey, std::string key_id);
};

namespace internal {

// Parses a JSON object, refusing duplicate member names (RFC 7515 5.2 allows refusing or
// taking the last; refusing leaves no room for two parsers to disagree) and arrays or objects
// nested `max_depth` deep or more (the root object is depth 0). nullopt on any failure.
std::optional<nlohmann::json> ParseStrictJson(std::string_view text, int max_depth);

// The claim `name` of `payload`: the member of that exact name, else the dotted path into
// nested objects (JwtIssuer). nullptr when absent or when the path has more than
// `max_segments` segments.
const nlohmann::json* FindClaim(const nlohmann::json& payload, std::string_view name,
                                std::size_t max_segments);

// The identity the claims of a verified token speak for (user, roles, scope), per the
// issuer's claim names; Unauthenticated with a fixed description when a claim is unusable.
// Split from Verify so the claim rules can be fuzzed without signing each input.
Result<Identity> IdentityFromClaims(const nlohmann::json& payload, const JwtIssuer& issuer,
                                    const JwtLimits& limits);

}  // namespace internal
}  // namespace bastion::security
