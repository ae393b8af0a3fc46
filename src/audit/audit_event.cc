#include "audit/audit_event.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "base/utc_time.h"

namespace bastion::audit {

std::string_view AuditEventTypeName(AuditEventType type) {
  switch (type) {
    case AuditEventType::kApplicationStart:
      return "application-start";
    case AuditEventType::kApplicationStop:
      return "application-stop";
    case AuditEventType::kAssociationAccepted:
      return "association-accepted";
    case AuditEventType::kAssociationRejected:
      return "association-rejected";
    case AuditEventType::kAuthenticationSucceeded:
      return "authentication-succeeded";
    case AuditEventType::kAuthenticationFailed:
      return "authentication-failed";
    case AuditEventType::kLockout:
      return "lockout";
    case AuditEventType::kSecurityAlert:
      return "security-alert";
    case AuditEventType::kConfigurationChange:
      return "configuration-change";
    case AuditEventType::kInstancesStored:
      return "instances-stored";
    case AuditEventType::kImport:
      return "import";
    case AuditEventType::kStudyDeleted:
      return "study-deleted";
    case AuditEventType::kQuery:
      return "query";
    case AuditEventType::kInstancesSent:
      return "instances-sent";
  }
  return "unknown";
}

std::string ToJsonLine(const AuditEvent& event) {
  nlohmann::json j;
  j["time"] = UtcTimestamp(event.time);
  j["event"] = AuditEventTypeName(event.type);
  j["outcome"] = static_cast<int>(event.outcome);
  if (!event.user.empty()) j["user"] = event.user;
  if (!event.peer_ae_title.empty()) j["peer_ae"] = event.peer_ae_title;
  if (!event.peer_address.empty()) j["peer_address"] = event.peer_address;
  if (!event.local_ae_title.empty()) j["local_ae"] = event.local_ae_title;
  if (!event.description.empty()) j["description"] = event.description;
  if (!event.study_instance_uids.empty()) j["studies"] = event.study_instance_uids;
  if (event.instance_count != 0) j["instances"] = event.instance_count;
  // Replace invalid UTF-8 (peer-controlled AE titles) instead of throwing.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::unique_ptr<JsonLinesAuditLog> JsonLinesAuditLog::Open(const std::string& path,
                                                           std::string& error) {
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    error = path + ": " + std::strerror(errno);
    return nullptr;
  }
  return std::unique_ptr<JsonLinesAuditLog>(new JsonLinesAuditLog(fd));
}

JsonLinesAuditLog::~JsonLinesAuditLog() { ::close(fd_); }

void JsonLinesAuditLog::Emit(const AuditEvent& event) {
  std::string line = ToJsonLine(event) + "\n";
  std::lock_guard<std::mutex> lock(mutex_);
  const char* p = line.data();
  std::size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // the audit log is best effort until the tamper-evident trail exists
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

}  // namespace bastion::audit
