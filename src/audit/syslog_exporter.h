// SyslogExporter: the audit trail sent to a collector as DICOM audit messages over syslog
// (RFC 5424) on TLS (RFC 5425), per IHE ATNA, without losing a record while the collector is
// down or slow.
//
// The spool is the audit trail itself (append-only, fsynced, chained.h): a per-collector cursor
// file (audit/export/NAME.cursor: the last record delivered and its end offset) says where
// delivery stands. One thread per collector connects (TLS 1.2+, the collector's certificate
// verified against `ca_file` and `host`, our certificate presented), sends every record after
// the cursor, and moves the cursor only once the collector's TCP stack has acknowledged every
// byte (SIOCOUTQ is zero): a record is sent again only if the connection failed before that.
// After a failure it reconnects with a growing delay (1 s doubling to `max_retry_seconds`).
// Each message: PRI facility 10 (security/authorization) with severity notice, warning or
// error from the outcome; MSGID "IHE+RFC-3881"; structured data [meta sequenceId="SEQ"] with
// the record's sequence number; the message a UTF-8 BOM and the XML AuditMessage.
// Thread-safety: Start/Stop from one thread; the exporter's own thread does the rest.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "audit/dicom_audit_message.h"
#include "base/status.h"

namespace bastion::audit {

struct SyslogCollector {
  std::string name;  // names the cursor file: [A-Za-z0-9_-], 1-64 characters
  std::string host;  // also the name its certificate must carry
  std::uint16_t port = 6514;
  std::string ca_file;           // CA certificates that verify the collector
  std::string certificate_file;  // ours (PEM), presented to the collector
  std::string key_file;
  std::uint32_t max_retry_seconds = 30;
};

struct SyslogExportPaths {
  std::string log_path;    // audit/audit.log
  std::string cursor_dir;  // audit/export
  std::string hostname;    // HOSTNAME of the messages
  AuditSource source;
};

Status ValidateCollectorName(const std::string& name);

class SyslogExporter {
 public:
  SyslogExporter(SyslogCollector collector, SyslogExportPaths paths);
  ~SyslogExporter();  // stops

  void Start();
  void Stop();
  // Delivered records (the cursor's sequence number), for status output and tests.
  std::uint64_t delivered() const { return delivered_.load(); }

 private:
  void Run();
  bool Sleep(std::chrono::milliseconds duration);  // false when stopping

  SyslogCollector collector_;
  SyslogExportPaths paths_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::atomic<std::uint64_t> delivered_{0};
};

}  // namespace bastion::audit
