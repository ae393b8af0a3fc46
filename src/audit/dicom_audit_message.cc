#include "audit/dicom_audit_message.h"

#include <openssl/evp.h>

#include <ctime>
#include <nlohmann/json.hpp>

#include "base/utc_time.h"

namespace bastion::audit {

namespace {

struct Code {
  const char* code;
  const char* system;  // "DCM" (PS3.16) or "IHE"
  const char* meaning;
};

constexpr Code kApplicationActivity{"110100", "DCM", "Application Activity"};
constexpr Code kAuditLogUsed{"110101", "DCM", "Audit Log Used"};
constexpr Code kBeginTransferring{"110102", "DCM", "Begin Transferring DICOM Instances"};
constexpr Code kInstancesAccessed{"110103", "DCM", "DICOM Instances Accessed"};
constexpr Code kInstancesTransferred{"110104", "DCM", "DICOM Instances Transferred"};
constexpr Code kStudyDeleted{"110105", "DCM", "DICOM Study Deleted"};
constexpr Code kImport{"110107", "DCM", "Import"};
constexpr Code kQuery{"110112", "DCM", "Query"};
constexpr Code kSecurityAlert{"110113", "DCM", "Security Alert"};
constexpr Code kUserAuthentication{"110114", "DCM", "User Authentication"};
constexpr Code kApplicationStart{"110120", "DCM", "Application Start"};
constexpr Code kApplicationStop{"110121", "DCM", "Application Stop"};
constexpr Code kLogin{"110122", "DCM", "Login"};
constexpr Code kNodeAuthentication{"110126", "DCM", "Node Authentication"};
constexpr Code kSecurityConfiguration{"110129", "DCM", "Security Configuration"};
constexpr Code kRestrictedFunction{"110132", "DCM", "Use of Restricted Function"};
constexpr Code kApplication{"110150", "DCM", "Application"};
constexpr Code kDestination{"110152", "DCM", "Destination Role ID"};
constexpr Code kSource{"110153", "DCM", "Source Role ID"};
constexpr Code kStudyUid{"110180", "DCM", "Study Instance UID"};
constexpr Code kSopClassUid{"110181", "DCM", "SOP Class UID"};
constexpr Code kApplicationServer{"4", "DCM", "Application Server"};
constexpr Code kPatientNumber{"2", "RFC-3881", "Patient Number"};
constexpr Code kUri{"12", "RFC-3881", "URI"};

// XML 1.0 text: markup characters escaped; control characters, which XML cannot carry, as '?'.
std::string Escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += (static_cast<unsigned char>(c) < 0x20 && c != '\t') ? '?' : c;
    }
  }
  return out;
}

std::string Coded(const char* element, const Code& c) {
  return std::string("<") + element + " csd-code=\"" + c.code + "\" codeSystemName=\"" + c.system +
         "\" originalText=\"" + c.meaning + "\"/>";
}

