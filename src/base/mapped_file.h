// MappedFile: a read-only memory map of a whole file, exposed as a ByteSource.
//
// Used by the CLI and storage to hand files to the (I/O-free) DICOM reader without reading
// them into the heap. The file's size is fixed at open; callers must not truncate a mapped file.
// Thread-safety: immutable after Open; safe to share.
#pragma once

#include <memory>
#include <string>

#include "base/byte_source.h"
#include "base/status.h"

namespace bastion {

class MappedFile final : public ByteSource {
 public:
  // Maps `path` read-only. Empty files are valid and map to an empty span.
  static Result<std::shared_ptr<const MappedFile>> Open(const std::string& path);

  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile() override;

  std::span<const std::uint8_t> bytes() const override { return {data_, size_}; }

 private:
  MappedFile(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}

  const std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace bastion
