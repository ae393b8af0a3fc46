#include "net/dimse/message.h"

#include <algorithm>

namespace bastion::net::dimse {

Status MessageAssembler::Consume(const pdu::PDataTf& pdata, MessageHandler& handler) {
  for (const pdu::PresentationDataValue& pdv : pdata.values) {
    BASTION_RETURN_IF_ERROR(ConsumeOne(pdv, handler));
  }
  return Status::Ok();
}

Status MessageAssembler::ConsumeOne(const pdu::PresentationDataValue& pdv,
                                    MessageHandler& handler) {
  if (!is_accepted_context_(pdv.context_id)) {
    return Status::Malformed("data on presentation context " + std::to_string(pdv.context_id) +
                             ", which was not accepted");
  }
  if ((in_command_ || expecting_data_) && pdv.context_id != context_id_) {
    return Status::Malformed("message fragments switch from presentation context " +
                             std::to_string(context_id_) + " to " + std::to_string(pdv.context_id));
  }
  if (pdv.is_command) {
    if (expecting_data_) {
      return Status::Malformed(
          "a command arrived while the previous message's data set was "
          "incomplete");
    }
    if (command_buffer_.size() + pdv.data.size() > limits_.max_command_length) {
      return Status::LimitExceeded("command set longer than " +
                                   std::to_string(limits_.max_command_length) + " bytes");
    }
    command_buffer_.insert(command_buffer_.end(), pdv.data.begin(), pdv.data.end());
    context_id_ = pdv.context_id;
    in_command_ = !pdv.is_last;
    if (!pdv.is_last) return Status::Ok();
    auto command = DecodeCommand(command_buffer_, limits_);
    command_buffer_.clear();
    if (!command.ok()) return command.status();
    expecting_data_ = command->has_data_set();
    return handler.OnCommand(pdv.context_id, std::move(command).value());
  }
  if (in_command_) {
    return Status::Malformed("a data set fragment arrived before the command set was complete");
  }
  if (!expecting_data_) {
    return Status::Malformed("a data set fragment arrived without a command announcing it");
  }
  if (pdv.is_last) expecting_data_ = false;
  return handler.OnDataSetFragment(pdv.context_id, pdv.data, pdv.is_last);
}

bool ForEachFragment(std::uint8_t context_id, std::span<const std::uint8_t> command,
                     std::span<const std::uint8_t> data_set, std::uint32_t max_pdu_length,
                     const std::function<bool(pdu::PDataTf)>& emit, std::uint32_t fallback_max) {
  std::uint32_t max = max_pdu_length == 0 ? fallback_max : std::min(max_pdu_length, fallback_max);
  // A PDV item costs 4 (length) + 2 (context, control) bytes of the PDU's length.
  const std::size_t chunk = max > 6 ? max - 6 : 1;
  auto emit_all = [&](std::span<const std::uint8_t> bytes, bool is_command) {
    std::size_t offset = 0;
    do {
      const std::size_t n = std::min(chunk, bytes.size() - offset);
      pdu::PresentationDataValue pdv;
      pdv.context_id = context_id;
      pdv.is_command = is_command;
      pdv.is_last = offset + n == bytes.size();
      pdv.data.assign(bytes.begin() + static_cast<std::ptrdiff_t>(offset),
                      bytes.begin() + static_cast<std::ptrdiff_t>(offset + n));
      if (!emit(pdu::PDataTf{{std::move(pdv)}})) return false;
      offset += n;
    } while (offset < bytes.size());
    return true;
  };
  if (!emit_all(command, true)) return false;
  return data_set.empty() || emit_all(data_set, false);
}

std::vector<pdu::PDataTf> FragmentMessage(std::uint8_t context_id,
                                          std::span<const std::uint8_t> command,
                                          std::span<const std::uint8_t> data_set,
                                          std::uint32_t max_pdu_length,
                                          std::uint32_t fallback_max) {
  std::vector<pdu::PDataTf> out;
  ForEachFragment(
      context_id, command, data_set, max_pdu_length,
      [&out](pdu::PDataTf pdata) {
        out.push_back(std::move(pdata));
        return true;
      },
      fallback_max);
  return out;
}

}  // namespace bastion::net::dimse
