// WriteBufferPool: page-aligned buffers in which an instance is received whole, so that it
// reaches the disk with one direct write (O_DIRECT) instead of through the page cache.
//
// Writing through the page cache costs, per received byte, a copy into a freshly found page,
// its dirty accounting, its writeback and finally its reclaim; a direct write is a DMA from
// the buffer. The buffers are reused (not returned to the allocator), so their pages are
// touched once. At most `max_buffers` exist: past that, or for an instance larger than a
// buffer, the blob writes through the page cache as before (see filesystem_storage.h).
// Thread-safety: Acquire and the release of a buffer are safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace bastion::store {

// A leased buffer: returned to its pool when the last reference goes (the pool lives as long).
using WriteBuffer = std::shared_ptr<std::uint8_t>;

class WriteBufferPool : public std::enable_shared_from_this<WriteBufferPool> {
 public:
  // The alignment of every buffer, and the unit of a direct write.
  static constexpr std::size_t kAlignment = 4096;

  // buffer_bytes is rounded up to kAlignment; max_buffers 0 disables direct writes.
  static std::shared_ptr<WriteBufferPool> Make(std::size_t buffer_bytes, std::size_t max_buffers);
  ~WriteBufferPool();
  WriteBufferPool(const WriteBufferPool&) = delete;
  WriteBufferPool& operator=(const WriteBufferPool&) = delete;

  // A free buffer of buffer_bytes(), or nullptr when max_buffers are leased already.
  WriteBuffer Acquire();
  std::size_t buffer_bytes() const { return buffer_bytes_; }

 private:
  WriteBufferPool(std::size_t buffer_bytes, std::size_t max_buffers)
      : buffer_bytes_(buffer_bytes), max_buffers_(max_buffers) {}
  void Release(std::uint8_t* buffer);

  const std::size_t buffer_bytes_;
  const std::size_t max_buffers_;
  std::mutex mutex_;
  std::vector<std::uint8_t*> free_;  // most recently released last: its pages are warm
  std::size_t allocated_ = 0;
};

}  // namespace bastion::store
