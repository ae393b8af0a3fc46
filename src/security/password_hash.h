// Password hashing with Argon2id (RFC 9106) and generation of random passwords.
//
// Hashes are PHC-encoded strings ("$argon2id$v=19$m=...,t=...,p=...$salt$hash") so the
// parameters travel with each hash and can be raised later without breaking old ones.
// Defaults exceed the OWASP Password Storage Cheat Sheet minimums for Argon2id (m=19 MiB, t=2,
// p=1): m=64 MiB, t=3, p=1. Tests may pass cheaper parameters (Argon2Params::ForTesting()).
// Verification is constant-time in the hash comparison (libargon2 does it). Passwords are
// never logged and never appear in any Status message.
// Thread-safety: stateless functions; safe to call concurrently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace bastion::security {

struct Argon2Params {
  std::uint32_t time_cost = 3;           // iterations
  std::uint32_t memory_kib = 64 * 1024;  // 64 MiB
  std::uint32_t parallelism = 1;
  std::uint32_t salt_bytes = 16;
  std::uint32_t hash_bytes = 32;

  // Far below production strength; for unit tests only, where hashing runs hundreds of times.
  static Argon2Params ForTesting() { return {1, 64, 1, 16, 32}; }
};

// Bounds applied to parameters read back from a stored hash, so that a damaged or hostile
// users file cannot make verification allocate gigabytes or spin for minutes.
inline constexpr std::uint32_t kMaxArgon2MemoryKib = 1024 * 1024;  // 1 GiB
inline constexpr std::uint32_t kMaxArgon2TimeCost = 64;
inline constexpr std::uint32_t kMaxArgon2Parallelism = 16;

// Passwords longer than this are refused before hashing (keeps the work per attempt bounded).
inline constexpr std::size_t kMaxPasswordBytes = 1024;
// Chosen passwords (user add --password-stdin, passwd) must be at least this long.
inline constexpr std::size_t kMinPasswordLength = 12;

// Hashes `password` with a fresh 16-byte salt from the OpenSSL CSPRNG.
Result<std::string> HashPassword(std::string_view password, const Argon2Params& params = {});

// Ok when `password` matches `encoded`; Unauthenticated on mismatch; Malformed when `encoded`
// is not an Argon2id hash within the bounds above. The message never contains the password.
Status VerifyPassword(std::string_view password, const std::string& encoded);

// A random password of `length` characters (at least 16) from an alphabet without look-alike
// characters (no 0/O/o, 1/l/I), drawn with rejection sampling so every character is uniform.
// 24 characters carry about 139 bits of entropy.
Result<std::string> GeneratePassword(std::size_t length = 24);

// Minimum policy for passwords chosen by a person: length within [kMinPasswordLength,
// kMaxPasswordBytes], no control characters. Generated passwords always pass.
Status CheckPasswordPolicy(std::string_view password);

}  // namespace bastion::security
