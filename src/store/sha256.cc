#include "store/sha256.h"

#include <openssl/evp.h>

#include <array>
#include <cstdlib>

#include "base/hex.h"

namespace bastion::store {

struct Sha256::Ctx {
  EVP_MD_CTX* md = nullptr;
  ~Ctx() { EVP_MD_CTX_free(md); }
};

namespace {
void Reset(EVP_MD_CTX* md) {
  // Only allocation failure makes these fail; there is no meaningful way to continue.
  if (md == nullptr || EVP_DigestInit_ex(md, EVP_sha256(), nullptr) != 1) std::abort();
}
}  // namespace

Sha256::Sha256() : ctx_(std::make_unique<Ctx>()) {
  ctx_->md = EVP_MD_CTX_new();
  Reset(ctx_->md);
}
Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::Update(std::span<const std::uint8_t> bytes) {
  if (!bytes.empty()) EVP_DigestUpdate(ctx_->md, bytes.data(), bytes.size());
}

std::string Sha256::FinishHex() {
  std::array<std::uint8_t, EVP_MAX_MD_SIZE> out{};
  unsigned int n = 0;
  EVP_DigestFinal_ex(ctx_->md, out.data(), &n);
  Reset(ctx_->md);
  return ToHex(std::span<const std::uint8_t>(out.data(), n));
}

}  // namespace bastion::store
