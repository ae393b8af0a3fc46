// FilesystemStorage: instance files under one directory, written crash-safely.
//
//   ROOT/<ab>/<id>.part       being received; removed on discard, swept after a crash
//   ROOT/<ab>/<id>.dcm        committed; ab is the id's first hex pair (256 directories, made
//                             when the storage is first opened)
//
// A write goes to a temporary file; Commit() fsyncs it, renames it to its final name in the
// same directory and fsyncs the directory, so after a crash a committed path holds the whole
// file and an uncommitted one holds nothing. An instance that fits a write buffer (see
// write_buffer_pool.h) is held in memory until Commit(), which writes it with one direct write;
// a larger one, or one arriving when every buffer is in use, goes through the page cache. Paths are
// made only from BlobIds (server-made; see blob_id.h). The format is documented in
// docs/formats/storage.md. Thread-safety: the storage object is safe to share; each PendingBlob
// belongs to one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/byte_source.h"
#include "base/status.h"
#include "store/blob_id.h"
#include "store/write_buffer_pool.h"

namespace bastion::store {

class FilesystemStorage;

// A file being written. Destroying it without Commit() removes the temporary file.
class PendingBlob {
 public:
  ~PendingBlob();
  PendingBlob(const PendingBlob&) = delete;
  PendingBlob& operator=(const PendingBlob&) = delete;

  // Appends bytes (held or buffered). LimitExceeded when the disk is full, Unavailable on I/O
  // errors.
  Status Write(std::span<const std::uint8_t> bytes);
  // Everything written so far, to be read back (validated) before Commit(): the held buffer,
  // or the temporary file mapped once its buffer is flushed. Valid as long as it is referenced.
  Result<std::shared_ptr<const ByteSource>> Contents();
  std::uint64_t size() const { return size_; }
  const BlobId& id() const { return id_; }
  const std::string& temp_path() const { return temp_path_; }
  // fsync, rename into place, fsync the directory. After success the blob is durable.
  Status Commit();
  // Removes the temporary file now (also done by the destructor).
  void Discard();

 private:
  friend class FilesystemStorage;
  Status Flush();
  Status WriteAt(std::span<const std::uint8_t> bytes);  // at written_, advancing it
  Status WriteAll(std::span<const std::uint8_t> bytes);
  Status WriteHeld();
  PendingBlob(BlobId id, int fd, std::string temp_path, std::string final_path,
              std::string final_dir, WriteBuffer held, std::size_t held_capacity);

  BlobId id_;
  int fd_ = -1;
  std::string temp_path_;
  std::string final_path_;
  std::string final_dir_;
  WriteBuffer held_;  // the whole file so far while it fits (null otherwise)
  std::size_t held_capacity_ = 0;
  std::vector<std::uint8_t> buffer_;  // small writes gathered when not held
  std::uint64_t size_ = 0;            // bytes written, buffered or not
  std::uint64_t written_ = 0;         // bytes handed to the kernel
  bool committed_ = false;
};

struct DiskSpace {
  std::uint64_t free_bytes = 0;  // available to this process
  std::uint64_t total_bytes = 0;
};

struct StorageOptions {
  // Instances up to this size are held in memory while they arrive and reach the disk with one
  // direct write (storage.direct_write_max_bytes); larger ones go through the page cache.
  std::size_t direct_write_max_bytes = 4u << 20;
  // At most this many are held at once (storage.direct_write_buffers; 0 disables direct writes).
  // Memory: up to their product, only the pages instances actually filled being resident.
  std::size_t direct_write_buffers = 32;
};

class FilesystemStorage {
 public:
  // Creates ROOT (0700) and the 256 fan-out directories if missing.
  static Result<std::unique_ptr<FilesystemStorage>> Open(const std::string& root,
                                                         const StorageOptions& options = {});
  // Removes the temporary files of interrupted transfers (and ROOT/tmp/, where earlier builds
  // received them); only safe when no other process is writing to this storage. It reads every
  // directory, so it belongs with the reconciliation after an unclean stop: a clean stop leaves
  // no temporary file. Returns how many were removed.
  std::uint64_t SweepTemporaryFiles();

  Result<std::unique_ptr<PendingBlob>> Begin();
  std::string PathOf(const BlobId& id) const;
  // Removes a committed file; NotFound if it is not there.
  Status Remove(const BlobId& id);
  Result<DiskSpace> Space() const;
  const std::string& root() const { return root_; }

  // Calls `visit` for every committed file name that parses as a BlobId (start-up
  // reconciliation); other names are reported through `stray`, except temporary files
  // (transfers in progress).
  Status ForEachBlob(const std::function<void(const BlobId&)>& visit,
                     const std::function<void(const std::string& path)>& stray) const;

 private:
  FilesystemStorage(std::string root, std::shared_ptr<WriteBufferPool> buffers)
      : root_(std::move(root)), buffers_(std::move(buffers)) {}
  std::string root_;
  std::shared_ptr<WriteBufferPool> buffers_;
};

}  // namespace bastion::store
