// Private state files (users.json, peers.json): bounded reads that refuse files other users
// can read or write, atomic replacement (temporary file in the same directory, fsync, rename,
// fsync of the directory) with mode 0600, change detection for hot reload, and an advisory
// lock that serialises writers across processes (`bastion user add` while the server runs).
// Thread-safety: stateless functions; a FileLock is owned by one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace bastion::security {

// Identifies one version of a file; any rewrite through WritePrivateFileAtomically changes the
// inode, and edits in place change size, mtime or ctime.
struct FileStamp {
  std::uint64_t device = 0;
  std::uint64_t inode = 0;
  std::int64_t size = -1;
  std::int64_t mtime_ns = 0;
  std::int64_t ctime_ns = 0;
  bool operator==(const FileStamp&) const = default;
};

// NotFound when the file does not exist.
Result<FileStamp> StatFile(const std::string& path);

// Reads a regular file of at most `max_bytes`. Refuses symbolic links and files whose mode
// grants any access to group or others (PermissionDenied, naming the fix). `stamp` receives
// the identity of the version actually read.
Result<std::string> ReadPrivateFile(const std::string& path, std::size_t max_bytes,
                                    FileStamp* stamp);

// Replaces `path` atomically with `contents`, mode 0600. `stamp` receives the new identity.
Status WritePrivateFileAtomically(const std::string& path, std::string_view contents,
                                  FileStamp* stamp);

// An exclusive flock on `path` + ".lock" (created 0600), released on destruction.
class FileLock {
 public:
  static Result<FileLock> Acquire(const std::string& path);
  FileLock(FileLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  FileLock& operator=(FileLock&& other) noexcept;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock();

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace bastion::security
