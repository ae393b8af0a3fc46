// The actions of PS3.8 Tables 9-6 to 9-9, performed as effects (see association_machine.h).
#include "net/ul/association_machine.h"

#include <string>
#include <type_traits>
#include <utility>

namespace bastion::net::ul {
namespace {

Event EventFor(const pdu::Pdu& pdu) {
  switch (pdu::TypeOf(pdu)) {
    case pdu::PduType::kAAssociateRq:
      return Event::kEvt6;
    case pdu::PduType::kAAssociateAc:
      return Event::kEvt3;
    case pdu::PduType::kAAssociateRj:
      return Event::kEvt4;
    case pdu::PduType::kPDataTf:
      return Event::kEvt10;
    case pdu::PduType::kAReleaseRq:
      return Event::kEvt12;
    case pdu::PduType::kAReleaseRp:
      return Event::kEvt13;
    case pdu::PduType::kAAbort:
      return Event::kEvt16;
  }
  return Event::kEvt19;
}

template <typename T, typename Variant>
T Take(Variant& payload) {
  if (T* value = std::get_if<T>(&payload)) return std::move(*value);
  return T{};
}

// The A-ABORT reason for an abort the peer caused: the decoder's reason for an invalid PDU
// (Evt19), unexpected-PDU for a valid PDU in the wrong state.
template <typename Variant>
pdu::AbortReason PeerFaultReason(const Variant& payload) {
  if (const auto* reason = std::get_if<pdu::AbortReason>(&payload)) return *reason;
  return pdu::AbortReason::kUnexpectedPdu;
}

pdu::AAbort ProviderAbort(pdu::AbortReason reason) {
  return pdu::AAbort{pdu::AbortSource::kServiceProvider, reason};
}

}  // namespace

bool AcceptableToServiceProvider(const pdu::AAssociateRq& request) {
  return (request.protocol_version & 0x0001) != 0;
}

Result<Effects> AssociationMachine::OnConnectionOpened() {
  return Request(Event::kEvt5, std::monostate{});
}

Result<Effects> AssociationMachine::OnTransportConnected() {
  return Request(Event::kEvt2, std::monostate{});
}

Effects AssociationMachine::OnPduReceived(pdu::Pdu pdu) {
  const Event event = EventFor(pdu);
  Payload payload = std::visit(
      [](auto&& p) -> Payload {
        using T = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<T, pdu::AReleaseRq> || std::is_same_v<T, pdu::AReleaseRp>) {
          return std::monostate{};
        } else {
          return Payload(std::move(p));
        }
      },
      std::move(pdu));
  return Receive(event, std::move(payload));
}

Effects AssociationMachine::OnInvalidPdu(pdu::AbortReason reason) {
  return Receive(Event::kEvt19, reason);
}

Effects AssociationMachine::OnTransportClosed() { return Receive(Event::kEvt17, std::monostate{}); }

Effects AssociationMachine::OnArtimExpired() { return Receive(Event::kEvt18, std::monostate{}); }

Result<Effects> AssociationMachine::RequestAssociation(pdu::AAssociateRq request) {
  return Request(Event::kEvt1, std::move(request));
}

Result<Effects> AssociationMachine::AcceptAssociation(pdu::AAssociateAc response) {
  return Request(Event::kEvt7, std::move(response));
}

Result<Effects> AssociationMachine::RejectAssociation(pdu::AAssociateRj response) {
  return Request(Event::kEvt8, response);
}

Result<Effects> AssociationMachine::SendData(pdu::PDataTf data) {
  return Request(Event::kEvt9, std::move(data));
}

Result<Effects> AssociationMachine::RequestRelease() {
  return Request(Event::kEvt11, std::monostate{});
}

Result<Effects> AssociationMachine::RespondRelease() {
  return Request(Event::kEvt14, std::monostate{});
}

Result<Effects> AssociationMachine::Abort() { return Request(Event::kEvt15, std::monostate{}); }

Result<Effects> AssociationMachine::Request(Event event, Payload payload) {
  std::optional<Action> action = TableAction(state_, event);
  if (!action) {
    last_action_.reset();
    return Status::Internal(std::string(EventName(event)) + " (" +
                            std::string(EventDescription(event)) + ") is not allowed in " +
                            std::string(StateName(state_)));
  }
  return Perform(event, *action, std::move(payload));
}

Effects AssociationMachine::Receive(Event event, Payload payload) {
  if (std::optional<Action> action = TableAction(state_, event)) {
    return Perform(event, *action, std::move(payload));
  }
  last_action_.reset();
  // A closed connection or an expired timer with nothing left to oversee: the transport
  // reported something that no longer matters (Evt17 in Sta1, Evt18 after StopArtim).
  if (event == Event::kEvt17 || event == Event::kEvt18) return {};
  // Bytes arriving in Sta1 belong to a connection we have already asked to close: there is no
  // association to abort, so only insist on the close.
  if (state_ == State::kSta1) return {CloseTransport{}};
  // Any other blank cell for a received PDU (Sta4, before the connection is confirmed) is an
  // unexpected PDU.
  return Perform(event, Action::kAa8, std::move(payload));
}

void AssociationMachine::Start(Effects& effects) {
  effects.emplace_back(StartArtim{});
  artim_running_ = true;
}

