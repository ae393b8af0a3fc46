// ByteSource: an immutable, shared block of bytes that parsed values may point into.
//
// The DICOM reader keeps large values (pixel data, anything above a threshold) as references
// into the source instead of copying them, so a 2 GB file mapped from disk costs page cache, not
// heap. Whoever holds a reference holds a shared_ptr to the source, so the bytes outlive parsing.
// Thread-safety: immutable after construction; safe to share between threads.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace bastion {

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  virtual std::span<const std::uint8_t> bytes() const = 0;
};

// Bytes owned in memory (tests, inflated deflate streams, network buffers).
class OwnedBytes final : public ByteSource {
 public:
  explicit OwnedBytes(std::vector<std::uint8_t> data) : data_(std::move(data)) {}
  std::span<const std::uint8_t> bytes() const override { return data_; }

  static std::shared_ptr<const ByteSource> Make(std::vector<std::uint8_t> data) {
    return std::make_shared<OwnedBytes>(std::move(data));
  }

 private:
  std::vector<std::uint8_t> data_;
};

}  // namespace bastion
