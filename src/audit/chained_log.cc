#include "audit/chained_log.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "base/utc_time.h"

namespace bastion::audit {

namespace {

using Json = nlohmann::json;

constexpr std::size_t kHashHex = 64;
// `,"hash":"` + 64 hex digits + `"}`
constexpr std::size_t kSuffix = 9 + kHashHex + 2;
const std::string kZeroHash(kHashHex, '0');
constexpr std::size_t kMaxLine = 1u << 20;

std::string Hex(const unsigned char* bytes, std::size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    out += digits[bytes[i] >> 4];
    out += digits[bytes[i] & 15];
  }
  return out;
}

std::string Sha256Hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), md, &n, EVP_sha256(), nullptr);
  return Hex(md, n);
}

std::string Base64(const std::vector<unsigned char>& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes.data(),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::optional<std::vector<unsigned char>> FromBase64(const std::string& text) {
  std::vector<unsigned char> out(3 * (text.size() / 4) + 3);
  const int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  std::size_t size = static_cast<std::size_t>(n);
  // EVP_DecodeBlock counts the padding as zero bytes.
  for (std::size_t i = text.size(); i > 0 && text[i - 1] == '='; --i) --size;
  out.resize(size);
  return out;
}

using PKey = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

// A string field of a record read back; "" when absent or not a string (a tampered file must
// not make the reader throw).
std::string Text(const Json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// What a checkpoint signs: the record sequence number and the hash of the record before it.
std::string CheckpointMessage(std::uint64_t seq, const std::string& prev) {
  return "bastion-audit-checkpoint\n" + std::to_string(seq) + "\n" + prev;
}

// Ed25519 signs the message itself; the other key types sign its SHA-256.
const EVP_MD* DigestFor(EVP_PKEY* key) {
  return EVP_PKEY_id(key) == EVP_PKEY_ED25519 ? nullptr : EVP_sha256();
}

Result<std::vector<unsigned char>> Sign(EVP_PKEY* key, const std::string& message) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  std::size_t n = 0;
  const auto* data = reinterpret_cast<const unsigned char*>(message.data());
  if (EVP_DigestSignInit(ctx.get(), nullptr, DigestFor(key), nullptr, key) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &n, data, message.size()) != 1) {
    return Status::Internal("cannot sign an audit checkpoint");
  }
  std::vector<unsigned char> signature(n);
  if (EVP_DigestSign(ctx.get(), signature.data(), &n, data, message.size()) != 1) {
    return Status::Internal("cannot sign an audit checkpoint");
  }
  signature.resize(n);
  return signature;
}

bool VerifySignature(EVP_PKEY* key, const std::string& message,
                     const std::vector<unsigned char>& signature) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  return EVP_DigestVerifyInit(ctx.get(), nullptr, DigestFor(key), nullptr, key) == 1 &&
         EVP_DigestVerify(ctx.get(), signature.data(), signature.size(),
                          reinterpret_cast<const unsigned char*>(message.data()),
                          message.size()) == 1;
}

std::string PublicKeySha256(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  const int n = i2d_PUBKEY(key, &der);
  if (n <= 0) return "";
  std::string out = Sha256Hex(std::string_view(reinterpret_cast<char*>(der), n));
  OPENSSL_free(der);
  return out;
}

// The record `body` (a JSON object without "hash") as a line with its hash appended.
std::string Seal(const std::string& body, std::string* hash) {
  *hash = Sha256Hex(body);
  return body.substr(0, body.size() - 1) + ",\"hash\":\"" + *hash + "\"}";
}

// Splits a line into the body its hash covers and the hash it states; false when the line
// does not end the way Seal makes it.
bool Unseal(const std::string& line, std::string* body, std::string* stated) {
  if (line.size() < kSuffix + 2 || line.compare(line.size() - kSuffix, 9, ",\"hash\":\"") != 0 ||
      line.compare(line.size() - 2, 2, "\"}") != 0) {
    return false;
  }
  *stated = line.substr(line.size() - kSuffix + 9, kHashHex);
  *body = line.substr(0, line.size() - kSuffix) + "}";
  return true;
}

