// ChainedAuditLog: the local audit trail, append-only and tamper-evident (issue 7).
//
// One record per line, JSON: the event's fields (audit_event.h) plus "seq" (1, 2, ...), "prev"
// (the previous record's hash; 64 zeros for the first) and, last, "hash": SHA-256 of the line's
// bytes before `,"hash":` followed by `}`. Changing a byte breaks the record's hash; a record
// removed, reordered or inserted breaks the next record's "prev" or the sequence. Every
// `checkpoint_every` records (and when the log is closed) a checkpoint record signs the hash of
// the record before it with the server's private key, and the same signature is kept in
// audit.head (replaced atomically): a log cut short before its last checkpoint no longer
// reaches the head's sequence number. Records after the last checkpoint are protected by the
// chain but not against truncation; export to a collector covers that window.
// Several processes (the server and CLI commands) may append: each append takes an exclusive
// flock on the log and continues the chain from the file's last record. Emit never waits for
// the disk: a writer thread appends what is queued in one batch, with one fdatasync (group
// commit); the destructor writes everything queued, then a checkpoint.
// Format: docs/formats/audit-log.md.
// Thread-safety: Emit may be called concurrently; Verify and Read are free functions.
#pragma once

#include <cstdint>
#include <functional>
#include <istream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "audit/audit_event.h"
#include "base/status.h"

namespace bastion::audit {

struct ChainedLogOptions {
  std::string log_path;          // audit/audit.log
  std::string head_path;         // audit/audit.head
  std::string signing_key_file;  // PEM private key (the server's TLS key); empty: no checkpoints
  std::uint32_t checkpoint_every = 100;
  bool sync_each_record = true;  // fdatasync after every batch of records
};

class ChainedAuditLog final : public AuditSink {
 public:
  static Result<std::unique_ptr<ChainedAuditLog>> Open(ChainedLogOptions options);
  ~ChainedAuditLog() override;  // writes a checkpoint when records were added since the last

  void Emit(const AuditEvent& event) override;
  // Waits until every event emitted so far is written and synced.
  void Flush() override;
  // Appends a checkpoint now (e.g. at a clean stop).
  Status Checkpoint();
  // The first failure to write (the trail cannot be kept): Emit never throws or blocks on it.
  std::optional<std::string> failure() const;

  struct Impl;

 private:
  explicit ChainedAuditLog(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

struct AuditVerifyReport {
  std::uint64_t records = 0;      // lines read, checkpoints included
  std::uint64_t checkpoints = 0;  // with a valid signature
  std::uint64_t last_checkpoint_seq = 0;
  bool ok = true;
  std::uint64_t bad_line = 0;  // 1-based; 0 when the problem is not one line (truncation)
  std::string problem;         // what is wrong, naming the record
};

// Checks every record's hash, the chain, the sequence, each checkpoint's signature (against
// the public key of `certificate_file`, PEM) and the log against audit.head. Unavailable when
// the log cannot be read; a tampered log is a report with ok = false.
Result<AuditVerifyReport> VerifyAuditLog(const std::string& log_path, const std::string& head_path,
                                         const std::string& certificate_file);

// The longest record line read back; a longer one is damage (or an attack on the reader).
inline constexpr std::size_t kMaxAuditLine = 1u << 20;

// One line of the trail, read within kMaxAuditLine bytes. `consumed` counts the bytes taken
// from the stream, newline included (a too-long line is consumed whole, keeping its first
// kMaxAuditLine bytes).
enum class LineRead : std::uint8_t { kLine, kPartial, kTooLong, kEnd };
LineRead ReadAuditLine(std::istream& in, std::string& line, std::uint64_t* consumed = nullptr);

// Calls `record` with each record's line (checkpoints included) in order; stops early when it
// returns false.
Status ReadAuditLog(const std::string& log_path,
                    const std::function<bool(const std::string& line)>& record);

}  // namespace bastion::audit
