// DIMSE command sets (PS3.7 section 9.3 and Annex E): the group 0000 data set that heads every
// DIMSE message, always encoded in Implicit VR Little Endian.
// Thread-safety: plain values and stateless functions.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "dicom/data_set.h"

namespace bastion::net::dimse {

// Command Field values (PS3.7 E.1).
enum class CommandField : std::uint16_t {
  kCStoreRq = 0x0001,
  kCStoreRsp = 0x8001,
  kCGetRq = 0x0010,
  kCGetRsp = 0x8010,
  kCFindRq = 0x0020,
  kCFindRsp = 0x8020,
  kCMoveRq = 0x0021,
  kCMoveRsp = 0x8021,
  kCEchoRq = 0x0030,
  kCEchoRsp = 0x8030,
  kNEventReportRq = 0x0100,
  kNEventReportRsp = 0x8100,
  kNGetRq = 0x0110,
  kNGetRsp = 0x8110,
  kNSetRq = 0x0120,
  kNSetRsp = 0x8120,
  kNActionRq = 0x0130,
  kNActionRsp = 0x8130,
  kNCreateRq = 0x0140,
  kNCreateRsp = 0x8140,
  kNDeleteRq = 0x0150,
  kNDeleteRsp = 0x8150,
  kCCancelRq = 0x0FFF,
};

// "C-ECHO-RQ" etc.; "unknown command 0x...." for other values.
std::string CommandFieldName(std::uint16_t field);

// Command Data Set Type (0000,0800): this value means "no data set follows".
inline constexpr std::uint16_t kNoDataSet = 0x0101;

// Status values used by the services we implement (PS3.7 Annex C).
namespace status {
inline constexpr std::uint16_t kSuccess = 0x0000;
inline constexpr std::uint16_t kPending = 0xFF00;
inline constexpr std::uint16_t kCancel = 0xFE00;
inline constexpr std::uint16_t kRefusedNotAuthorized = 0x0124;
inline constexpr std::uint16_t kSopClassNotSupported = 0x0122;
inline constexpr std::uint16_t kUnrecognizedOperation = 0x0211;
inline constexpr std::uint16_t kMistypedArgument = 0x0212;
inline constexpr std::uint16_t kProcessingFailure = 0x0110;
inline constexpr std::uint16_t kDuplicateSopInstance = 0x0111;
inline constexpr std::uint16_t kOutOfResources = 0xA700;
inline constexpr std::uint16_t kMoveDestinationUnknown = 0xA801;
inline constexpr std::uint16_t kCannotUnderstand = 0xC000;
}  // namespace status

// The one table from archive errors to C-STORE statuses (PS3.4 Table B.2-1, PS3.7 C.4): the
// C-STORE SCP answers with it, STOW-RS reports it as Failure Reason (0008,1197).
std::uint16_t CStoreStatusFor(const Status& status);

// A decoded command set with typed access to the fields services need.
struct Command {
  dicom::DataSet elements;

  std::optional<std::uint16_t> command_field() const;
  std::optional<std::uint16_t> message_id() const;
  std::optional<std::uint16_t> message_id_being_responded_to() const;
  std::optional<std::uint16_t> status() const;
  std::optional<std::string> affected_sop_class_uid() const;
  std::optional<std::string> affected_sop_instance_uid() const;
  bool has_data_set() const;  // Command Data Set Type != 0x0101
};

struct CommandLimits {
  std::uint32_t max_command_length = 64u << 10;  // a command set is small; refuse bigger
};

// Decodes a command set (implicit VR little endian, group 0000 only).
Result<Command> DecodeCommand(std::span<const std::uint8_t> bytes,
                              const CommandLimits& limits = {});

// Encodes a command set with a correct Command Group Length (0000,0000).
std::vector<std::uint8_t> EncodeCommand(const dicom::DataSet& command);

// Builders for the messages we send.
dicom::DataSet MakeCEchoRq(std::uint16_t message_id);
// C-STORE-RQ (PS3.7 9.3.1.1), medium priority, with a data set.
// As a C-MOVE sub-operation it names the move's originator (PS3.7 9.3.1.1: Move Originator
// Application Entity Title and Message ID).
struct MoveOriginator {
  std::string ae_title;
  std::uint16_t message_id = 0;
};
dicom::DataSet MakeCStoreRq(std::uint16_t message_id, const std::string& sop_class_uid,
                            const std::string& sop_instance_uid,
                            const MoveOriginator* originator = nullptr);
// C-FIND-RQ (PS3.7 9.3.2.1), medium priority, with an identifier.
dicom::DataSet MakeCFindRq(std::uint16_t message_id, const std::string& sop_class_uid);
// C-MOVE-RQ (PS3.7 9.3.4.1) to `destination`, and C-GET-RQ (9.3.3.1), with an identifier.
dicom::DataSet MakeCMoveRq(std::uint16_t message_id, const std::string& sop_class_uid,
                           const std::string& destination);
dicom::DataSet MakeCGetRq(std::uint16_t message_id, const std::string& sop_class_uid);
// C-CANCEL-RQ (PS3.7 9.3.2.3) for the request `message_id`.
dicom::DataSet MakeCCancelRq(std::uint16_t message_id);

// Sub-operation counts of C-MOVE and C-GET responses (PS3.7 9.3.3.2, (0000,1020)-(0000,1023)).
struct SubOperations {
  std::uint16_t remaining = 0, completed = 0, failed = 0, warning = 0;
};
void SetSubOperations(dicom::DataSet& response, const SubOperations& counts,
                      bool include_remaining);
SubOperations GetSubOperations(const dicom::DataSet& response);
dicom::DataSet MakeResponse(CommandField response_field,
                            std::uint16_t message_id_being_responded_to,
                            const std::string& affected_sop_class_uid,
                            const std::string& affected_sop_instance_uid, std::uint16_t status,
                            bool has_data_set = false);

}  // namespace bastion::net::dimse
