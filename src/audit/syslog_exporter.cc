#include "audit/syslog_exporter.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstring>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

#include "audit/chained_log.h"
#include "base/utc_time.h"

namespace bastion::audit {

namespace {

using SslCtx = std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)>;
using Ssl = std::unique_ptr<SSL, decltype(&SSL_free)>;

struct Cursor {
  std::uint64_t seq = 0;     // the last record delivered
  std::uint64_t offset = 0;  // where the next record starts in the log
};

Cursor ReadCursor(const std::string& path) {
  Cursor c;
  std::ifstream in(path);
  in >> c.seq >> c.offset;
  if (!in) return Cursor{};
  return c;
}

void WriteCursor(const std::string& path, const Cursor& c) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << c.seq << " " << c.offset << "\n";
    out.flush();
    if (!out) return;
  }
  if (int fd = ::open(tmp.c_str(), O_RDONLY | O_CLOEXEC); fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
  ::rename(tmp.c_str(), path.c_str());
}

// One connection to the collector.
class Connection {
 public:
  ~Connection() { Close(); }

  Status Open(const SyslogCollector& c) {
    ctx_.reset(SSL_CTX_new(TLS_client_method()));
    if (!ctx_) return Status::Internal("cannot create a TLS context");
    SSL_CTX_set_min_proto_version(ctx_.get(), TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx_.get(), SSL_VERIFY_PEER, nullptr);
    if (SSL_CTX_load_verify_locations(ctx_.get(), c.ca_file.c_str(), nullptr) != 1) {
      return Status::Unavailable("cannot read the collector CA " + c.ca_file);
    }
    if (!c.certificate_file.empty() &&
        (SSL_CTX_use_certificate_chain_file(ctx_.get(), c.certificate_file.c_str()) != 1 ||
         SSL_CTX_use_PrivateKey_file(ctx_.get(), c.key_file.c_str(), SSL_FILETYPE_PEM) != 1)) {
      return Status::Unavailable("cannot read our certificate " + c.certificate_file);
    }
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (::getaddrinfo(c.host.c_str(), std::to_string(c.port).c_str(), &hints, &found) != 0) {
      return Status::Unavailable("cannot resolve " + c.host);
    }
    for (addrinfo* a = found; a != nullptr && fd_ < 0; a = a->ai_next) {
      fd_ = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
      if (fd_ < 0) continue;
      timeval timeout{5, 0};
      ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
      ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
      if (::connect(fd_, a->ai_addr, a->ai_addrlen) != 0) {
        ::close(fd_);
        fd_ = -1;
      }
    }
    ::freeaddrinfo(found);
    if (fd_ < 0) return Status::Unavailable("cannot connect to " + c.host);
    ssl_.reset(SSL_new(ctx_.get()));
    SSL_set_fd(ssl_.get(), fd_);
    // The collector's certificate must name it: an IP address (as a SAN) or a host name.
    in6_addr ip{};
    if (::inet_pton(AF_INET, c.host.c_str(), &ip) == 1 ||
        ::inet_pton(AF_INET6, c.host.c_str(), &ip) == 1) {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_.get()), c.host.c_str());
    } else {
      SSL_set_tlsext_host_name(ssl_.get(), c.host.c_str());
      SSL_set1_host(ssl_.get(), c.host.c_str());
    }
    if (SSL_connect(ssl_.get()) != 1) {
      char error[256];
      ERR_error_string_n(ERR_get_error(), error, sizeof error);
      Close();
      return Status::Unavailable(std::string("TLS with the collector failed: ") + error);
    }
    return Status::Ok();
  }

  bool open() const { return fd_ >= 0; }

  Status Write(const std::string& bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
      const int n =
          SSL_write(ssl_.get(), bytes.data() + done,
                    static_cast<int>(std::min<std::size_t>(bytes.size() - done, 1 << 20)));
      if (n <= 0) return Status::Unavailable("the collector connection failed");
      done += static_cast<std::size_t>(n);
    }
    return Status::Ok();
  }

  // Waits until the collector's TCP stack has acknowledged every byte written.
  bool Acknowledged(std::chrono::milliseconds within) {
    const auto until = std::chrono::steady_clock::now() + within;
    while (std::chrono::steady_clock::now() < until) {
      int queued = 0;
      if (::ioctl(fd_, SIOCOUTQ, &queued) != 0) return false;
      if (queued == 0) return true;
      if (!Alive()) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
  }

  // False once the collector closed or reset the connection. It sends no syslog data, but TLS
  // 1.3 servers do send records of their own (session tickets): those are read and consumed
  // without blocking, and only an end of stream or an error counts as a dead connection.
  bool Alive() {
    pollfd p{fd_, POLLIN | POLLRDHUP, 0};
    if (::poll(&p, 1, 0) <= 0) return true;
    if ((p.revents & (POLLERR | POLLHUP | POLLRDHUP)) != 0) return false;
    const int flags = ::fcntl(fd_, F_GETFL);
    ::fcntl(fd_, F_SETFL, flags | O_NONBLOCK);
    char byte;
    const int n = SSL_read(ssl_.get(), &byte, 1);
    const int error = n > 0 ? SSL_ERROR_NONE : SSL_get_error(ssl_.get(), n);
    ::fcntl(fd_, F_SETFL, flags);
    return n > 0 || error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE;
  }

  void Close() {
    if (ssl_) SSL_shutdown(ssl_.get());
    ssl_.reset();
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  SslCtx ctx_{nullptr, SSL_CTX_free};
  Ssl ssl_{nullptr, SSL_free};
  int fd_ = -1;
};

// RFC 5424 message for one record, framed per RFC 5425 (octet counting).
std::string Frame(const AuditEvent& event, std::uint64_t seq, const std::string& time,
                  const SyslogExportPaths& paths) {
  const int severity = event.outcome == AuditOutcome::kSuccess        ? 5
                       : event.outcome == AuditOutcome::kMinorFailure ? 4
                                                                      : 3;
  const std::string message = "<" + std::to_string(10 * 8 + severity) + ">1 " + time + " " +
                              (paths.hostname.empty() ? "-" : paths.hostname) +
                              " bastion - IHE+RFC-3881 [meta sequenceId=\"" + std::to_string(seq) +
                              "\"] \xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"UTF-8\"?>" +
                              ToDicomAuditMessage(event, paths.source);
  return std::to_string(message.size()) + " " + message;
}

}  // namespace