Status WriteAll(int fd, const std::string& data) {
  const char* p = data.data();
  std::size_t left = data.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::Unavailable(std::string("writing the audit log: ") + std::strerror(errno));
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  return Status::Ok();
}

}  // namespace

struct ChainedAuditLog::Impl {
  ChainedLogOptions options;
  int fd = -1;
  PKey key{nullptr, EVP_PKEY_free};
  std::string key_sha256;
  std::mutex mutex;
  // The chain's end as this process last wrote or read it, and the file size then.
  std::uint64_t seq = 0;
  std::string prev = kZeroHash;
  off_t known_size = -1;
  bool needs_newline = false;
  std::uint32_t since_checkpoint = 0;
  std::optional<std::string> failure;

  // Reads the file's last record (another process may have appended since our last write).
  Status LoadTail() {
    struct stat st {};
    if (::fstat(fd, &st) != 0) return Status::Unavailable("cannot stat the audit log");
    if (st.st_size == known_size) return Status::Ok();
    seq = 0;
    prev = kZeroHash;
    needs_newline = false;
    known_size = st.st_size;
    if (st.st_size == 0) return Status::Ok();
    const off_t window = std::min<off_t>(st.st_size, static_cast<off_t>(kMaxLine));
    std::string tail(static_cast<std::size_t>(window), '\0');
    if (::pread(fd, tail.data(), tail.size(), st.st_size - window) != window) {
      return Status::Unavailable("cannot read the end of the audit log");
    }
    // A file cut in the middle of a line: the next record starts on a line of its own (verify
    // still reports the cut line).
    needs_newline = !tail.empty() && tail.back() != '\n';
    if (!tail.empty() && tail.back() == '\n') tail.pop_back();
    const auto start = tail.rfind('\n');
    const std::string last = start == std::string::npos ? tail : tail.substr(start + 1);
    std::string body, stated;
    if (Unseal(last, &body, &stated)) {
      prev = stated;
      const Json j = Json::parse(body, nullptr, false);
      if (j.is_object() && j.contains("seq") && j["seq"].is_number_unsigned()) {
        seq = j["seq"].get<std::uint64_t>();
      }
    } else {
      // A damaged last line: continue the chain from its bytes; verify reports the damage.
      prev = Sha256Hex(last);
    }
    return Status::Ok();
  }

  // Appends one record (`fields` without seq, prev, hash). Holds the flock around it.
  Status Append(Json fields) {
    fields["seq"] = seq + 1;
    fields["prev"] = prev;
    std::string hash;
    const std::string line =
        (needs_newline ? "\n" : "") +
        Seal(fields.dump(-1, ' ', false, Json::error_handler_t::replace), &hash) + "\n";
    needs_newline = false;
    BASTION_RETURN_IF_ERROR(WriteAll(fd, line));
    ++seq;
    prev = hash;
    known_size += static_cast<off_t>(line.size());
    return Status::Ok();
  }

  Status AppendCheckpoint() {
    if (!key) return Status::Ok();
    const std::uint64_t checkpoint_seq = seq + 1;
    BASTION_ASSIGN_OR_RETURN(auto signature,
                             Sign(key.get(), CheckpointMessage(checkpoint_seq, prev)));
    Json fields;
    fields["time"] = UtcTimestampNow();
    fields["event"] = "checkpoint";
    fields["signature"] = Base64(signature);
    fields["key_sha256"] = key_sha256;
    const std::string signed_prev = prev;
    BASTION_RETURN_IF_ERROR(Append(std::move(fields)));
    since_checkpoint = 0;
    // The records the head vouches for reach the disk before the head does.
    if (::fdatasync(fd) != 0) return Status::Unavailable("syncing the audit log");
    // The head: the latest checkpoint, replaced atomically.
    Json head = {{"seq", checkpoint_seq},
                 {"prev", signed_prev},
                 {"hash", prev},
                 {"signature", Base64(signature)},
                 {"key_sha256", key_sha256}};
    const std::string tmp = options.head_path + ".tmp";
    const int hfd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (hfd < 0) return Status::Unavailable("cannot write " + tmp);
    Status head_written = WriteAll(hfd, head.dump() + "\n");
    if (head_written.ok() && ::fsync(hfd) != 0)
      head_written = Status::Unavailable("cannot sync " + tmp);
    ::close(hfd);
    BASTION_RETURN_IF_ERROR(head_written);
    if (::rename(tmp.c_str(), options.head_path.c_str()) != 0) {
      return Status::Unavailable("cannot replace " + options.head_path);
    }
    return Status::Ok();
  }

