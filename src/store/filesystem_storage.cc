#include "store/filesystem_storage.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>

#include "base/mapped_file.h"

namespace bastion::store {

namespace {

constexpr std::size_t kBufferBytes = 256 * 1024;
constexpr std::size_t kDirectWriteBytes = 64 * 1024;

std::string Errno(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

Status IoError(const std::string& what, const std::string& path) {
  if (errno == ENOSPC || errno == EDQUOT) {
    return Status::LimitExceeded(Errno(what, path) + " (free disk space or raise the quota)");
  }
  return Status::Unavailable(Errno(what, path));
}

Status MakeDir(const std::string& path) {
  if (::mkdir(path.c_str(), 0700) == 0 || errno == EEXIST) return Status::Ok();
  return IoError("cannot create directory", path);
}

Status FsyncPath(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return IoError("cannot open directory", path);
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return IoError("cannot fsync directory", path);
  return Status::Ok();
}

constexpr std::string_view kCommittedSuffix = ".dcm";
constexpr std::string_view kTemporarySuffix = ".part";

bool IsHexPair(const char* name) {
  auto hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); };
  return std::strlen(name) == 2 && hex(name[0]) && hex(name[1]);
}

std::string FanOutDir(const std::string& root, int i) {
  static constexpr char kHex[] = "0123456789abcdef";
  return root + "/" + kHex[i >> 4] + kHex[i & 15];
}

// `<id>.part`: a file being received (or left by an interrupted transfer).
bool IsTemporaryName(std::string_view name) {
  return name.size() == 32 + kTemporarySuffix.size() && name.ends_with(kTemporarySuffix) &&
         BlobId::Parse(name.substr(0, 32)).ok();
}

// A held file read back: the lease keeps its buffer out of the pool while anything parsed
// from it is alive.
class HeldBytes final : public ByteSource {
 public:
  HeldBytes(WriteBuffer buffer, std::size_t size) : buffer_(std::move(buffer)), size_(size) {}
  std::span<const std::uint8_t> bytes() const override { return {buffer_.get(), size_}; }

 private:
  WriteBuffer buffer_;
  std::size_t size_;
};

// Writes all of `bytes` at `offset`: 0, or the errno of the failure.
int PwriteAll(int fd, std::span<const std::uint8_t> bytes, std::uint64_t offset) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n =
        ::pwrite(fd, bytes.data() + done, bytes.size() - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    done += static_cast<std::size_t>(n);
  }
  return 0;
}

bool SetDirect(int fd, bool on) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0) return false;
  return ::fcntl(fd, F_SETFL, on ? (flags | O_DIRECT) : (flags & ~O_DIRECT)) == 0;
}

}  // namespace

PendingBlob::PendingBlob(BlobId id, int fd, std::string temp_path, std::string final_path,
                         std::string final_dir, WriteBuffer held, std::size_t held_capacity)
    : id_(std::move(id)),
      fd_(fd),
      temp_path_(std::move(temp_path)),
      final_path_(std::move(final_path)),
      final_dir_(std::move(final_dir)),
      held_(std::move(held)),
      held_capacity_(held_ ? held_capacity : 0) {
  if (!held_) buffer_.reserve(kBufferBytes);
}

PendingBlob::~PendingBlob() { Discard(); }

void PendingBlob::Discard() {
  held_.reset();
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  if (!committed_ && !temp_path_.empty()) {
    ::unlink(temp_path_.c_str());
    temp_path_.clear();
  }
}

Status PendingBlob::WriteAt(std::span<const std::uint8_t> bytes) {
  if (fd_ < 0) return Status::Internal("write to a closed blob");
  if (const int error = PwriteAll(fd_, bytes, written_); error != 0) {
    errno = error;
    return IoError("cannot write", temp_path_);
  }
  written_ += bytes.size();
  return Status::Ok();
}

Status PendingBlob::WriteAll(std::span<const std::uint8_t> bytes) {
  const std::uint64_t from = written_;
  BASTION_RETURN_IF_ERROR(WriteAt(bytes));
  // Start writing these pages back now (without waiting), so that the fsync at commit has
  // little left to do: the disk works while the rest of the instance is still arriving.
  (void)::sync_file_range(fd_, static_cast<off_t>(from), static_cast<off_t>(bytes.size()),
                          SYNC_FILE_RANGE_WRITE);
  return Status::Ok();
}