Status ValidateCollectorName(const std::string& name) {
  if (name.empty() || name.size() > 64)
    return Status::Malformed("a collector name has 1-64 characters");
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') {
      return Status::Malformed("a collector name has only letters, digits, '-' and '_'");
    }
  }
  return Status::Ok();
}

SyslogExporter::SyslogExporter(SyslogCollector collector, SyslogExportPaths paths)
    : collector_(std::move(collector)), paths_(std::move(paths)) {}

SyslogExporter::~SyslogExporter() { Stop(); }

void SyslogExporter::Start() {
  ::mkdir(paths_.cursor_dir.c_str(), 0700);
  thread_ = std::thread([this] { Run(); });
}

void SyslogExporter::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool SyslogExporter::Sleep(std::chrono::milliseconds duration) {
  std::unique_lock<std::mutex> lock(mutex_);
  return !wake_.wait_for(lock, duration, [this] { return stopping_; });
}

void SyslogExporter::Run() {
  const std::string cursor_path = paths_.cursor_dir + "/" + collector_.name + ".cursor";
  Cursor cursor = ReadCursor(cursor_path);
  delivered_ = cursor.seq;
  Connection connection;
  std::chrono::seconds retry{1};
  bool final_pass = false;  // stopping: deliver what is there, then return
  while (true) {
    if (!connection.open()) {
      if (!connection.Open(collector_).ok()) {
        if (final_pass || !Sleep(retry)) return;
        retry = std::min(retry * 2, std::chrono::seconds(collector_.max_retry_seconds));
        continue;
      }
      retry = std::chrono::seconds(1);
    }
    // Every complete record after the cursor; the file is opened only when it has grown.
    struct stat st {};
    const bool grown = ::stat(paths_.log_path.c_str(), &st) == 0 &&
                       static_cast<std::uint64_t>(st.st_size) > cursor.offset;
    std::ifstream log;
    if (grown) {
      log.open(paths_.log_path, std::ios::binary);
      log.seekg(static_cast<std::streamoff>(cursor.offset));
    }
    Cursor next = cursor;
    std::string batch, line;
    std::uint64_t consumed = 0;
    LineRead read = LineRead::kEnd;
    while (grown && batch.size() < (4u << 20) &&
           (read = ReadAuditLine(log, line, &consumed)) != LineRead::kEnd &&
           read != LineRead::kPartial) {  // a partial line is a record still being written
      next.offset += consumed;
      if (read == LineRead::kTooLong) continue;  // damage; verify reports it
      const auto j = nlohmann::json::parse(line, nullptr, false);
      if (!j.is_object()) continue;
      if (j.contains("seq") && j["seq"].is_number_unsigned()) {
        next.seq = j["seq"].get<std::uint64_t>();
      }
      auto event = EventFromJson(j);
      if (!event.ok()) continue;  // checkpoints stay local
      batch += Frame(*event, next.seq, UtcTimestamp(event->time), paths_);
    }
    if (next.offset != cursor.offset) {
      if (!batch.empty() &&
          (!connection.Write(batch).ok() || !connection.Acknowledged(std::chrono::seconds(10)))) {
        connection.Close();  // sent again after reconnecting
        if (final_pass) return;
        continue;
      }
      cursor = next;
      WriteCursor(cursor_path, cursor);
      delivered_ = cursor.seq;
      continue;
    }
    if (final_pass) return;
    if (!connection.Alive()) {
      connection.Close();
      continue;
    }
    if (!Sleep(std::chrono::milliseconds(200))) final_pass = true;
  }
}

}  // namespace bastion::audit
