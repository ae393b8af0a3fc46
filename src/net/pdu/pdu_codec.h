// Encoding and decoding of upper-layer PDUs (PS3.8 9.3) and incremental framing of a byte
// stream into PDUs.
//
// Every length is checked against the bytes that remain and against PduLimits before anything
// is buffered or copied; a PDU longer than allowed is refused from its 6-byte header alone.
// Decoding errors carry the A-ABORT reason the state machine should send (AbortReasonFor).
// Pure: no sockets. Thread-safety: functions are stateless; a PduFramer belongs to one
// connection.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "base/status.h"
#include "net/pdu/pdu.h"

namespace bastion::net::pdu {

struct PduLimits {
  // Largest P-DATA-TF we accept: the Maximum Length we advertise (PS3.8 D.1) plus the header.
  std::uint32_t max_pdata_length = 1u << 20;
  // Largest A-ASSOCIATE-RQ/AC (room for a JWT user identity).
  std::uint32_t max_associate_length = 64u << 10;
  std::uint32_t max_presentation_contexts = 128;
  std::uint32_t max_transfer_syntaxes_per_context = 32;
  std::uint32_t max_role_selections = 128;
  std::uint32_t max_extended_negotiations = 128;
  std::uint32_t max_user_identity_field = 16u << 10;
  std::uint32_t max_pdvs_per_pdu = 4096;
};

inline constexpr std::size_t kPduHeaderLength = 6;

struct PduHeader {
  PduType type = PduType::kAAbort;
  std::uint32_t length = 0;  // bytes after the 6-byte header
};

// Validates a PDU header: known type (else kUnsupported -> unrecognized PDU), length within
// the limit for its type (else kLimitExceeded) and plausible (A-RELEASE and A-ABORT are 4).
Result<PduHeader> DecodePduHeader(std::span<const std::uint8_t> header, const PduLimits& limits);

// Decodes the `header.length` bytes that follow a header.
Result<Pdu> DecodePduBody(const PduHeader& header, std::span<const std::uint8_t> body,
                          const PduLimits& limits);

// Encodes a PDU (AE titles padded to 16 bytes; UIDs unpadded as PS3.8 9.3.2.2.1 allows).
std::vector<std::uint8_t> EncodePdu(const Pdu& pdu);

// The A-ABORT reason (PS3.8 Table 9-26) for a decoding error.
AbortReason AbortReasonFor(const Status& decode_error);

// Splits a byte stream into PDUs. Feed() bytes as they arrive, then call Next() until it
// returns nullopt. The buffer never holds more than one PDU's worth of bytes beyond the limit.
class PduFramer {
 public:
  explicit PduFramer(PduLimits limits) : limits_(limits) {}

  // Appends received bytes.
  void Feed(std::span<const std::uint8_t> bytes);
  // The next complete PDU, nullopt when more bytes are needed, or the error that must abort
  // the association (after which the framer stays failed).
  Result<std::optional<Pdu>> Next();
  // True while part of a PDU has been received (the connection is mid-PDU).
  bool has_partial() const { return !buffer_.empty(); }

 private:
  PduLimits limits_;
  std::vector<std::uint8_t> buffer_;
  std::optional<PduHeader> header_;
  std::optional<Status> failed_;
};

}  // namespace bastion::net::pdu
