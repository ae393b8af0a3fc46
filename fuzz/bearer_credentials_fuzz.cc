// libFuzzer target: the credentials an HTTP caller controls. Byte 0 chooses:
//   even     the rest is a bearer token for TokenStore::Verify (security/token_store.h)
//   1 mod 4  the rest is a JWKS document for ParseJwks (security/jwks.h), as an issuer serves it
//   3 mod 4  the rest is a JWT payload for the claim rules (IdentityFromClaims, jwt_internal.h):
//            dotted claim paths, roles, and the scope claim in both its shapes
// Invariants checked (a violation aborts): Verify accepts exactly the one real token of the
// store; ParseJwks never returns an empty key set as success; an identity from claims has a
// usable user, at most max_roles roles and a scope within max_scope_values whose labels are
// valid. ASan/UBSan catch the rest.
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "security/jwks.h"
#include "security/jwt_internal.h"
#include "security/scope.h"
#include "security/token_store.h"

namespace {

using bastion::security::TokenStore;

struct Fixture {
  std::unique_ptr<TokenStore> store;
  std::string good;
};

const std::chrono::system_clock::time_point kNow{std::chrono::seconds(1'700'000'000)};

Fixture& TheFixture() {
  static Fixture* fixture = [] {
    char dir[] = "/tmp/bastion-token-fuzz-XXXXXX";
    if (::mkdtemp(dir) == nullptr) std::abort();
    bastion::security::TokenStoreOptions options;
    options.create_if_missing = true;
    auto* f = new Fixture;
    f->store = TokenStore::Load(std::string(dir) + "/tokens.json", options).value();
    f->good = f->store->Create("alice", std::chrono::hours(1), "fuzz", kNow).value().second;
    return f;
  }();
  return *fixture;
}

// Two claim configurations: Keycloak's nested roles with a top-level scope claim, and
// top-level roles with a nested scope claim and another username claim.
const std::vector<bastion::security::JwtIssuer>& ClaimIssuers() {
  static const auto* issuers = [] {
    auto* list = new std::vector<bastion::security::JwtIssuer>(2);
    (*list)[0].roles_claim = "realm_access.roles";
    (*list)[0].scope_claim = "bastion_scope";
    (*list)[1].username_claim = "preferred_username";
    (*list)[1].scope_claim = "bastion.scope";
    return list;
  }();
  return *issuers;
}

void CheckClaims(std::string_view text) {
  const bastion::security::JwtLimits limits;
  auto payload = bastion::security::internal::ParseStrictJson(text, limits.max_json_depth);
  if (!payload) return;
  for (const auto& issuer : ClaimIssuers()) {
    auto identity = bastion::security::internal::IdentityFromClaims(*payload, issuer, limits);
    if (!identity.ok()) {
      if (identity.status().code() != bastion::StatusCode::kUnauthenticated) std::abort();
      continue;
    }
    if (identity->user.empty() || identity->user.size() > limits.max_username_bytes) std::abort();
    if (identity->roles.size() > limits.max_roles) std::abort();
    std::size_t values = 0;
    for (const auto& condition : identity->scope.conditions) {
      if (condition.values.empty()) std::abort();
      values += condition.values.size();
      for (const auto& v : condition.values) {
        if (condition.attribute == bastion::security::ScopeAttribute::kLabel &&
            !bastion::security::ValidateLabel(v).ok()) {
          std::abort();
        }
      }
    }
    if (values > limits.max_scope_values) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  if ((data[0] & 1) == 0) {
    Fixture& f = TheFixture();
    bastion::security::TokenFailure why = bastion::security::TokenFailure::kNone;
    auto verified = f.store->Verify(text, kNow, &why);
    if (verified.ok() != (text == f.good)) std::abort();
    return 0;
  }
  if ((data[0] & 3) == 1) {
    std::vector<std::string> skipped;
    auto keys = bastion::security::ParseJwks(text, {}, &skipped);
    if (keys.ok() && keys->empty()) std::abort();
    return 0;
  }
  CheckClaims(text);
  return 0;
}
