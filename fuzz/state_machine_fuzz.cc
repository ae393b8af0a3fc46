// libFuzzer target: the upper-layer association state machine (PS3.8 9.2), src/net/ul, fed
// with PDUs decoded from fuzzer bytes by the real PduFramer.
//
// Input: a sequence of operations; each byte picks one (value % 16):
//    0 OnConnectionOpened    1 OnTransportConnected   2 RequestAssociation   3 AcceptAssociation
//    4 RejectAssociation     5 SendData               6 RequestRelease       7 RespondRelease
//    8 Abort                 9 OnArtimExpired        10 OnTransportClosed
//   11 a well-formed PDU of the type picked by the next byte (encoded, then framed and decoded)
//   12-15 raw bytes: the next byte is a length n, the n bytes after it go to the framer
// Every PDU the framer yields goes to OnPduReceived, a framing error to OnInvalidPdu with
// AbortReasonFor. The framer is replaced when the machine returns to Sta1 (a new connection).
// Invariants (abort when broken): the state is one of Sta1..Sta13; the ARTIM timer, as the
// effects start and stop it, runs exactly in Sta2 and Sta13 and is never stopped when idle;
// CloseTransport leaves the machine in Sta1; the machine is in Sta1 exactly when the transport
// is closed (by an effect or by OnTransportClosed); a refused local-user call changes nothing;
// every PDU the machine sends encodes and decodes again.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "net/pdu/pdu.h"
#include "net/pdu/pdu_codec.h"
#include "net/ul/association_machine.h"
#include "net/ul/state_table.h"

namespace {

using namespace bastion;
using namespace bastion::net;
using ul::State;

[[noreturn]] void InvariantBroken(const char* what, const std::string& detail) {
  std::fprintf(stderr, "INVARIANT BROKEN: %s: %s\n", what, detail.c_str());
  std::abort();
}

pdu::PduLimits FuzzLimits() {
  pdu::PduLimits limits;
  limits.max_pdata_length = 16u << 10;
  limits.max_associate_length = 16u << 10;
  limits.max_presentation_contexts = 8;
  limits.max_transfer_syntaxes_per_context = 4;
  limits.max_user_identity_field = 1024;
  limits.max_pdvs_per_pdu = 16;
  return limits;
}

pdu::AAssociateRq SampleRq(std::uint8_t variant) {
  pdu::AAssociateRq rq;
  rq.protocol_version = (variant & 1) ? 1 : 2;  // sometimes unacceptable to the provider
  rq.called_ae_title = "BASTION";
  rq.calling_ae_title = "FUZZSCU";
  rq.presentation_contexts.push_back({1, "1.2.840.10008.1.1", {"1.2.840.10008.1.2"}});
  rq.user_information.max_pdu_length = 16384;
  rq.user_information.implementation_class_uid = "1.2.3.4";
  return rq;
}

pdu::AAssociateAc SampleAc() {
  pdu::AAssociateAc ac;
  ac.called_ae_title = "BASTION";
  ac.calling_ae_title = "FUZZSCU";
  ac.presentation_contexts.push_back({1, pdu::ContextResult::kAcceptance, "1.2.840.10008.1.2"});
  ac.user_information.max_pdu_length = 16384;
  ac.user_information.implementation_class_uid = "1.2.3.4";
  return ac;
}

pdu::PDataTf SampleData(std::uint8_t variant) {
  pdu::PDataTf data;
  data.values.push_back({1, (variant & 1) != 0, (variant & 2) != 0, {variant, 0, 0, 0}});
  return data;
}

pdu::Pdu SamplePdu(std::uint8_t pick) {
  switch (pick % 8) {
    case 0:
      return SampleRq(pick >> 3);
    case 1:
      return SampleAc();
    case 2:
      return pdu::AAssociateRj{pdu::RejectResult::kPermanent, pdu::RejectSource::kServiceUser, 1};
    case 3:
      return SampleData(pick);
    case 4:
      return pdu::AReleaseRq{};
    case 5:
      return pdu::AReleaseRp{};
    case 6:
      return pdu::AAbort{pdu::AbortSource::kServiceUser, pdu::AbortReason::kNotSpecified};
    default:
      return pdu::AAbort{pdu::AbortSource::kServiceProvider, pdu::AbortReason::kUnexpectedPdu};
  }
}

enum class Transport { kClosed, kConnecting, kOpen };

struct Harness {
  ul::AssociationMachine machine;
  std::unique_ptr<pdu::PduFramer> framer = std::make_unique<pdu::PduFramer>(FuzzLimits());
  Transport transport = Transport::kClosed;
  bool artim = false;           // as the effects left it
  State before = State::kSta1;  // the state when the current operation began

  std::string Where() const { return std::string(ul::StateName(machine.state())); }