Status PendingBlob::WriteHeld() {
  // Whole pages go straight from the buffer to the disk; the tail (under a page), and all of
  // it on a file system without direct I/O (tmpfs) or refusing these alignments, through the
  // page cache.
  const std::size_t direct = size_ / WriteBufferPool::kAlignment * WriteBufferPool::kAlignment;
  if (fd_ >= 0 && direct > 0 && SetDirect(fd_, true)) {
    const int error = PwriteAll(fd_, {held_.get(), direct}, 0);
    SetDirect(fd_, false);
    if (error == 0) {
      written_ = direct;
    } else if (error != EINVAL) {
      errno = error;
      return IoError("cannot write", temp_path_);
    }
  }
  BASTION_RETURN_IF_ERROR(WriteAt({held_.get() + written_, size_ - written_}));
  held_.reset();
  return Status::Ok();
}

Status PendingBlob::Flush() {
  if (buffer_.empty()) return Status::Ok();
  BASTION_RETURN_IF_ERROR(WriteAll(buffer_));
  buffer_.clear();
  return Status::Ok();
}

Status PendingBlob::Write(std::span<const std::uint8_t> bytes) {
  if (held_) {
    if (bytes.size() <= held_capacity_ - size_) {
      std::memcpy(held_.get() + size_, bytes.data(), bytes.size());
      size_ += bytes.size();
      return Status::Ok();
    }
    // Larger than a buffer: what is held, and the rest, go through the page cache.
    const Status spilled =
        size_ > 0 ? WriteAll({held_.get(), static_cast<std::size_t>(size_)}) : Status::Ok();
    held_.reset();
    BASTION_RETURN_IF_ERROR(spilled);
    buffer_.reserve(kBufferBytes);
  }
  size_ += bytes.size();
  // Large pieces (a PDV of a data set is typically 16 KiB to 1 MiB) go straight to the kernel;
  // only small ones are gathered, so that each write(2) carries at least 64 KiB.
  if (bytes.size() >= kDirectWriteBytes) {
    BASTION_RETURN_IF_ERROR(Flush());
    return WriteAll(bytes);
  }
  if (buffer_.size() + bytes.size() > kBufferBytes) BASTION_RETURN_IF_ERROR(Flush());
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
  return Status::Ok();
}

Result<std::shared_ptr<const ByteSource>> PendingBlob::Contents() {
  if (held_) return std::shared_ptr<const ByteSource>(std::make_shared<HeldBytes>(held_, size_));
  BASTION_RETURN_IF_ERROR(Flush());
  BASTION_ASSIGN_OR_RETURN(auto mapped, MappedFile::Open(temp_path_));
  return std::shared_ptr<const ByteSource>(std::move(mapped));
}

Status PendingBlob::Commit() {
  BASTION_RETURN_IF_ERROR(held_ ? WriteHeld() : Flush());
  if (::fsync(fd_) != 0) return IoError("cannot fsync", temp_path_);
  // The file is on the disk now, and its pages in memory are clean: let them go at once. A
  // server receiving hundreds of megabytes a second would otherwise fill the page cache with
  // instances nobody has asked for yet, and pay for it at every write (fresh pages to find, and
  // old ones to reclaim, often clean pages of what viewers are reading). Measured on STOW-RS:
  // about a sixth less server CPU per instance. A later read (WADO, C-MOVE) reads the file from
  // the disk; the index, the metadata and what viewers read stay cached.
  (void)::posix_fadvise(fd_, 0, 0, POSIX_FADV_DONTNEED);
  ::close(fd_);
  fd_ = -1;
  if (::rename(temp_path_.c_str(), final_path_.c_str()) != 0) {
    return IoError("cannot rename into", final_path_);
  }
  committed_ = true;
  temp_path_.clear();
  return FsyncPath(final_dir_);
}

