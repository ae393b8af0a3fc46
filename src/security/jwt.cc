#include "security/jwt.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <set>

#include "security/jwt_internal.h"

namespace bastion::security {

struct JwtPublicKey::Impl {
  explicit Impl(EVP_PKEY* k) : pkey(k) {}
  ~Impl() { EVP_PKEY_free(pkey); }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  EVP_PKEY* pkey;
};

namespace {

using Json = nlohmann::json;

Status Refuse(std::string message) { return Status::Unauthenticated(std::move(message)); }

int Base64UrlValue(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

}  // namespace

namespace internal {

// Parses JSON refusing duplicate member names (RFC 7515 5.2 allows either refusing or taking
// the last; refusing leaves no room for two parsers to disagree) and nesting beyond `max_depth`.
std::optional<Json> ParseStrictJson(std::string_view text, int max_depth) {
  bool bad = false;
  std::vector<std::set<std::string>> keys;
  Json::parser_callback_t callback = [&](int depth, Json::parse_event_t event, Json& parsed) {
    switch (event) {
      case Json::parse_event_t::object_start:
        if (depth >= max_depth) bad = true;
        keys.emplace_back();
        break;
      case Json::parse_event_t::array_start:
        if (depth >= max_depth) bad = true;
        break;
      case Json::parse_event_t::object_end:
        if (!keys.empty()) keys.pop_back();
        break;
      case Json::parse_event_t::key:
        if (keys.empty() || !parsed.is_string() ||
            !keys.back().insert(parsed.get<std::string>()).second) {
          bad = true;
        }
        break;
      default:
        break;
    }
    return true;
  };
  Json doc = Json::parse(text.begin(), text.end(), callback, /*allow_exceptions=*/false);
  if (bad || doc.is_discarded() || !doc.is_object()) return std::nullopt;
  return doc;
}

}  // namespace internal

namespace {

struct PkeyCtx {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~PkeyCtx() { EVP_MD_CTX_free(ctx); }
};

// r||s (RFC 7518 3.4) to the DER ECDSA-Sig-Value OpenSSL verifies.
std::optional<std::string> JoseToDerSignature(std::string_view jose) {
  if (jose.size() != 64) return std::nullopt;
  ECDSA_SIG* sig = ECDSA_SIG_new();
  if (sig == nullptr) return std::nullopt;
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(jose.data()), 32, nullptr);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(jose.data()) + 32, 32, nullptr);
  if (r == nullptr || s == nullptr || ECDSA_SIG_set0(sig, r, s) != 1) {
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    return std::nullopt;
  }
  unsigned char* der = nullptr;
  int len = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  if (len <= 0) return std::nullopt;
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(len));
  OPENSSL_free(der);
  return out;
}

bool VerifySignature(const JwtPublicKey& key, std::string_view signing_input,
                     std::string_view signature) {
  std::string der;
  const EVP_MD* md = EVP_sha256();
  switch (key.algorithm()) {
    case JwtAlgorithm::kRs256:
      break;
    case JwtAlgorithm::kEs256: {
      std::optional<std::string> converted = JoseToDerSignature(signature);
      if (!converted) return false;
      der = std::move(*converted);
      signature = der;
      break;
    }
    case JwtAlgorithm::kEdDsa:
      if (signature.size() != 64) return false;
      md = nullptr;  // Ed25519 is a one-shot scheme with its own hash
      break;
  }
  PkeyCtx c;
  bool ok =
      c.ctx != nullptr && EVP_DigestVerifyInit(c.ctx, nullptr, md, nullptr, key.impl().pkey) == 1 &&
      EVP_DigestVerify(
          c.ctx, reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
          reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size()) == 1;
  ERR_clear_error();
  return ok;
}

std::optional<double> NumericDate(const Json& payload, const char* name, bool* present) {
  auto it = payload.find(name);
  *present = it != payload.end();
  if (!*present || !it->is_number()) return std::nullopt;
  double v = it->get<double>();
  if (!std::isfinite(v)) return std::nullopt;
  return v;
}

bool IsUsableName(const std::string& s, std::size_t max) {
  if (s.empty() || s.size() > max) return false;
  return std::none_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7F;
  });
}

