#include "net/dimse/command.h"

#include <cstdio>

#include "base/byte_reader.h"
#include "dicom/reader.h"
#include "dicom/writer.h"

namespace bastion::net::dimse {
namespace {

using dicom::Tag;
using dicom::Vr;

constexpr Tag kAffectedSopClassUid{0x0000, 0x0002};
constexpr Tag kCommandFieldTag{0x0000, 0x0100};
constexpr Tag kMessageId{0x0000, 0x0110};
constexpr Tag kMessageIdBeingRespondedTo{0x0000, 0x0120};
constexpr Tag kCommandDataSetType{0x0000, 0x0800};
constexpr Tag kStatus{0x0000, 0x0900};
constexpr Tag kAffectedSopInstanceUid{0x0000, 0x1000};

std::optional<std::uint16_t> U16(const dicom::DataSet& ds, Tag tag) {
  auto v = ds.GetInt(tag);
  if (!v || *v < 0 || *v > 0xFFFF) return std::nullopt;
  return static_cast<std::uint16_t>(*v);
}

}  // namespace

std::string CommandFieldName(std::uint16_t field) {
  switch (static_cast<CommandField>(field)) {
    case CommandField::kCStoreRq:
      return "C-STORE-RQ";
    case CommandField::kCStoreRsp:
      return "C-STORE-RSP";
    case CommandField::kCGetRq:
      return "C-GET-RQ";
    case CommandField::kCGetRsp:
      return "C-GET-RSP";
    case CommandField::kCFindRq:
      return "C-FIND-RQ";
    case CommandField::kCFindRsp:
      return "C-FIND-RSP";
    case CommandField::kCMoveRq:
      return "C-MOVE-RQ";
    case CommandField::kCMoveRsp:
      return "C-MOVE-RSP";
    case CommandField::kCEchoRq:
      return "C-ECHO-RQ";
    case CommandField::kCEchoRsp:
      return "C-ECHO-RSP";
    case CommandField::kNEventReportRq:
      return "N-EVENT-REPORT-RQ";
    case CommandField::kNEventReportRsp:
      return "N-EVENT-REPORT-RSP";
    case CommandField::kNGetRq:
      return "N-GET-RQ";
    case CommandField::kNGetRsp:
      return "N-GET-RSP";
    case CommandField::kNSetRq:
      return "N-SET-RQ";
    case CommandField::kNSetRsp:
      return "N-SET-RSP";
    case CommandField::kNActionRq:
      return "N-ACTION-RQ";
    case CommandField::kNActionRsp:
      return "N-ACTION-RSP";
    case CommandField::kNCreateRq:
      return "N-CREATE-RQ";
    case CommandField::kNCreateRsp:
      return "N-CREATE-RSP";
    case CommandField::kNDeleteRq:
      return "N-DELETE-RQ";
    case CommandField::kNDeleteRsp:
      return "N-DELETE-RSP";
    case CommandField::kCCancelRq:
      return "C-CANCEL-RQ";
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "unknown command 0x%04X", field);
  return buf;
}

std::optional<std::uint16_t> Command::command_field() const {
  return U16(elements, kCommandFieldTag);
}
std::optional<std::uint16_t> Command::message_id() const { return U16(elements, kMessageId); }
std::optional<std::uint16_t> Command::message_id_being_responded_to() const {
  return U16(elements, kMessageIdBeingRespondedTo);
}
std::optional<std::uint16_t> Command::status() const { return U16(elements, kStatus); }
std::optional<std::string> Command::affected_sop_class_uid() const {
  return elements.GetString(kAffectedSopClassUid);
}
std::optional<std::string> Command::affected_sop_instance_uid() const {
  return elements.GetString(kAffectedSopInstanceUid);
}
bool Command::has_data_set() const {
  auto type = U16(elements, kCommandDataSetType);
  return type.has_value() && *type != kNoDataSet;
}

Result<Command> DecodeCommand(std::span<const std::uint8_t> bytes, const CommandLimits& limits) {
  if (bytes.size() > limits.max_command_length) {
    return Status::LimitExceeded("command set of " + std::to_string(bytes.size()) +
                                 " bytes exceeds the limit of " +
                                 std::to_string(limits.max_command_length));
  }
  dicom::ReadOptions options;
  options.limits.max_sequence_depth = 1;
  options.limits.max_elements = 64;
  options.bulk_threshold = limits.max_command_length + 1;  // copy everything
  auto read = dicom::ReadDataSet(OwnedBytes::Make({bytes.begin(), bytes.end()}),
                                 dicom::ImplicitVrLittleEndian(), options);
  if (!read.ok()) return read.status().WithContext("invalid command set");
  Command command{std::move(read->dataset)};
  for (const dicom::Element& e : command.elements.elements()) {
    if (e.tag.group != 0x0000) {
      return Status::Malformed("command set holds " + e.tag.ToString() +
                               ", outside group 0000 (PS3.7 6.3.1)");
    }
  }
  if (!command.command_field()) {
    return Status::Malformed("command set has no Command Field (0000,0100)");
  }
  return command;
}

std::vector<std::uint8_t> EncodeCommand(const dicom::DataSet& command) {
  auto body = dicom::EncodeDataSet(command, dicom::ImplicitVrLittleEndian(),
                                   dicom::ImplicitVrLittleEndian());
  // Command sets are built by us from strings and integers; encoding cannot fail.
  std::vector<std::uint8_t> out;
  ByteWriter w(out, Endian::kLittle);
  w.WriteU16(0x0000);
  w.WriteU16(0x0000);
  w.WriteU32(4);
  w.WriteU32(static_cast<std::uint32_t>(body.ok() ? body->size() : 0));
  if (body.ok()) w.WriteBytes(*body);
  return out;
}

dicom::DataSet MakeCEchoRq(std::uint16_t message_id) {
  dicom::DataSet ds;
  ds.SetString(kAffectedSopClassUid, Vr::kUI, "1.2.840.10008.1.1");
  ds.SetU16(kCommandFieldTag, static_cast<std::uint16_t>(CommandField::kCEchoRq));
  ds.SetU16(kMessageId, message_id);
  ds.SetU16(kCommandDataSetType, kNoDataSet);
  return ds;
}

dicom::DataSet MakeCStoreRq(std::uint16_t message_id, const std::string& sop_class_uid,
                            const std::string& sop_instance_uid, const MoveOriginator* originator) {
  dicom::DataSet ds;
  ds.SetString(kAffectedSopClassUid, Vr::kUI, sop_class_uid);
  ds.SetU16(kCommandFieldTag, static_cast<std::uint16_t>(CommandField::kCStoreRq));
  ds.SetU16(kMessageId, message_id);
  ds.SetU16(dicom::Tag{0x0000, 0x0700}, 0x0000);  // Priority: medium
  ds.SetU16(kCommandDataSetType, 0x0000);         // a data set follows
  ds.SetString(kAffectedSopInstanceUid, Vr::kUI, sop_instance_uid);
  if (originator != nullptr) {
    ds.SetString(dicom::Tag{0x0000, 0x1030}, Vr::kAE, originator->ae_title);
    ds.SetU16(dicom::Tag{0x0000, 0x1031}, originator->message_id);
  }
  return ds;
}

namespace {
// A query/retrieve request: medium priority, an identifier follows.
dicom::DataSet MakeIdentifierRq(CommandField field, std::uint16_t message_id,
                                const std::string& sop_class_uid) {
  dicom::DataSet ds;
  ds.SetString(kAffectedSopClassUid, Vr::kUI, sop_class_uid);
  ds.SetU16(kCommandFieldTag, static_cast<std::uint16_t>(field));
  ds.SetU16(kMessageId, message_id);
  ds.SetU16(dicom::Tag{0x0000, 0x0700}, 0x0000);  // Priority: medium
  ds.SetU16(kCommandDataSetType, 0x0000);         // an identifier follows
  return ds;
}
}  // namespace

dicom::DataSet MakeCFindRq(std::uint16_t message_id, const std::string& sop_class_uid) {
  return MakeIdentifierRq(CommandField::kCFindRq, message_id, sop_class_uid);
}

dicom::DataSet MakeCMoveRq(std::uint16_t message_id, const std::string& sop_class_uid,
                           const std::string& destination) {
  dicom::DataSet ds = MakeIdentifierRq(CommandField::kCMoveRq, message_id, sop_class_uid);
  ds.SetString(dicom::Tag{0x0000, 0x0600}, Vr::kAE, destination);
  return ds;
}

dicom::DataSet MakeCGetRq(std::uint16_t message_id, const std::string& sop_class_uid) {
  return MakeIdentifierRq(CommandField::kCGetRq, message_id, sop_class_uid);
}

dicom::DataSet MakeCCancelRq(std::uint16_t message_id) {
  dicom::DataSet ds;
  ds.SetU16(kCommandFieldTag, static_cast<std::uint16_t>(CommandField::kCCancelRq));
  ds.SetU16(dicom::Tag{0x0000, 0x0120}, message_id);  // Message ID Being Responded To
  ds.SetU16(kCommandDataSetType, 0x0101);
  return ds;
}

void SetSubOperations(dicom::DataSet& response, const SubOperations& counts,
                      bool include_remaining) {
  if (include_remaining) response.SetU16(dicom::Tag{0x0000, 0x1020}, counts.remaining);
  response.SetU16(dicom::Tag{0x0000, 0x1021}, counts.completed);
  response.SetU16(dicom::Tag{0x0000, 0x1022}, counts.failed);
  response.SetU16(dicom::Tag{0x0000, 0x1023}, counts.warning);
}

SubOperations GetSubOperations(const dicom::DataSet& response) {
  SubOperations c;
  c.remaining = U16(response, Tag{0x0000, 0x1020}).value_or(0);
  c.completed = U16(response, Tag{0x0000, 0x1021}).value_or(0);
  c.failed = U16(response, Tag{0x0000, 0x1022}).value_or(0);
  c.warning = U16(response, Tag{0x0000, 0x1023}).value_or(0);
  return c;
}

dicom::DataSet MakeResponse(CommandField response_field,
                            std::uint16_t message_id_being_responded_to,
                            const std::string& affected_sop_class_uid,
                            const std::string& affected_sop_instance_uid, std::uint16_t status,
                            bool has_data_set) {
  dicom::DataSet ds;
  if (!affected_sop_class_uid.empty()) {
    ds.SetString(kAffectedSopClassUid, Vr::kUI, affected_sop_class_uid);
  }
  ds.SetU16(kCommandFieldTag, static_cast<std::uint16_t>(response_field));
  ds.SetU16(kMessageIdBeingRespondedTo, message_id_being_responded_to);
  ds.SetU16(kCommandDataSetType, has_data_set ? 0x0000 : kNoDataSet);
  ds.SetU16(kStatus, status);
  if (!affected_sop_instance_uid.empty()) {
    ds.SetString(kAffectedSopInstanceUid, Vr::kUI, affected_sop_instance_uid);
  }
  return ds;
}

std::uint16_t CStoreStatusFor(const Status& st) {
  switch (st.code()) {
    case StatusCode::kOk:
      return status::kSuccess;
    case StatusCode::kLimitExceeded:
      return status::kOutOfResources;
    case StatusCode::kMalformed:
      return status::kCannotUnderstand;
    case StatusCode::kConflict:
      return status::kDuplicateSopInstance;
    case StatusCode::kPermissionDenied:
      return status::kRefusedNotAuthorized;
    case StatusCode::kUnsupported:
      return status::kSopClassNotSupported;
    default:
      return status::kProcessingFailure;
  }
}

}  // namespace bastion::net::dimse
