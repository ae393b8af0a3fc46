// Audit events: every security-relevant decision, emitted through one interface.
//
// The event model follows the DICOM audit message vocabulary (PS3.15 A.5: event IDs such as
// 110122 Login, 110113 Security Alert, 110114 User Authenticated) so that a later layer can
// render each event as a DICOM audit message without losing information. Observers only:
// sinks never decide anything.
// Thread-safety: AuditSink implementations must accept concurrent Emit calls.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace bastion::audit {

enum class AuditEventType : std::uint8_t {
  kApplicationStart,
  kApplicationStop,
  kAssociationAccepted,
  kAssociationRejected,
  kAuthenticationSucceeded,
  kAuthenticationFailed,
  kLockout,
  kSecurityAlert,
  kConfigurationChange,
  kInstancesStored,    // DICOM Instances Transferred (110104), as the receiver
  kImport,             // Import (110107): files loaded from local media
  kStudyDeleted,       // DICOM Study Deleted (110105)
  kQuery,              // Query (110112), with the query keys
  kInstancesSent,      // DICOM Instances Transferred (110104), as the sender (C-MOVE, C-GET)
  kAuditLogUsed,       // Audit Log Used (110101): the trail was read or checked
  kInstancesAccessed,  // DICOM Instances Accessed (110103): records read locally
  kTransferBegun,      // Begin Transferring DICOM Instances (110102): a C-MOVE/C-GET starts
};

inline constexpr AuditEventType kLastAuditEventType = AuditEventType::kTransferBegun;

std::string_view AuditEventTypeName(AuditEventType type);

enum class AuditOutcome : std::uint8_t { kSuccess = 0, kMinorFailure = 4, kSeriousFailure = 8 };

struct AuditEvent {
  AuditEventType type = AuditEventType::kSecurityAlert;
  AuditOutcome outcome = AuditOutcome::kSuccess;
  std::chrono::system_clock::time_point time = std::chrono::system_clock::now();
  std::string user;            // authenticated user, if any
  std::string peer_ae_title;   // calling AE
  std::string peer_address;    // "ip:port"
  std::string local_ae_title;  // our AE
  std::string description;     // why: "unknown calling AE title", "wrong password", ...
  // Participant objects (PS3.15 A.5.3): studies concerned and how many instances.
  std::vector<std::string> study_instance_uids;
  std::vector<std::string> patient_ids;  // the patients of those studies, when known
  std::uint64_t instance_count = 0;
};

// Adds `value` to a participant list (studies, patients) once, keeping at most `max` entries:
// an event names what it concerns without growing with a 10,000-study transfer.
inline void AddParticipant(std::vector<std::string>& list, const std::string& value,
                           std::size_t max = 100) {
  if (value.empty() || list.size() >= max) return;
  for (const std::string& v : list) {
    if (v == value) return;
  }
  list.push_back(value);
}

class AuditSink {
 public:
  virtual ~AuditSink() = default;
  virtual void Emit(const AuditEvent& event) = 0;
  // Returns once every event emitted so far is recorded (sinks that write later override it).
  virtual void Flush() {}
};

// Keeps events in memory; for tests.
class MemoryAuditSink final : public AuditSink {
 public:
  void Emit(const AuditEvent& event) override {
    std::lock_guard<std::mutex> lock(mutex_);
    events_.push_back(event);
  }
  std::vector<AuditEvent> events() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return events_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<AuditEvent> events_;
};

// Renders an event as one line of JSON (no trailing newline).
std::string ToJsonLine(const AuditEvent& event);

}  // namespace bastion::audit