bool HasKeyId(const JwtKeyList& keys, const std::string& kid) {
  return std::any_of(keys.begin(), keys.end(),
                     [&](const JwtPublicKey& k) { return k.key_id() == kid; });
}

// Claim name checks for Create: a name or a dotted path, short enough to print.
bool IsUsableClaimName(const std::string& name) { return IsUsableName(name, 256); }

// The scope claim in either of its two shapes (JwtIssuer::scope_claim). Every failure is one
// fixed description: the reason could echo claim contents, which are the issuer's business.
Result<Scope> ScopeFromClaim(const Json& claim, const JwtLimits& limits) {
  const Status malformed = Refuse("JWT scope claim is malformed");
  if (claim.is_object()) {
    std::size_t values = 0;
    for (const auto& [name, list] : claim.items()) {
      if (!list.is_array()) return malformed;
      values += list.size();
    }
    if (values > limits.max_scope_values) return Refuse("JWT scope claim has too many values");
    Result<Scope> scope = ScopeFromJson(claim);
    if (!scope.ok()) return malformed;
    return scope;
  }
  std::vector<std::string> arguments;
  if (claim.is_string()) {
    arguments.push_back(claim.get<std::string>());
  } else if (claim.is_array()) {
    if (claim.empty()) return malformed;
    if (claim.size() > limits.max_scope_values) {
      return Refuse("JWT scope claim has too many values");
    }
    for (const Json& entry : claim) {
      if (!entry.is_string()) return malformed;
      arguments.push_back(entry.get<std::string>());
    }
  } else {
    return malformed;
  }
  for (const std::string& a : arguments) {
    if (a.size() > limits.max_scope_entry_bytes) return malformed;
  }
  Result<Scope> scope = ParseScopeArguments(arguments);
  if (!scope.ok()) return malformed;
  return scope;
}

