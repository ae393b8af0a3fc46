// Incremental SHA-256 (FIPS 180-4) over OpenSSL's EVP interface, for instance digests.
// Thread-safety: one hasher per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

namespace bastion::store {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;

  void Update(std::span<const std::uint8_t> bytes);
  // 64 lower-case hex digits; the hasher starts over afterwards.
  std::string FinishHex();

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

}  // namespace bastion::store