  // Runs `work` under the process lock and the file lock, recording the first failure.
  template <typename Work>
  Status Locked(Work work) {
    std::lock_guard<std::mutex> lock(mutex);
    if (::flock(fd, LOCK_EX) != 0) return Record(Status::Unavailable("cannot lock the audit log"));
    Status st = LoadTail();
    if (st.ok()) st = work();
    ::flock(fd, LOCK_UN);
    return Record(st);
  }
  Status Record(Status st) {
    if (!st.ok() && !failure) failure = st.message();
    return st;
  }

  // Group commit: Emit queues; this thread appends everything queued under one lock and one
  // fdatasync, so that no caller (a network strand) ever waits for the disk.
  std::mutex queue_mutex;
  std::condition_variable queue_changed;
  std::deque<Json> queue;
  std::uint64_t enqueued = 0, written = 0;
  bool stopping = false;
  std::thread writer;
  static constexpr std::size_t kMaxQueued = 10000;

  void WriteQueued() {
    while (true) {
      std::deque<Json> batch;
      {
        std::unique_lock<std::mutex> lock(queue_mutex);
        queue_changed.wait(lock, [this] { return stopping || !queue.empty(); });
        if (queue.empty()) return;  // stopping, and everything written
        batch.swap(queue);
      }
      const std::size_t n = batch.size();
      (void)Locked([&]() -> Status {
        for (Json& fields : batch) {
          BASTION_RETURN_IF_ERROR(Append(std::move(fields)));
          if (++since_checkpoint >= options.checkpoint_every) {
            BASTION_RETURN_IF_ERROR(AppendCheckpoint());
          }
        }
        if (options.sync_each_record && ::fdatasync(fd) != 0) {
          return Status::Unavailable(std::string("syncing the audit log: ") + std::strerror(errno));
        }
        return Status::Ok();
      });
      {
        std::lock_guard<std::mutex> lock(queue_mutex);
        written += n;
      }
      queue_changed.notify_all();
    }
  }

  void Flush() {
    std::unique_lock<std::mutex> lock(queue_mutex);
    queue_changed.wait(lock, [this] { return written == enqueued; });
  }
};