Result<Identity> VerifyUnguarded(const std::vector<JwtIssuer>& issuers, const JwtLimits& limits,
                                 std::string_view token,
                                 std::chrono::system_clock::time_point now) {
  if (token.size() > limits.max_token_bytes) {
    return Refuse("JWT is larger than " + std::to_string(limits.max_token_bytes) + " bytes");
  }
  std::size_t dot1 = token.find('.');
  std::size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return Refuse("JWT is not a compact JWS (three base64url parts separated by dots)");
  }
  std::string_view header_b64 = token.substr(0, dot1);
  std::string_view payload_b64 = token.substr(dot1 + 1, dot2 - dot1 - 1);
  std::string_view signature_b64 = token.substr(dot2 + 1);
  std::optional<std::string> header_text = Base64UrlDecode(header_b64);
  std::optional<std::string> payload_text = Base64UrlDecode(payload_b64);
  std::optional<std::string> signature = Base64UrlDecode(signature_b64);
  if (!header_text || !payload_text || !signature || header_b64.empty() || payload_b64.empty()) {
    return Refuse("JWT is not valid base64url");
  }
  std::optional<Json> header = internal::ParseStrictJson(*header_text, limits.max_json_depth);
  if (!header) return Refuse("JWT header is not a valid JSON object");
  auto alg_it = header->find("alg");
  if (alg_it == header->end() || !alg_it->is_string()) return Refuse("JWT header has no alg");
  const std::string alg_name = alg_it->get<std::string>();
  std::string alg_lower = alg_name;
  std::transform(alg_lower.begin(), alg_lower.end(), alg_lower.begin(),
                 [](char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); });
  if (alg_lower == "none") return Refuse("unsigned JWT (alg none) refused");
  std::optional<JwtAlgorithm> alg = ParseJwtAlgorithm(alg_name);
  if (!alg) return Refuse("JWT algorithm is not supported (RS256, ES256, EdDSA only)");
  if (header->contains("crit")) return Refuse("JWT uses critical header extensions");
  std::string kid;
  if (auto it = header->find("kid"); it != header->end()) {
    if (!it->is_string()) return Refuse("JWT header kid is not a string");
    kid = it->get<std::string>();
  }
  if (signature->empty()) return Refuse("JWT has no signature");

  std::optional<Json> payload = internal::ParseStrictJson(*payload_text, limits.max_json_depth);
  if (!payload) return Refuse("JWT payload is not a valid JSON object");
  auto iss_it = payload->find("iss");
  if (iss_it == payload->end() || !iss_it->is_string()) return Refuse("JWT has no issuer");
  const std::string& iss = iss_it->get_ref<const std::string&>();
  auto issuer = std::find_if(issuers.begin(), issuers.end(),
                             [&](const JwtIssuer& i) { return i.issuer == iss; });
  if (issuer == issuers.end()) return Refuse("JWT issuer is not trusted");
  if (std::find(issuer->allowed_algorithms.begin(), issuer->allowed_algorithms.end(), *alg) ==
      issuer->allowed_algorithms.end()) {
    return Refuse("JWT algorithm is not allowed for this issuer");
  }

  const std::string_view signing_input = token.substr(0, dot2);
  auto verified_by = [&](const JwtKeyList& keys) {
    for (const JwtPublicKey& key : keys) {
      if (key.algorithm() != *alg) continue;
      if (!kid.empty() && !key.key_id().empty() && kid != key.key_id()) continue;
      if (VerifySignature(key, signing_input, *signature)) return true;
    }
    return false;
  };
  bool verified = verified_by(issuer->keys);
  if (!verified && issuer->key_source) {
    std::shared_ptr<const JwtKeyList> current = issuer->key_source->Keys();
    verified = current && verified_by(*current);
    // A kid we have never seen may be a key the issuer has just rotated in; the source
    // decides whether to look (it rate-limits), so a forged kid costs at most one fetch
    // per interval however many tokens carry it.
    if (!verified && (!current || current->empty() ||
                      (!kid.empty() && !HasKeyId(issuer->keys, kid) && !HasKeyId(*current, kid)))) {
      std::shared_ptr<const JwtKeyList> newer = issuer->key_source->KeysForUnknownKid();
      if (newer && newer != current) verified = verified_by(*newer);
    }
  }
  if (!verified) return Refuse("JWT signature is not valid");

  // Only signed tokens get here: the claims below come from the issuer.
  const double now_s = std::chrono::duration<double>(now.time_since_epoch()).count();
  const double skew = static_cast<double>(issuer->clock_skew.count());
  bool present = false;
  std::optional<double> exp = NumericDate(*payload, "exp", &present);
  if (!exp) return Refuse("JWT has no valid exp claim");
  if (now_s > *exp + skew) return Refuse("JWT has expired");
  std::optional<double> nbf = NumericDate(*payload, "nbf", &present);
  if (present && !nbf) return Refuse("JWT nbf claim is not a number");
  if (nbf && *nbf > now_s + skew) return Refuse("JWT is not yet valid (nbf)");
  std::optional<double> iat = NumericDate(*payload, "iat", &present);
  if (present && !iat) return Refuse("JWT iat claim is not a number");
  if (iat && *iat > now_s + skew) return Refuse("JWT was issued in the future (iat)");

  auto aud_it = payload->find("aud");
  bool aud_ok = false;
  auto accept = [&](const Json& a) {
    if (a.is_string() && std::find(issuer->audiences.begin(), issuer->audiences.end(),
                                   a.get_ref<const std::string&>()) != issuer->audiences.end()) {
      aud_ok = true;
    }
  };
  if (aud_it != payload->end()) {
    if (aud_it->is_array()) {
      for (const Json& a : *aud_it) accept(a);
    } else {
      accept(*aud_it);
    }
  }
  if (!aud_ok) return Refuse("JWT audience does not match");

  return internal::IdentityFromClaims(*payload, *issuer, limits);
}

}  // namespace

std::string_view JwtAlgorithmName(JwtAlgorithm alg) {
  switch (alg) {
    case JwtAlgorithm::kRs256:
      return "RS256";
    case JwtAlgorithm::kEs256:
      return "ES256";
    case JwtAlgorithm::kEdDsa:
      return "EdDSA";
  }
  return "unknown";
}

