#include "audit/audit_event.h"

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
    case AuditEventType::kAuditLogUsed:
      return "audit-log-used";
    case AuditEventType::kInstancesAccessed:
      return "instances-accessed";
    case AuditEventType::kTransferBegun:
      return "transfer-begun";
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
  if (!event.patient_ids.empty()) j["patients"] = event.patient_ids;
  if (event.instance_count != 0) j["instances"] = event.instance_count;
  // Replace invalid UTF-8 (peer-controlled AE titles) instead of throwing.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace bastion::audit