ChainedAuditLog::ChainedAuditLog(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ChainedAuditLog::~ChainedAuditLog() {
  {
    std::lock_guard<std::mutex> lock(impl_->queue_mutex);
    impl_->stopping = true;
  }
  impl_->queue_changed.notify_all();
  if (impl_->writer.joinable()) impl_->writer.join();
  if (impl_->since_checkpoint > 0) (void)Checkpoint();
  ::close(impl_->fd);
}

Result<std::unique_ptr<ChainedAuditLog>> ChainedAuditLog::Open(ChainedLogOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->fd = ::open(options.log_path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (impl->fd < 0) {
    return Status::Unavailable(options.log_path + ": " + std::strerror(errno));
  }
  if (!options.signing_key_file.empty()) {
    FILE* f = std::fopen(options.signing_key_file.c_str(), "r");
    if (f == nullptr) {
      ::close(impl->fd);
      return Status::Unavailable("cannot read the audit signing key " + options.signing_key_file);
    }
    impl->key.reset(PEM_read_PrivateKey(f, nullptr, nullptr, nullptr));
    std::fclose(f);
    if (!impl->key) {
      ::close(impl->fd);
      return Status::Malformed(options.signing_key_file + " is not a PEM private key");
    }
    impl->key_sha256 = PublicKeySha256(impl->key.get());
  }
  impl->options = std::move(options);
  Impl* p = impl.get();
  impl->writer = std::thread([p] { p->WriteQueued(); });
  return std::unique_ptr<ChainedAuditLog>(new ChainedAuditLog(std::move(impl)));
}

void ChainedAuditLog::Emit(const AuditEvent& event) {
  Json fields = Json::parse(ToJsonLine(event), nullptr, false);
  {
    // Bounded: a flood of events waits for the disk rather than growing without limit.
    std::unique_lock<std::mutex> lock(impl_->queue_mutex);
    impl_->queue_changed.wait(lock, [this] { return impl_->queue.size() < Impl::kMaxQueued; });
    impl_->queue.push_back(std::move(fields));
    ++impl_->enqueued;
  }
  impl_->queue_changed.notify_all();
}

void ChainedAuditLog::Flush() { impl_->Flush(); }

Status ChainedAuditLog::Checkpoint() {
  impl_->Flush();
  return impl_->Locked([this] {
    BASTION_RETURN_IF_ERROR(impl_->AppendCheckpoint());
    if (impl_->options.sync_each_record && ::fdatasync(impl_->fd) != 0) {
      return Status::Unavailable("syncing the audit log");
    }
    return Status::Ok();
  });
}

std::optional<std::string> ChainedAuditLog::failure() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->failure;
}

LineRead ReadAuditLine(std::istream& in, std::string& line, std::uint64_t* consumed) {
  line.clear();
  std::uint64_t taken = 0;
  bool too_long = false;
  std::streambuf* buffer = in.rdbuf();
  while (true) {
    const int c = buffer->sbumpc();
    if (c == std::char_traits<char>::eof()) {
      if (consumed != nullptr) *consumed = taken;
      if (too_long) return LineRead::kTooLong;
      return taken == 0 ? LineRead::kEnd : LineRead::kPartial;
    }
    ++taken;
    if (c == '\n') break;
    if (line.size() < kMaxAuditLine) {
      line.push_back(static_cast<char>(c));
    } else {
      too_long = true;
    }
  }
  if (consumed != nullptr) *consumed = taken;
  return too_long ? LineRead::kTooLong : LineRead::kLine;
}

Status ReadAuditLog(const std::string& log_path,
                    const std::function<bool(const std::string& line)>& record) {
  std::ifstream in(log_path, std::ios::binary);
  if (!in) return Status::Unavailable("cannot read " + log_path);
  std::string line;
  for (LineRead r; (r = ReadAuditLine(in, line)) != LineRead::kEnd;) {
    if (!record(line)) break;
  }
  return Status::Ok();
}

Result<AuditVerifyReport> VerifyAuditLog(const std::string& log_path, const std::string& head_path,
                                         const std::string& certificate_file) {
  PKey key(nullptr, EVP_PKEY_free);
  if (FILE* f = std::fopen(certificate_file.c_str(), "r")) {
    X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
    std::fclose(f);
    if (cert != nullptr) {
      key.reset(X509_get_pubkey(cert));
      X509_free(cert);
    }
  }
  if (!key) return Status::Unavailable("cannot read the public key of " + certificate_file);
  const std::string key_sha256 = PublicKeySha256(key.get());

  std::ifstream in(log_path, std::ios::binary);
  if (!in) return Status::Unavailable("cannot read " + log_path);
  AuditVerifyReport r;
  std::string prev = kZeroHash;
  std::string line;
  std::uint64_t line_no = 0;
  // The head (small: read within a bound) names the one record whose hash is checked against
  // it, so the scan keeps that hash only, not one per record.
  std::optional<Json> head;
  if (std::ifstream head_in(head_path, std::ios::binary); head_in) {
    std::string text;
    if (ReadAuditLine(head_in, text) == LineRead::kTooLong) {
      text.clear();  // damaged: reported below
    }
    head = Json::parse(text, nullptr, false);
  }
  const std::uint64_t head_seq =
      head && head->is_object() && head->contains("seq") && (*head)["seq"].is_number_unsigned()
          ? (*head)["seq"].get<std::uint64_t>()
          : 0;
  std::string head_record_hash;
  auto fail = [&](std::uint64_t at, std::string what) {
    r.ok = false;
    r.bad_line = at;
    r.problem = std::move(what);
    return r;
  };
  for (LineRead read; (read = ReadAuditLine(in, line)) != LineRead::kEnd;) {
    ++line_no;
    const std::string where =
        "record " + std::to_string(line_no) + " (line " + std::to_string(line_no) + ")";
    if (read == LineRead::kPartial) {
      return fail(line_no, where + " is incomplete: the log was cut in the middle");
    }
    if (read == LineRead::kTooLong) {
      return fail(line_no, where + " is longer than any record: it was damaged");
    }
    std::string body, stated;
    if (!Unseal(line, &body, &stated))
      return fail(line_no, where + " is not a sealed record: it was cut or damaged");
    if (Sha256Hex(body) != stated) {
      return fail(line_no, where + " was changed: its content does not match its hash");
    }
    const Json j = Json::parse(body, nullptr, false);
    if (!j.is_object() || !j.contains("seq") || !j["seq"].is_number_unsigned() ||
        !j.contains("prev") || !j["prev"].is_string()) {
      return fail(line_no, where + " has no sequence number or previous hash");
    }
    const auto seq = j["seq"].get<std::uint64_t>();
    if (seq != line_no) {
      return fail(line_no, where + " carries sequence number " + std::to_string(seq) +
                               ": records before it were removed, inserted or reordered");
    }
    if (j["prev"].get<std::string>() != prev) {
      return fail(line_no, where + " does not follow record " + std::to_string(line_no - 1) +
                               ": a record was changed, removed or reordered");
    }
    if (Text(j, "event") == "checkpoint") {
      const auto signature = FromBase64(Text(j, "signature"));
      if (Text(j, "key_sha256") != key_sha256) {
        return fail(line_no, where + " is a checkpoint signed by another key (" +
                                 Text(j, "key_sha256") + ", not " + key_sha256 + ")");
      }
      if (!signature || !VerifySignature(key.get(), CheckpointMessage(seq, prev), *signature)) {
        return fail(line_no, where + " is a checkpoint whose signature does not verify");
      }
      ++r.checkpoints;
      r.last_checkpoint_seq = seq;
    }
    prev = stated;
    if (line_no == head_seq) head_record_hash = stated;
    ++r.records;
  }
  // The head names the last checkpoint written: the log must still reach it.
  if (head) {
    if (head_seq == 0) return fail(0, head_path + " is damaged");
    const auto signature = FromBase64(Text(*head, "signature"));
    if (!signature ||
        !VerifySignature(key.get(), CheckpointMessage(head_seq, Text(*head, "prev")), *signature)) {
      return fail(0, head_path + " has a signature that does not verify");
    }
    if (head_seq > r.records) {
      return fail(0, "the log ends at record " + std::to_string(r.records) +
                         " but its last checkpoint (" + head_path + ") signed record " +
                         std::to_string(head_seq) + ": records were cut from the end");
    }
    if (head_record_hash != Text(*head, "hash")) {
      return fail(head_seq, "record " + std::to_string(head_seq) +
                                " is not the checkpoint the head signed: the log was rewritten");
    }
  } else if (r.checkpoints > 0) {
    return fail(0, head_path + " is missing although the log has checkpoints");
  }
  return r;
}

}  // namespace bastion::audit
