#include "store/blob_id.h"

#include <openssl/rand.h>

#include <array>
#include <cstdlib>

#include "base/hex.h"

namespace bastion::store {

BlobId BlobId::Generate() {
  std::array<std::uint8_t, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    // Without a working CSPRNG no id is safe to hand out; this is not a recoverable state.
    std::abort();
  }
  return BlobId(ToHex(bytes));
}

Result<BlobId> BlobId::Parse(std::string_view text) {
  if (text.size() != 32) return Status::Malformed("a blob id has 32 hex digits");
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return Status::Malformed("a blob id has only lower-case hex digits");
    }
  }
  return BlobId(std::string(text));
}

}  // namespace bastion::store
