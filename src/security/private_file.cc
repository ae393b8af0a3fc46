#include "security/private_file.h"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace bastion::security {
namespace {

std::string Errno(std::string_view what, const std::string& path) {
  return std::string(what) + " " + path + ": " + std::strerror(errno);
}

FileStamp StampOf(const struct stat& st) {
  FileStamp s;
  s.device = static_cast<std::uint64_t>(st.st_dev);
  s.inode = static_cast<std::uint64_t>(st.st_ino);
  s.size = static_cast<std::int64_t>(st.st_size);
  s.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  s.ctime_ns = static_cast<std::int64_t>(st.st_ctim.tv_sec) * 1000000000 + st.st_ctim.tv_nsec;
  return s;
}

std::string DirectoryOf(const std::string& path) {
  std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

}  // namespace

Result<FileStamp> StatFile(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Status::NotFound(path + " does not exist");
    return Status::Unavailable(Errno("cannot stat", path));
  }
  return StampOf(st);
}

Result<std::string> ReadPrivateFile(const std::string& path, std::size_t max_bytes,
                                    FileStamp* stamp) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
  if (fd.get() < 0) {
    if (errno == ENOENT) return Status::NotFound(path + " does not exist");
    if (errno == ELOOP) {
      return Status::PermissionDenied(path + " is a symbolic link; replace it with the file");
    }
    return Status::Unavailable(Errno("cannot open", path));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return Status::Unavailable(Errno("cannot stat", path));
  if (!S_ISREG(st.st_mode)) return Status::PermissionDenied(path + " is not a regular file");
  if ((st.st_mode & 077) != 0) {
    return Status::PermissionDenied(path + " is accessible by other users; run: chmod 600 " + path);
  }
  if (st.st_size < 0 || static_cast<std::uint64_t>(st.st_size) > max_bytes) {
    return Status::LimitExceeded(path + " is larger than " + std::to_string(max_bytes) + " bytes");
  }
  std::string out(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::read(fd.get(), out.data() + done, out.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::Unavailable(Errno("cannot read", path));
    if (n == 0) break;  // shrank while reading; the caller's parse will notice
    done += static_cast<std::size_t>(n);
  }
  out.resize(done);
  if (stamp != nullptr) *stamp = StampOf(st);
  return out;
}

Status WritePrivateFileAtomically(const std::string& path, std::string_view contents,
                                  FileStamp* stamp) {
  unsigned char rnd[8];
  if (RAND_bytes(rnd, sizeof rnd) != 1) return Status::Internal("random generator failed");
  std::string suffix;
  for (unsigned char b : rnd) {
    static constexpr char kHex[] = "0123456789abcdef";
    suffix += kHex[b >> 4];
    suffix += kHex[b & 15];
  }
  const std::string tmp = path + ".tmp-" + suffix;
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (fd.get() < 0) return Status::Unavailable(Errno("cannot create", tmp));
  auto fail = [&](std::string_view what) {
    Status s = Status::Unavailable(Errno(what, tmp));
    ::unlink(tmp.c_str());
    return s;
  };
  if (::fchmod(fd.get(), 0600) != 0) return fail("cannot chmod");
  std::size_t done = 0;
  while (done < contents.size()) {
    ssize_t n = ::write(fd.get(), contents.data() + done, contents.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail("cannot write");
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd.get()) != 0) return fail("cannot fsync");
  if (::close(fd.release()) != 0) return fail("cannot close");
  if (::rename(tmp.c_str(), path.c_str()) != 0) return fail("cannot rename into place");
  const std::string dir = DirectoryOf(path);
  Fd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dfd.get() < 0 || ::fsync(dfd.get()) != 0) {
    return Status::Unavailable(Errno("cannot fsync directory", dir));
  }
  if (stamp != nullptr) {
    BASTION_ASSIGN_OR_RETURN(*stamp, StatFile(path));
  }
  return Status::Ok();
}

Result<FileLock> FileLock::Acquire(const std::string& path) {
  const std::string lock_path = path + ".lock";
  int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return Status::Unavailable(Errno("cannot open lock file", lock_path));
  while (::flock(fd, LOCK_EX) != 0) {
    if (errno == EINTR) continue;
    Status s = Status::Unavailable(Errno("cannot lock", lock_path));
    ::close(fd);
    return s;
  }
  return FileLock(fd);
}

FileLock& FileLock::operator=(FileLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

}  // namespace bastion::security
