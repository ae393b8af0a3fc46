// DICOM audit messages (PS3.15 A.5, the RFC 3881 schema as extended by DICOM): each audit event
// rendered as an <AuditMessage> with its event identification, active participants (the user or
// peer, our AE), audit source and participant objects (studies, patients, the query, the log).
// The schema they validate against is tests/data/audit/dicom-audit-message.rng (A.5.1).
// Thread-safety: stateless functions.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>

#include "audit/audit_event.h"
#include "base/status.h"

namespace bastion::audit {

struct AuditSource {
  std::string id;  // AuditSourceID: our AE title, or the host name
  std::string enterprise_site;
};

// One <AuditMessage> element (no XML declaration), UTF-8.
std::string ToDicomAuditMessage(const AuditEvent& event, const AuditSource& source);

// The event a stored record (ToJsonLine, or a line of the chained log) describes; Malformed for
// a line that is not an event record (checkpoints included).
Result<AuditEvent> EventFromJsonLine(const std::string& line);
// The same for a record already parsed.
Result<AuditEvent> EventFromJson(const nlohmann::json& record);

}  // namespace bastion::audit
