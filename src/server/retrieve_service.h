// Retrieve (PS3.4 C.4.2, C.4.3): what a C-MOVE or C-GET identifier names, and the C-STORE
// sub-operations that send it, independent of where they go.
//
// The identifier names entities by their unique keys (PS3.4 C.4.2.2.1): the Query/Retrieve
// Level's key must have a value (a single UID or a list), keys of the levels above narrow it,
// anything else is ignored. The instances come from the index in scope (index::Query::scope)
// and are sent in series order through an InstanceReceiver: a new association to the move
// destination (move_destination.h) or the requesting association itself (C-GET, in the DIMSE
// session). Each is sent as stored when the receiver accepted that transfer syntax, or
// converted between the uncompressed syntaxes (implicit/explicit little endian, explicit big
// endian, deflated; archive/transfer_syntax_conversion.h, shared with WADO-RS), or reported as
// failed with the reason.
// Thread-safety: RunSubOperations blocks; run it off the network threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "archive/archive.h"
#include "archive/transfer_syntax_conversion.h"
#include "base/status.h"
#include "dicom/transfer_syntax.h"
#include "index/index.h"
#include "net/dimse/command.h"

namespace bastion::server {

inline constexpr const char* kPatientRootMove = "1.2.840.10008.5.1.4.1.2.1.2";
inline constexpr const char* kStudyRootMove = "1.2.840.10008.5.1.4.1.2.2.2";
inline constexpr const char* kPatientRootGet = "1.2.840.10008.5.1.4.1.2.1.3";
inline constexpr const char* kStudyRootGet = "1.2.840.10008.5.1.4.1.2.2.3";

struct RetrieveLimits {
  std::size_t max_identifier_bytes = 64 * 1024;
  std::size_t max_instances = 100000;  // a larger retrieve is refused (0xA701/0xA702)
  std::chrono::milliseconds sub_operation_timeout{60000};  // per C-STORE exchange
  archive::ConversionLimits conversion;                    // per instance converted
};

// Builds the index query a retrieve identifier names (the caller sets its scope). Malformed
// when the identifier cannot be read or names no entity.
Result<index::Query> ParseRetrieveIdentifier(std::string_view sop_class,
                                             std::span<const std::uint8_t> identifier,
                                             const dicom::TransferSyntax& ts,
                                             const RetrieveLimits& limits);

// Where the sub-operations go.
class InstanceReceiver {
 public:
  virtual ~InstanceReceiver() = default;
  // The transfer syntaxes the receiver accepted for `sop_class` (empty: none).
  virtual std::vector<std::string> AcceptedTransferSyntaxes(const std::string& sop_class) const = 0;
  // One C-STORE: the C-STORE-RSP's status, or an error when the exchange itself failed (the
  // association is gone; the remaining sub-operations fail).
  virtual Result<std::uint16_t> Store(const index::StoredInstance& instance,
                                      const std::string& transfer_syntax,
                                      std::span<const std::uint8_t> data_set) = 0;
};

// The syntax to send an instance stored in `stored` in, among `accepted`: `stored` itself
// when accepted, else an uncompressed one it converts to; nullopt when there is none.
std::optional<std::string> ChooseTransferSyntax(const std::string& stored,
                                                const std::vector<std::string>& accepted);

// The transfer syntaxes an association should propose for sending instances stored in
// `stored`: that syntax first, then the uncompressed ones it converts to.
std::vector<std::string> SendableTransferSyntaxes(const std::string& stored);

struct RetrieveProgress {
  net::dimse::SubOperations counts;
  std::vector<std::string> failed_uids;  // (0008,0058) of the final response, bounded
  std::string first_failure;             // why the first failed sub-operation failed
  std::vector<std::string> studies;      // of the instances sent, for the audit trail, bounded
  std::vector<std::string> patients;     // their patients, likewise
  bool cancelled = false;
};

// Sends `instances` in order; `progress` is called after each sub-operation, `cancelled` is
// polled before each. Stops early when the receiver's association fails. An instance that must
// be converted and is larger than `conversion` allows fails with that reason.
RetrieveProgress RunSubOperations(const archive::Archive& archive,
                                  const std::vector<index::StoredInstance>& instances,
                                  InstanceReceiver& receiver,
                                  const std::function<bool()>& cancelled,
                                  const std::function<void(const RetrieveProgress&)>& progress,
                                  const archive::ConversionLimits& conversion = {});

// The final C-MOVE/C-GET status (PS3.4 C.4.2.1.5): Success, Cancel (0xFE00), Warning 0xB000
// (some sub-operations failed or had warnings), or 0xA702 (none completed).
std::uint16_t FinalRetrieveStatus(const RetrieveProgress& progress);

// The identifier of a final response with failures: Failed SOP Instance UID List (0008,0058).
Result<std::vector<std::uint8_t>> EncodeFailedInstances(const RetrieveProgress& progress,
                                                        const dicom::TransferSyntax& ts);

}  // namespace bastion::server
