#include "security/password_hash.h"

#include <argon2.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <charconv>
#include <vector>

namespace bastion::security {
namespace {

constexpr std::string_view kAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789";

// Parses one "name=value" pair of the PHC parameter string.
bool ParseParam(std::string_view item, char name, std::uint32_t& out) {
  if (item.size() < 3 || item[0] != name || item[1] != '=') return false;
  std::string_view digits = item.substr(2);
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), out);
  return ec == std::errc() && ptr == digits.data() + digits.size();
}

// Checks the "$argon2id$v=19$m=..,t=..,p=..$" prefix and bounds the cost parameters before
// libargon2 allocates anything.
Status CheckEncodedParams(std::string_view encoded) {
  constexpr std::string_view kPrefix = "$argon2id$v=19$";
  if (encoded.substr(0, kPrefix.size()) != kPrefix) {
    return Status::Malformed("stored password hash is not an Argon2id (v=19) hash");
  }
  std::string_view rest = encoded.substr(kPrefix.size());
  std::size_t end = rest.find('$');
  if (end == std::string_view::npos) return Status::Malformed("stored password hash is truncated");
  std::string_view params = rest.substr(0, end);
  std::uint32_t m = 0, t = 0, p = 0;
  std::size_t c1 = params.find(',');
  std::size_t c2 = c1 == std::string_view::npos ? c1 : params.find(',', c1 + 1);
  if (c2 == std::string_view::npos || !ParseParam(params.substr(0, c1), 'm', m) ||
      !ParseParam(params.substr(c1 + 1, c2 - c1 - 1), 't', t) ||
      !ParseParam(params.substr(c2 + 1), 'p', p)) {
    return Status::Malformed("stored password hash has unreadable parameters");
  }
  if (m > kMaxArgon2MemoryKib || t > kMaxArgon2TimeCost || p > kMaxArgon2Parallelism || t == 0 ||
      p == 0) {
    return Status::LimitExceeded("stored password hash has cost parameters outside the bounds");
  }
  return Status::Ok();
}

}  // namespace

Result<std::string> HashPassword(std::string_view password, const Argon2Params& params) {
  if (password.empty()) return Status::Malformed("password is empty");
  if (password.size() > kMaxPasswordBytes) {
    return Status::LimitExceeded("password is longer than " + std::to_string(kMaxPasswordBytes) +
                                 " bytes");
  }
  if (params.memory_kib > kMaxArgon2MemoryKib || params.time_cost > kMaxArgon2TimeCost ||
      params.parallelism > kMaxArgon2Parallelism || params.salt_bytes < 16 ||
      params.salt_bytes > 64 || params.hash_bytes < 16 || params.hash_bytes > 64) {
    return Status::Malformed("Argon2 parameters out of range");
  }
  std::vector<unsigned char> salt(params.salt_bytes);
  if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1) {
    return Status::Internal("random generator failed while creating a salt");
  }
  std::size_t len = argon2_encodedlen(params.time_cost, params.memory_kib, params.parallelism,
                                      params.salt_bytes, params.hash_bytes, Argon2_id);
  std::string encoded(len, '\0');
  int rc = argon2id_hash_encoded(params.time_cost, params.memory_kib, params.parallelism,
                                 password.data(), password.size(), salt.data(), salt.size(),
                                 params.hash_bytes, encoded.data(), encoded.size());
  if (rc != ARGON2_OK) {
    return Status::Internal(std::string("Argon2id hashing failed: ") + argon2_error_message(rc));
  }
  encoded.resize(encoded.find('\0'));
  return encoded;
}

Status VerifyPassword(std::string_view password, const std::string& encoded) {
  BASTION_RETURN_IF_ERROR(CheckEncodedParams(encoded));
  // Over-long passwords cannot match a hash we made; still do the same work so the answer
  // does not arrive sooner.
  std::string_view input = password.size() > kMaxPasswordBytes ? std::string_view() : password;
  int rc = argon2id_verify(encoded.c_str(), input.data(), input.size());
  if (rc == ARGON2_OK && !input.empty()) return Status::Ok();
  if (rc == ARGON2_OK || rc == ARGON2_VERIFY_MISMATCH) {
    return Status::Unauthenticated("password does not match");
  }
  return Status::Malformed(std::string("stored password hash cannot be verified: ") +
                           argon2_error_message(rc));
}

Result<std::string> GeneratePassword(std::size_t length) {
  if (length < 16 || length > 256) return Status::Malformed("password length must be 16..256");
  // Largest multiple of the alphabet size that fits in a byte: bytes at or above it are
  // rejected so that `byte % size` is uniform.
  constexpr unsigned kLimit = 256 - (256 % kAlphabet.size());
  std::string out;
  out.reserve(length);
  unsigned char buf[64];
  while (out.size() < length) {
    if (RAND_bytes(buf, sizeof buf) != 1) {
      OPENSSL_cleanse(buf, sizeof buf);
      return Status::Internal("random generator failed while generating a password");
    }
    for (unsigned char b : buf) {
      if (b >= kLimit) continue;
      out.push_back(kAlphabet[b % kAlphabet.size()]);
      if (out.size() == length) break;
    }
  }
  OPENSSL_cleanse(buf, sizeof buf);
  return out;
}

Status CheckPasswordPolicy(std::string_view password) {
  if (password.size() < kMinPasswordLength) {
    return Status::Malformed("password must be at least " + std::to_string(kMinPasswordLength) +
                             " characters; omit it to have a random one generated");
  }
  if (password.size() > kMaxPasswordBytes) {
    return Status::LimitExceeded("password is longer than " + std::to_string(kMaxPasswordBytes) +
                                 " bytes");
  }
  for (char c : password) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) return Status::Malformed("password contains a control character");
  }
  return Status::Ok();
}

}  // namespace bastion::security