std::optional<JwtAlgorithm> ParseJwtAlgorithm(std::string_view name) {
  for (JwtAlgorithm a : {JwtAlgorithm::kRs256, JwtAlgorithm::kEs256, JwtAlgorithm::kEdDsa}) {
    if (JwtAlgorithmName(a) == name) return a;
  }
  return std::nullopt;
}

Result<JwtPublicKey> JwtPublicKey::FromPem(std::string_view pem, std::string key_id) {
  if (pem.size() > 1024 * 1024) return Status::LimitExceeded("PEM key larger than 1 MiB");
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (bio == nullptr) return Status::Internal("BIO_new_mem_buf failed");
  EVP_PKEY* pkey = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  if (pkey == nullptr) {
    (void)BIO_reset(bio);
    X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
    if (cert != nullptr) {
      pkey = X509_get_pubkey(cert);
      X509_free(cert);
    }
  }
  BIO_free(bio);
  ERR_clear_error();
  if (pkey == nullptr) {
    return Status::Malformed("no PEM public key or certificate found");
  }
  return JwtPublicKeyFactory::FromEvpPkey(pkey, std::move(key_id));
}

Result<JwtPublicKey> JwtPublicKeyFactory::FromEvpPkey(EVP_PKEY* pkey, std::string key_id) {
  if (pkey == nullptr) return Status::Internal("no key to wrap");
  using Impl = JwtPublicKey::Impl;
  auto impl = std::make_shared<const Impl>(pkey);
  switch (EVP_PKEY_get_base_id(pkey)) {
    case EVP_PKEY_RSA:
      if (EVP_PKEY_get_bits(pkey) < 2048) {
        return Status::Unsupported("RSA keys for JWT must have at least 2048 bits");
      }
      return JwtPublicKey(std::move(impl), JwtAlgorithm::kRs256, std::move(key_id));
    case EVP_PKEY_EC: {
      char group[64] = {};
      std::size_t len = 0;
      if (EVP_PKEY_get_group_name(pkey, group, sizeof group, &len) != 1 ||
          std::string_view(group, len) != SN_X9_62_prime256v1) {
        return Status::Unsupported("EC keys for JWT must be on curve P-256 (ES256)");
      }
      return JwtPublicKey(std::move(impl), JwtAlgorithm::kEs256, std::move(key_id));
    }
    case EVP_PKEY_ED25519:
      return JwtPublicKey(std::move(impl), JwtAlgorithm::kEdDsa, std::move(key_id));
    default:
      return Status::Unsupported("JWT keys must be RSA, EC P-256 or Ed25519");
  }
}

Result<JwtPublicKey> JwtPublicKey::FromPemFile(const std::string& path, std::string key_id) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return Status::NotFound("cannot open JWT key file " + path);
  std::string pem;
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0 && pem.size() <= 1024 * 1024) {
    pem.append(buf, n);
  }
  std::fclose(f);
  Result<JwtPublicKey> key = FromPem(pem, std::move(key_id));
  if (!key.ok()) return key.status().WithContext(path);
  return key;
}

namespace internal {

const Json* FindClaim(const Json& payload, std::string_view name, std::size_t max_segments) {
  if (!payload.is_object() || name.empty()) return nullptr;
  if (auto it = payload.find(name); it != payload.end()) return &*it;
  const Json* at = &payload;
  std::size_t segments = 0;
  while (true) {
    const std::size_t dot = name.find('.');
    const std::string_view segment = name.substr(0, dot);
    if (segment.empty() || ++segments > max_segments || !at->is_object()) return nullptr;
    auto it = at->find(segment);
    if (it == at->end()) return nullptr;
    at = &*it;
    if (dot == std::string_view::npos) return at;
    name.remove_prefix(dot + 1);
  }
}

Result<Identity> IdentityFromClaims(const Json& payload, const JwtIssuer& issuer,
                                    const JwtLimits& limits) {
  Identity identity;
  identity.source = Identity::Source::kJwt;
  const Json* user = FindClaim(payload, issuer.username_claim, limits.max_claim_path_segments);
  if (user == nullptr || !user->is_string() ||
      !IsUsableName(user->get_ref<const std::string&>(), limits.max_username_bytes)) {
    return Refuse("JWT has no usable " + issuer.username_claim + " claim");
  }
  identity.user = user->get<std::string>();
  if (const Json* roles = FindClaim(payload, issuer.roles_claim, limits.max_claim_path_segments)) {
    auto add_role = [&](const Json& r) -> bool {
      if (!r.is_string() || !IsUsableName(r.get_ref<const std::string&>(), 64)) return false;
      identity.roles.push_back(r.get<std::string>());
      return true;
    };
    if (roles->is_array()) {
      if (roles->size() > limits.max_roles) return Refuse("JWT carries too many roles");
      for (const Json& r : *roles) {
        if (!add_role(r)) return Refuse("JWT roles claim has a value that is not a role name");
      }
    } else if (!add_role(*roles)) {
      return Refuse("JWT roles claim is neither a string nor a list of strings");
    }
  }
  if (!issuer.scope_claim.empty()) {
    const Json* scope = FindClaim(payload, issuer.scope_claim, limits.max_claim_path_segments);
    if (scope == nullptr) return Refuse("JWT has no scope claim");
    BASTION_ASSIGN_OR_RETURN(identity.scope, ScopeFromClaim(*scope, limits));
  }
  return identity;
}

}  // namespace internal

