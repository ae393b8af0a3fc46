#include "store/write_buffer_pool.h"

#include <cstdlib>

namespace bastion::store {

std::shared_ptr<WriteBufferPool> WriteBufferPool::Make(std::size_t buffer_bytes,
                                                       std::size_t max_buffers) {
  const std::size_t rounded = (buffer_bytes + kAlignment - 1) / kAlignment * kAlignment;
  return std::shared_ptr<WriteBufferPool>(new WriteBufferPool(rounded, max_buffers));
}

WriteBufferPool::~WriteBufferPool() {
  for (std::uint8_t* buffer : free_) std::free(buffer);
}

WriteBuffer WriteBufferPool::Acquire() {
  std::uint8_t* buffer = nullptr;
  {
    std::lock_guard lock(mutex_);
    if (!free_.empty()) {
      buffer = free_.back();
      free_.pop_back();
    } else if (allocated_ < max_buffers_ && buffer_bytes_ > 0) {
      buffer = static_cast<std::uint8_t*>(std::aligned_alloc(kAlignment, buffer_bytes_));
      if (buffer != nullptr) ++allocated_;
    }
  }
  if (buffer == nullptr) return nullptr;
  // The lease keeps the pool alive, so that a buffer can be released after the storage closed.
  return WriteBuffer(buffer, [pool = shared_from_this()](std::uint8_t* b) { pool->Release(b); });
}

void WriteBufferPool::Release(std::uint8_t* buffer) {
  std::lock_guard lock(mutex_);
  free_.push_back(buffer);
}

}  // namespace bastion::store
