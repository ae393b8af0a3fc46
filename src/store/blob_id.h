// BlobId: the server-generated name of a stored instance file.
//
// 128 random bits from the operating system's CSPRNG, written as 32 lower-case hex digits. It is
// the only thing a storage path is made of: nothing a caller sends (UIDs, AE titles, file names)
// ever reaches the file system. Parse() accepts exactly that form, so an id read back from the
// index cannot name anything outside the store either.
// Thread-safety: a value type.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace bastion::store {

class BlobId {
 public:
  static BlobId Generate();
  // Exactly 32 lower-case hex digits, else Malformed.
  static Result<BlobId> Parse(std::string_view text);

  const std::string& str() const { return text_; }
  friend bool operator==(const BlobId&, const BlobId&) = default;

 private:
  explicit BlobId(std::string text) : text_(std::move(text)) {}
  std::string text_;
};

}  // namespace bastion::store