Result<JwtVerifier> JwtVerifier::Create(std::vector<JwtIssuer> issuers, JwtLimits limits) {
  std::set<std::string> seen;
  for (const JwtIssuer& i : issuers) {
    const std::string ctx = "JWT issuer '" + i.issuer + "'";
    if (i.issuer.empty()) return Status::Malformed("a JWT issuer needs its iss value");
    if (!seen.insert(i.issuer).second) return Status::Conflict(ctx + " is configured twice");
    if (i.audiences.empty()) return Status::Malformed(ctx + " needs at least one audience");
    if (i.allowed_algorithms.empty()) return Status::Malformed(ctx + " allows no algorithm");
    if (i.keys.empty() && !i.key_source) return Status::Malformed(ctx + " has no public key");
    if (!IsUsableClaimName(i.username_claim) || !IsUsableClaimName(i.roles_claim) ||
        (!i.scope_claim.empty() && !IsUsableClaimName(i.scope_claim))) {
      return Status::Malformed(ctx +
                               " needs usable username and roles claim names (and scope, "
                               "when given): 1-256 printable characters");
    }
    if (i.clock_skew < std::chrono::seconds(0) || i.clock_skew > std::chrono::minutes(10)) {
      return Status::Malformed(ctx + " clock skew must be 0..600 seconds");
    }
    for (const JwtPublicKey& k : i.keys) {
      if (std::find(i.allowed_algorithms.begin(), i.allowed_algorithms.end(), k.algorithm()) ==
          i.allowed_algorithms.end()) {
        return Status::Malformed(ctx + " has a " + std::string(JwtAlgorithmName(k.algorithm())) +
                                 " key but does not allow that algorithm");
      }
    }
  }
  if (limits.max_token_bytes == 0 || limits.max_json_depth < 1 ||
      limits.max_claim_path_segments == 0) {
    return Status::Malformed("JWT limits must be positive");
  }
  return JwtVerifier(std::move(issuers), limits);
}

Result<Identity> JwtVerifier::Verify(std::string_view token,
                                     std::chrono::system_clock::time_point now) const {
  // The one boundary around nlohmann and OpenSSL: anything unexpected is a refusal.
  try {
    return VerifyUnguarded(issuers_, limits_, token, now);
  } catch (...) {
    return Refuse("JWT could not be processed");
  }
}

std::optional<std::string> Base64UrlDecode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3 + 2);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v = Base64UrlValue(c);
    if (v < 0) return std::nullopt;
    acc = ((acc << 6) | static_cast<std::uint32_t>(v)) & 0xFFFFu;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  // Leftover bits must be zero, so each byte string has exactly one encoding.
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

std::string Base64UrlEncode(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char ch : bytes) {
    acc = ((acc << 8) | static_cast<unsigned char>(ch)) & 0xFFFFu;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlphabet[(acc >> bits) & 0x3F]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(acc << (6 - bits)) & 0x3F]);
  return out;
}

}  // namespace bastion::security