  void Apply(const ul::Effects& effects) {
    bool closed = false;
    for (const ul::Effect& effect : effects) {
      if (std::holds_alternative<ul::StartArtim>(effect)) {
        artim = true;
      } else if (std::holds_alternative<ul::StopArtim>(effect)) {
        if (!artim) InvariantBroken("StopArtim while ARTIM is not running", Where());
        artim = false;
      } else if (std::holds_alternative<ul::OpenTransport>(effect)) {
        if (transport != Transport::kClosed) InvariantBroken("OpenTransport while open", Where());
        transport = Transport::kConnecting;
      } else if (std::holds_alternative<ul::CloseTransport>(effect)) {
        transport = Transport::kClosed;
        closed = true;
      } else if (const auto* send = std::get_if<ul::SendPdu>(&effect)) {
        pdu::PduFramer check(FuzzLimits());
        check.Feed(pdu::EncodePdu(send->pdu));
        auto decoded = check.Next();
        if (!decoded.ok() || !decoded->has_value()) {
          InvariantBroken("a PDU the machine sends does not decode",
                          decoded.ok() ? "incomplete" : decoded.status().ToString());
        }
      }
    }
    Check(closed);
  }

  void Check(bool closed_now) {
    const int s = static_cast<int>(machine.state());
    if (s < 1 || s > ul::kStateCount) InvariantBroken("state out of range", std::to_string(s));
    const bool artim_expected = machine.state() == State::kSta2 || machine.state() == State::kSta13;
    if (artim != artim_expected || machine.artim_running() != artim_expected) {
      InvariantBroken("ARTIM runs outside Sta2/Sta13 or is stopped inside them", Where());
    }
    if (closed_now && machine.state() != State::kSta1) {
      InvariantBroken("CloseTransport without returning to Sta1", Where());
    }
    if ((machine.state() == State::kSta1) != (transport == Transport::kClosed)) {
      InvariantBroken("Sta1 and a closed transport disagree", Where());
    }
    if (machine.state() == State::kSta1) {
      framer = std::make_unique<pdu::PduFramer>(FuzzLimits());
    }
  }

  void LocalCall(Result<ul::Effects> result) {
    if (result.ok()) {
      Apply(*result);
    } else if (result.status().code() != StatusCode::kInternal) {
      InvariantBroken("refused call with an unexpected code", result.status().ToString());
    } else {
      if (machine.state() != before) InvariantBroken("a refused call changed the state", Where());
      Check(false);
    }
  }

  void Feed(std::span<const std::uint8_t> bytes) {
    framer->Feed(bytes);
    for (int i = 0; i < 64; ++i) {
      auto next = framer->Next();
      if (!next.ok()) {
        Apply(machine.OnInvalidPdu(pdu::AbortReasonFor(next.status())));
        // The transport stops reading a connection whose bytes no longer frame.
        framer = std::make_unique<pdu::PduFramer>(FuzzLimits());
        return;
      }
      if (!next->has_value()) return;
      Apply(machine.OnPduReceived(std::move(**next)));
    }
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Harness h;
  std::size_t i = 0;
  auto next_byte = [&]() -> std::uint8_t { return i < size ? data[i++] : 0; };
  while (i < size) {
    const std::uint8_t op = next_byte();
    h.before = h.machine.state();
    switch (op % 16) {
      case 0: {
        auto r = h.machine.OnConnectionOpened();
        if (r.ok()) h.transport = Transport::kOpen;
        h.LocalCall(std::move(r));
        break;
      }
      case 1: {
        auto r = h.machine.OnTransportConnected();
        if (r.ok()) h.transport = Transport::kOpen;
        h.LocalCall(std::move(r));
        break;
      }
      case 2:
        h.LocalCall(h.machine.RequestAssociation(SampleRq(1)));
        break;
      case 3:
        h.LocalCall(h.machine.AcceptAssociation(SampleAc()));
        break;
      case 4: {
        const std::uint8_t b = next_byte();
        h.LocalCall(h.machine.RejectAssociation(pdu::AAssociateRj{
            (b & 1) ? pdu::RejectResult::kPermanent : pdu::RejectResult::kTransient,
            static_cast<pdu::RejectSource>(1 + (b >> 1) % 3), static_cast<std::uint8_t>(b >> 3)}));
        break;
      }
      case 5:
        h.LocalCall(h.machine.SendData(SampleData(next_byte())));
        break;
      case 6:
        h.LocalCall(h.machine.RequestRelease());
        break;
      case 7:
        h.LocalCall(h.machine.RespondRelease());
        break;
      case 8:
        h.LocalCall(h.machine.Abort());
        break;
      case 9:
        h.Apply(h.machine.OnArtimExpired());
        break;
      case 10:
        h.transport = Transport::kClosed;
        h.Apply(h.machine.OnTransportClosed());
        break;
      case 11:
        h.Feed(pdu::EncodePdu(SamplePdu(next_byte())));
        break;
      default: {
        const std::size_t n = std::min<std::size_t>(next_byte(), size - i);
        h.Feed(std::span<const std::uint8_t>(data + i, n));
        i += n;
        break;
      }
    }
  }
  return 0;
}
