// Lower-case hexadecimal encoding of bytes (fingerprints, digests in messages).
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace bastion {

inline std::string ToHex(std::span<const std::uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (std::uint8_t b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 0x0F];
  }
  return out;
}

}  // namespace bastion