std::string Base64(const std::string& text) {
  std::string out(4 * ((text.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

struct Shape {
  Code id;
  const char* action;  // C R U D E
  const Code* type = nullptr;
  bool peer_is_source = true;  // the peer sends (store) or receives (retrieve)
};

Shape ShapeOf(AuditEventType type) {
  switch (type) {
    case AuditEventType::kApplicationStart:
      return {kApplicationActivity, "E", &kApplicationStart};
    case AuditEventType::kApplicationStop:
      return {kApplicationActivity, "E", &kApplicationStop};
    case AuditEventType::kAssociationAccepted:
    case AuditEventType::kAssociationRejected:
    case AuditEventType::kAuthenticationSucceeded:
    case AuditEventType::kAuthenticationFailed:
      return {kUserAuthentication, "E", &kLogin};
    case AuditEventType::kLockout:
      return {kSecurityAlert, "E", &kNodeAuthentication};
    case AuditEventType::kSecurityAlert:
      return {kSecurityAlert, "E", &kRestrictedFunction};
    case AuditEventType::kConfigurationChange:
      return {kSecurityAlert, "E", &kSecurityConfiguration};
    case AuditEventType::kInstancesStored:
      return {kInstancesTransferred, "C", nullptr, true};
    case AuditEventType::kInstancesSent:
      return {kInstancesTransferred, "R", nullptr, false};
    case AuditEventType::kImport:
      return {kImport, "C"};
    case AuditEventType::kStudyDeleted:
      return {kStudyDeleted, "D"};
    case AuditEventType::kQuery:
      return {kQuery, "E"};
    case AuditEventType::kAuditLogUsed:
      return {kAuditLogUsed, "R"};
    case AuditEventType::kInstancesAccessed:
      return {kInstancesAccessed, "R"};
    case AuditEventType::kTransferBegun:
      return {kBeginTransferring, "E", nullptr, false};
  }
  return {kSecurityAlert, "E"};
}

std::string Participant(const std::string& user, bool requestor, const std::string& address,
                        const Code* role) {
  std::string out = "<ActiveParticipant UserID=\"" + Escape(user) + "\" UserIsRequestor=\"" +
                    (requestor ? "true" : "false") + "\"";
  if (!address.empty()) {
    // NetworkAccessPointTypeCode 2: an IP address (the port is not part of it).
    std::string ip = address;
    const auto colon = ip.rfind(':');
    if (colon != std::string::npos && ip.find(':') == colon) ip = ip.substr(0, colon);
    out += " NetworkAccessPointID=\"" + Escape(ip) + "\" NetworkAccessPointTypeCode=\"2\"";
  }
  out += ">";
  if (role != nullptr) out += Coded("RoleIDCode", *role);
  return out + "</ActiveParticipant>";
}

std::string Object(const std::string& id, const char* type, const char* role, const Code& id_type,
                   const std::string& extra_elements = "") {
  return "<ParticipantObjectIdentification ParticipantObjectID=\"" + Escape(id) +
         "\" ParticipantObjectTypeCode=\"" + type + "\" ParticipantObjectTypeCodeRole=\"" + role +
         "\">" + Coded("ParticipantObjectIDTypeCode", id_type) + extra_elements +
         "</ParticipantObjectIdentification>";
}

}  // namespace

std::string ToDicomAuditMessage(const AuditEvent& e, const AuditSource& source) {
  const Shape s = ShapeOf(e.type);
  std::string xml = "<AuditMessage>";
  xml += "<EventIdentification EventActionCode=\"" + std::string(s.action) + "\" EventDateTime=\"" +
         UtcTimestamp(e.time) + "\" EventOutcomeIndicator=\"" +
         std::to_string(static_cast<int>(e.outcome)) + "\">";
  xml += Coded("EventID", s.id);
  if (s.type != nullptr) xml += Coded("EventTypeCode", *s.type);
  if (!e.description.empty()) {
    xml += "<EventOutcomeDescription>" + Escape(e.description) + "</EventOutcomeDescription>";
  }
  xml += "</EventIdentification>";

  // The other side (user or peer AE) is the requestor; our application serves.
  const std::string local = e.local_ae_title.empty() ? source.id : e.local_ae_title;
  const bool transfer = s.id.code == std::string(kInstancesTransferred.code) ||
                        s.id.code == std::string(kBeginTransferring.code);
  const std::string requester = !e.user.empty() ? e.user : e.peer_ae_title;
  if (!requester.empty() || !e.peer_address.empty()) {
    const Code* role = transfer ? (s.peer_is_source ? &kSource : &kDestination) : nullptr;
    xml += Participant(requester.empty() ? "unknown" : requester, true, e.peer_address, role);
    if (!e.user.empty() && !e.peer_ae_title.empty() && e.user != e.peer_ae_title) {
      xml += Participant(e.peer_ae_title, false, "", nullptr);  // the AE the user came through
    }
  }
  const Code* local_role = transfer ? (s.peer_is_source ? &kDestination : &kSource) : &kApplication;
  xml += Participant(local, requester.empty(), "", local_role);

  xml += "<AuditSourceIdentification AuditSourceID=\"" + Escape(source.id) + "\"";
  if (!source.enterprise_site.empty()) {
    xml += " AuditEnterpriseSiteID=\"" + Escape(source.enterprise_site) + "\"";
  }
  xml += ">" + Coded("AuditSourceTypeCode", kApplicationServer) + "</AuditSourceIdentification>";

  for (const std::string& study : e.study_instance_uids) {
    std::string extra;
    if (e.instance_count > 0 && e.study_instance_uids.size() == 1) {
      extra = "<ParticipantObjectDescription>" + std::to_string(e.instance_count) +
              " instance(s)</ParticipantObjectDescription>";
    }
    xml += Object(study, "2", "3", kStudyUid, extra);
  }
  for (const std::string& patient : e.patient_ids) xml += Object(patient, "1", "1", kPatientNumber);
  if (e.type == AuditEventType::kQuery) {
    // The query's information model, and its keys as the query (base64, PS3.15 A.5.3.10).
    const bool patient_root = e.description.find("Patient Root") != std::string::npos;
    xml += Object(patient_root ? "1.2.840.10008.5.1.4.1.2.1.1" : "1.2.840.10008.5.1.4.1.2.2.1", "2",
                  "24", kSopClassUid,
                  "<ParticipantObjectQuery>" + Base64(e.description) + "</ParticipantObjectQuery>");
  }
  if (e.type == AuditEventType::kAuditLogUsed) {
    xml += Object("file:audit/audit.log", "2", "13", kUri,
                  "<ParticipantObjectName>audit trail</ParticipantObjectName>");
  }
  return xml + "</AuditMessage>";
}

Result<AuditEvent> EventFromJsonLine(const std::string& line) {
  return EventFromJson(nlohmann::json::parse(line, nullptr, false));
}

Result<AuditEvent> EventFromJson(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("event") || !j["event"].is_string()) {
    return Status::Malformed("not an audit record");
  }
  auto text = [&j](const char* key) {
    const auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  auto strings = [&j](const char* key) {
    std::vector<std::string> out;
    const auto it = j.find(key);
    if (it == j.end() || !it->is_array()) return out;
    for (const auto& v : *it) {
      if (v.is_string()) out.push_back(v.get<std::string>());
    }
    return out;
  };
  const std::string name = text("event");
  AuditEvent e;
  bool known = false;
  for (int t = 0; t <= static_cast<int>(kLastAuditEventType); ++t) {
    if (AuditEventTypeName(static_cast<AuditEventType>(t)) == name) {
      e.type = static_cast<AuditEventType>(t);
      known = true;
    }
  }
  if (!known) return Status::Malformed("not an audit event record: " + name);
  const auto outcome = j.find("outcome");
  const int code = outcome != j.end() && outcome->is_number_integer() ? outcome->get<int>() : 0;
  e.outcome = code == 8   ? AuditOutcome::kSeriousFailure
              : code == 4 ? AuditOutcome::kMinorFailure
                          : AuditOutcome::kSuccess;
  std::tm tm{};
  // A time the clock cannot represent (system_clock counts nanoseconds: years to 2262) leaves
  // the epoch: records come from a file that may have been tampered with.
  if (strptime(text("time").c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm) != nullptr) {
    const std::time_t t = timegm(&tm);
    constexpr std::time_t kYear2200 = 7258118400;
    if (t >= 0 && t < kYear2200) e.time = std::chrono::system_clock::from_time_t(t);
  }
  e.user = text("user");
  e.peer_ae_title = text("peer_ae");
  e.peer_address = text("peer_address");
  e.local_ae_title = text("local_ae");
  e.description = text("description");
  e.study_instance_uids = strings("studies");
  e.patient_ids = strings("patients");
  const auto instances = j.find("instances");
  if (instances != j.end() && instances->is_number_unsigned()) {
    e.instance_count = instances->get<std::uint64_t>();
  }
  return e;
}

}  // namespace bastion::audit
