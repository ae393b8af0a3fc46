// libFuzzer target: the upper-layer PDU framer and decoder (PS3.8 9.3), src/net/pdu.
//
// Input: byte 0 picks how the rest is chunked as it is fed to a PduFramer (0: all at once,
// else chunks of 1..255 bytes), as a TCP stream might split it. Every PDU the framer yields is
// re-encoded with EncodePdu and decoded again.
// Invariants: the decoder accepts what the encoder produced, and encoding the re-decoded value
// gives the same bytes (the codec round-trips every value it can produce).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "net/pdu/pdu.h"
#include "net/pdu/pdu_codec.h"

namespace {

using namespace bastion::net::pdu;

[[noreturn]] void InvariantBroken(const char* what, const std::string& detail) {
  std::fprintf(stderr, "INVARIANT BROKEN: %s: %s\n", what, detail.c_str());
  std::abort();
}

// The product's limits, but P-DATA-TF capped at 64 KiB so inputs stay fast.
PduLimits FuzzLimits() {
  PduLimits limits;
  limits.max_pdata_length = 64u << 10;
  limits.max_associate_length = 64u << 10;
  limits.max_pdvs_per_pdu = 256;
  return limits;
}

bastion::Result<Pdu> DecodeWhole(std::span<const std::uint8_t> bytes, const PduLimits& limits) {
  if (bytes.size() < kPduHeaderLength) return bastion::Status::Malformed("short");
  auto header = DecodePduHeader(bytes.first(kPduHeaderLength), limits);
  if (!header.ok()) return header.status();
  if (bytes.size() != kPduHeaderLength + header->length) {
    return bastion::Status::Malformed("encoded length differs from header length");
  }
  return DecodePduBody(*header, bytes.subspan(kPduHeaderLength), limits);
}

void CheckRoundTrip(const Pdu& pdu, const PduLimits& limits) {
  const std::vector<std::uint8_t> first = EncodePdu(pdu);
  auto again = DecodeWhole(first, limits);
  if (!again.ok()) {
    InvariantBroken(
        "decoder rejects the encoding of a decoded PDU",
        "type " + std::to_string(static_cast<int>(TypeOf(pdu))) + ": " + again.status().ToString());
  }
  if (TypeOf(*again) != TypeOf(pdu)) InvariantBroken("PDU type changed", "");
  const std::vector<std::uint8_t> second = EncodePdu(*again);
  if (first != second) {
    std::size_t at = 0;
    while (at < first.size() && at < second.size() && first[at] == second[at]) ++at;
    InvariantBroken("re-encoding differs",
                    "type " + std::to_string(static_cast<int>(TypeOf(pdu))) + ", " +
                        std::to_string(first.size()) + " vs " + std::to_string(second.size()) +
                        " bytes, first difference at offset " + std::to_string(at));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t chunk = data[0] == 0 ? size : data[0];
  std::span<const std::uint8_t> rest(data + 1, size - 1);
  const PduLimits limits = FuzzLimits();
  PduFramer framer(limits);
  bool failed = false;
  while (!rest.empty() && !failed) {
    const std::size_t n = std::min(chunk, rest.size());
    framer.Feed(rest.first(n));
    rest = rest.subspan(n);
    for (;;) {
      auto next = framer.Next();
      if (!next.ok()) {
        // Every decoding error maps to an A-ABORT reason (Table 9-26).
        const AbortReason reason = AbortReasonFor(next.status());
        if (reason != AbortReason::kUnrecognizedPdu &&
            reason != AbortReason::kInvalidPduParameterValue &&
            reason != AbortReason::kUnexpectedPduParameter &&
            reason != AbortReason::kUnrecognizedPduParameter) {
          InvariantBroken("decode error without an abort reason", next.status().ToString());
        }
        // A failed framer stays failed.
        if (framer.Next().ok()) InvariantBroken("framer recovered after an error", "");
        failed = true;
        break;
      }
      if (!next->has_value()) break;
      CheckRoundTrip(**next, limits);
    }
  }
  return 0;
}