void AssociationMachine::Stop(Effects& effects) {
  if (!artim_running_) return;
  effects.emplace_back(StopArtim{});
  artim_running_ = false;
}

Effects AssociationMachine::Perform(Event event, Action action, Payload payload) {
  Effects effects;
  bool condition = false;  // AE-6: request acceptable; AR-8: we are the requestor
  switch (action) {
    // ---- Table 9-6: association establishment ----
    case Action::kAe1:
      role_ = Role::kRequestor;
      pending_request_ = Take<pdu::AAssociateRq>(payload);
      effects.emplace_back(OpenTransport{});
      break;
    case Action::kAe2:
      effects.emplace_back(SendPdu{pending_request_.value_or(pdu::AAssociateRq{})});
      pending_request_.reset();
      break;
    case Action::kAe3:
      effects.emplace_back(AssociateAcceptConfirmation{Take<pdu::AAssociateAc>(payload)});
      break;
    case Action::kAe4:
      effects.emplace_back(AssociateRejectConfirmation{Take<pdu::AAssociateRj>(payload)});
      effects.emplace_back(CloseTransport{});
      break;
    case Action::kAe5:
      role_ = Role::kAcceptor;
      Start(effects);
      break;
    case Action::kAe6: {
      Stop(effects);
      pdu::AAssociateRq request = Take<pdu::AAssociateRq>(payload);
      condition = AcceptableToServiceProvider(request);
      if (condition) {
        effects.emplace_back(AssociateIndication{std::move(request)});
      } else {
        effects.emplace_back(SendPdu{pdu::AAssociateRj{
            pdu::RejectResult::kPermanent, pdu::RejectSource::kServiceProviderAcse,
            pdu::reject_reason::kProtocolVersionNotSupported}});
        Start(effects);
      }
      break;
    }
    case Action::kAe7:
      effects.emplace_back(SendPdu{Take<pdu::AAssociateAc>(payload)});
      break;
    case Action::kAe8:
      effects.emplace_back(SendPdu{Take<pdu::AAssociateRj>(payload)});
      Start(effects);
      break;

    // ---- Table 9-7: data transfer ----
    case Action::kDt1:
    case Action::kAr7:
      effects.emplace_back(SendPdu{Take<pdu::PDataTf>(payload)});
      break;
    case Action::kDt2:
    case Action::kAr6:
      effects.emplace_back(DataIndication{Take<pdu::PDataTf>(payload)});
      break;

    // ---- Table 9-8: association release ----
    case Action::kAr1:
      effects.emplace_back(SendPdu{pdu::AReleaseRq{}});
      break;
    case Action::kAr2:
      effects.emplace_back(ReleaseIndication{false});
      break;
    case Action::kAr3:
      effects.emplace_back(ReleaseConfirmation{});
      effects.emplace_back(CloseTransport{});
      break;
    case Action::kAr4:
      effects.emplace_back(SendPdu{pdu::AReleaseRp{}});
      Start(effects);
      break;
    case Action::kAr5:
      Stop(effects);
      break;
    case Action::kAr8:
      effects.emplace_back(ReleaseIndication{true});
      condition = role_ == Role::kRequestor;
      break;
    case Action::kAr9:
      effects.emplace_back(SendPdu{pdu::AReleaseRp{}});
      break;
    case Action::kAr10:
      effects.emplace_back(ReleaseConfirmation{});
      break;

    // ---- Table 9-9: association abort ----
    case Action::kAa1:
      // Table 9-9 names the service user as the source: true for the local user's A-ABORT
      // (Evt15). In Sta2 the cell is reached through the peer's fault while no local user knows
      // of the association yet; the peer is then told why, as the service provider.
      effects.emplace_back(
          SendPdu{event == Event::kEvt15
                      ? pdu::AAbort{pdu::AbortSource::kServiceUser, pdu::AbortReason::kNotSpecified}
                      : ProviderAbort(PeerFaultReason(payload))});
      Start(effects);
      break;
    case Action::kAa2:
      Stop(effects);
      effects.emplace_back(CloseTransport{});
      break;
    case Action::kAa3: {
      const pdu::AAbort abort = Take<pdu::AAbort>(payload);
      if (abort.source == pdu::AbortSource::kServiceUser) {
        effects.emplace_back(AbortIndication{});
      } else {
        effects.emplace_back(
            ProviderAbortIndication{ProviderAbortCause::kPeerProvider, abort.reason});
      }
      effects.emplace_back(CloseTransport{});
      break;
    }
    case Action::kAa4:
      effects.emplace_back(ProviderAbortIndication{ProviderAbortCause::kTransportClosed,
                                                   pdu::AbortReason::kNotSpecified});
      Stop(effects);
      break;
    case Action::kAa5:
      Stop(effects);
      break;
    case Action::kAa6:
      break;
    case Action::kAa7:
      effects.emplace_back(SendPdu{ProviderAbort(PeerFaultReason(payload))});
      break;
    case Action::kAa8: {
      const pdu::AbortReason reason = PeerFaultReason(payload);
      effects.emplace_back(SendPdu{ProviderAbort(reason)});
      effects.emplace_back(ProviderAbortIndication{ProviderAbortCause::kProtocolError, reason});
      Start(effects);
      break;
    }
  }
  last_action_ = action;
  state_ = NextState(action, condition);
  return effects;
}

}  // namespace bastion::net::ul
