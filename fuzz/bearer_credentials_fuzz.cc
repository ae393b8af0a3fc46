// libFuzzer target: the credentials an HTTP caller controls. Byte 0 chooses:
//   even  the rest is a bearer token for TokenStore::Verify (security/token_store.h)
//   odd   the rest is a JWKS document for ParseJwks (security/jwks.h), as an issuer serves it
// Invariants checked (a violation aborts): Verify accepts exactly the one real token of the
// store; ParseJwks never returns an empty key set as success. ASan/UBSan catch the rest.
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "security/jwks.h"
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
  std::vector<std::string> skipped;
  auto keys = bastion::security::ParseJwks(text, {}, &skipped);
  if (keys.ok() && keys->empty()) std::abort();
  return 0;
}
