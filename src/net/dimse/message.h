// DIMSE message assembly from P-DATA presentation data values, and fragmentation of outgoing
// messages into P-DATA-TF PDUs (PS3.7 section 9, PS3.8 Annex E).
//
// A message is a command set, then (if its Command Data Set Type says so) a data set, each
// carried in PDVs of one presentation context and ended by a PDV with the "last" bit. The
// assembler buffers only the command (bounded); data set fragments are handed on as they
// arrive so a receiver can stream them to storage instead of holding them in memory.
// Thread-safety: an assembler belongs to one association.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "base/status.h"
#include "net/dimse/command.h"
#include "net/pdu/pdu.h"

namespace bastion::net::dimse {

class MessageHandler {
 public:
  virtual ~MessageHandler() = default;
  // A complete command set arrived on `context_id`.
  virtual Status OnCommand(std::uint8_t context_id, Command command) = 0;
  // A fragment of the data set that follows the last command; `last` ends the message. The
  // bytes are valid only during the call.
  virtual Status OnDataSetFragment(std::uint8_t context_id, std::span<const std::uint8_t> bytes,
                                   bool last) = 0;
};

class MessageAssembler {
 public:
  // `is_accepted_context` says whether a presentation context ID was accepted on this
  // association; PDVs on any other context are a protocol error.
  MessageAssembler(CommandLimits limits, std::function<bool(std::uint8_t)> is_accepted_context)
      : limits_(limits), is_accepted_context_(std::move(is_accepted_context)) {}

  // Consumes the PDVs of one P-DATA-TF in order. An error means the association must be
  // aborted (the peer broke PS3.7 9.3.1 / PS3.8 E.2 framing).
  Status Consume(const pdu::PDataTf& pdata, MessageHandler& handler);

  // True between a command announcing a data set and the data set's last fragment.
  bool expecting_data_set() const { return expecting_data_; }

 private:
  Status ConsumeOne(const pdu::PresentationDataValue& pdv, MessageHandler& handler);

  CommandLimits limits_;
  std::function<bool(std::uint8_t)> is_accepted_context_;
  std::vector<std::uint8_t> command_buffer_;
  std::uint8_t context_id_ = 0;  // context of the message in progress
  bool in_command_ = false;
  bool expecting_data_ = false;
};

// Splits a message into P-DATA-TF PDUs whose length does not exceed `max_pdu_length` (the
// peer's Maximum Length; 0 means unlimited, then `fallback_max` applies). The command and
// the data set never share a PDV.
// The same, one PDU at a time, so that a large data set is never copied whole: `emit` returns
// false to stop (e.g. a send failed), and ForEachFragment then returns false.
bool ForEachFragment(std::uint8_t context_id, std::span<const std::uint8_t> command,
                     std::span<const std::uint8_t> data_set, std::uint32_t max_pdu_length,
                     const std::function<bool(pdu::PDataTf)>& emit,
                     std::uint32_t fallback_max = 1u << 20);
std::vector<pdu::PDataTf> FragmentMessage(std::uint8_t context_id,
                                          std::span<const std::uint8_t> command,
                                          std::span<const std::uint8_t> data_set,
                                          std::uint32_t max_pdu_length,
                                          std::uint32_t fallback_max = 1u << 20);

}  // namespace bastion::net::dimse