Result<std::unique_ptr<FilesystemStorage>> FilesystemStorage::Open(const std::string& root,
                                                                   const StorageOptions& options) {
  BASTION_RETURN_IF_ERROR(MakeDir(root));
  // The 256 fan-out directories exist before the first instance, so that a commit never has to
  // create (and fsync) a directory: one fsync of the file and one of its directory per instance.
  bool created = false;
  for (int i = 0; i < 256; ++i) {
    const std::string dir = FanOutDir(root, i);
    struct stat st {};
    if (::stat(dir.c_str(), &st) == 0) continue;
    BASTION_RETURN_IF_ERROR(MakeDir(dir));
    created = true;
  }
  if (created) BASTION_RETURN_IF_ERROR(FsyncPath(root));
  return std::unique_ptr<FilesystemStorage>(new FilesystemStorage(
      root, WriteBufferPool::Make(options.direct_write_max_bytes, options.direct_write_buffers)));
}

std::uint64_t FilesystemStorage::SweepTemporaryFiles() {
  // A .part file was never committed: an interrupted transfer. It is not an instance.
  std::uint64_t removed = 0;
  auto sweep = [&removed](const std::string& dir, bool everything) {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return;
    while (dirent* e = ::readdir(d)) {
      if (e->d_name[0] == '.') continue;
      if (!everything && !IsTemporaryName(e->d_name)) continue;
      if (::unlink((dir + "/" + e->d_name).c_str()) == 0) ++removed;
    }
    ::closedir(d);
  };
  for (int i = 0; i < 256; ++i) sweep(FanOutDir(root_, i), false);
  // Earlier builds received into ROOT/tmp/: empty it, then remove it.
  const std::string legacy = root_ + "/tmp";
  sweep(legacy, true);
  ::rmdir(legacy.c_str());
  return removed;
}

Result<std::unique_ptr<PendingBlob>> FilesystemStorage::Begin() {
  BlobId id = BlobId::Generate();
  // Received next to where it will be committed: the rename stays within one directory (one
  // directory changed and locked instead of two), and concurrent transfers create their files
  // in different directories instead of all contending for one.
  const std::string dir = root_ + "/" + id.str().substr(0, 2);
  std::string temp = dir + "/" + id.str() + std::string(kTemporarySuffix);
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return IoError("cannot create", temp);
  std::string final_path = PathOf(id);
  return std::unique_ptr<PendingBlob>(
      new PendingBlob(std::move(id), fd, std::move(temp), std::move(final_path), dir,
                      buffers_->Acquire(), buffers_->buffer_bytes()));
}

std::string FilesystemStorage::PathOf(const BlobId& id) const {
  const std::string& s = id.str();
  return root_ + "/" + s.substr(0, 2) + "/" + s + std::string(kCommittedSuffix);
}

Status FilesystemStorage::Remove(const BlobId& id) {
  const std::string path = PathOf(id);
  if (::unlink(path.c_str()) != 0) {
    if (errno == ENOENT) return Status::NotFound("no stored file " + path);
    return IoError("cannot remove", path);
  }
  return Status::Ok();
}

Result<DiskSpace> FilesystemStorage::Space() const {
  struct statvfs vfs {};
  if (::statvfs(root_.c_str(), &vfs) != 0) return IoError("cannot statvfs", root_);
  return DiskSpace{static_cast<std::uint64_t>(vfs.f_bavail) * vfs.f_frsize,
                   static_cast<std::uint64_t>(vfs.f_blocks) * vfs.f_frsize};
}

Status FilesystemStorage::ForEachBlob(const std::function<void(const BlobId&)>& visit,
                                      const std::function<void(const std::string&)>& stray) const {
  DIR* top = ::opendir(root_.c_str());
  if (top == nullptr) return IoError("cannot list", root_);
  while (dirent* a = ::readdir(top)) {
    if (!IsHexPair(a->d_name)) continue;
    const std::string level = root_ + "/" + a->d_name;
    DIR* d = ::opendir(level.c_str());
    if (d == nullptr) continue;
    while (dirent* f = ::readdir(d)) {
      if (f->d_name[0] == '.') continue;
      const std::string name = f->d_name;
      if (IsTemporaryName(name)) continue;  // a transfer in progress, not (yet) an instance
      auto id = name.size() == 32 + kCommittedSuffix.size() && name.ends_with(kCommittedSuffix)
                    ? BlobId::Parse(std::string_view(name).substr(0, 32))
                    : Result<BlobId>(Status::Malformed(""));
      if (id.ok() && id->str().compare(0, 2, a->d_name) == 0) {
        visit(*id);
      } else {
        stray(level + "/" + name);
      }
    }
    ::closedir(d);
  }
  ::closedir(top);
  return Status::Ok();
}

}  // namespace bastion::store
