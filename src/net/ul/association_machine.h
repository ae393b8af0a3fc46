// One association's DICOM upper-layer state machine (PS3.8 section 9.2), pure: every entry
// point is an event of Table 9-10, and the result is the list of effects the caller must carry
// out, in order (send a PDU, start or stop the ARTIM timer, open or close the transport) plus
// the indications and confirmations for the local user. No sockets, clocks or threads: the
// transport owns the ARTIM timer and calls OnArtimExpired() when it fires.
//
// Events the peer or the network cause never fail. A blank cell of Table 9-10 for a received
// PDU (or an invalid one) is handled as an unexpected PDU: AA-8, that is an A-ABORT PDU
// (source service-provider, reason unexpected-PDU), an A-P-ABORT indication, ARTIM, Sta13 --
// except in Sta1, where the connection is already being closed and the machine only repeats
// CloseTransport. A late ARTIM expiry or a close report with nothing to do is ignored.
// A local-user (or transport-open) request in a state whose cell is blank is a programming
// error of ours, reported as an Internal Status with the state unchanged; it never crashes.
//
// Thread-safety: none; one machine per connection, driven from that connection's strand.
#pragma once

#include <optional>
#include <variant>
#include <vector>

#include "base/status.h"
#include "net/pdu/pdu.h"
#include "net/ul/state_table.h"

namespace bastion::net::ul {

// Which end of the association this machine plays. Fixed by the event that leaves Sta1:
// Evt1 (local A-ASSOCIATE request) makes a requestor, Evt5 (incoming connection) an acceptor.
enum class Role : std::uint8_t { kRequestor, kAcceptor };

// ---- Effects for the transport ----

// AE-1: open a transport connection to the peer; report OnTransportConnected (Evt2) or
// OnTransportClosed (Evt17).
struct OpenTransport {};
// Encode and send this PDU.
struct SendPdu {
  pdu::Pdu pdu;
};
// Start the ARTIM timer, or restart it when it is running.
struct StartArtim {};
struct StopArtim {};
// Close the transport connection once queued bytes are written.
struct CloseTransport {};

// ---- Indications and confirmations for the local user (PS3.8 section 7 primitives) ----

// A-ASSOCIATE indication (AE-6): answer with AcceptAssociation or RejectAssociation.
struct AssociateIndication {
  pdu::AAssociateRq request;
};
// A-ASSOCIATE confirmation, accept (AE-3).
struct AssociateAcceptConfirmation {
  pdu::AAssociateAc response;
};
// A-ASSOCIATE confirmation, reject (AE-4).
struct AssociateRejectConfirmation {
  pdu::AAssociateRj response;
};
// P-DATA indication (DT-2, AR-6).
struct DataIndication {
  pdu::PDataTf data;
};
// A-RELEASE indication (AR-2; AR-8 on a release collision): answer with RespondRelease.
struct ReleaseIndication {
  bool collision = false;
};
// A-RELEASE confirmation (AR-3, AR-10).
struct ReleaseConfirmation {};
// A-ABORT indication: the peer's service user aborted (AA-3, source 0).
struct AbortIndication {};
// Why the provider aborted.
enum class ProviderAbortCause : std::uint8_t {
  kPeerProvider,     // AA-3: the peer's upper layer sent an A-ABORT with source 2
  kProtocolError,    // AA-8: the peer sent a PDU we did not expect or could not decode
  kTransportClosed,  // AA-4: the connection closed under an association
};
// A-P-ABORT indication (AA-3 with source 2, AA-4, AA-8).
struct ProviderAbortIndication {
  ProviderAbortCause cause = ProviderAbortCause::kProtocolError;
  pdu::AbortReason reason = pdu::AbortReason::kNotSpecified;
};

using Indication = std::variant<AssociateIndication, AssociateAcceptConfirmation,
                                AssociateRejectConfirmation, DataIndication, ReleaseIndication,
                                ReleaseConfirmation, AbortIndication, ProviderAbortIndication>;

using Effect =
    std::variant<OpenTransport, SendPdu, StartArtim, StopArtim, CloseTransport, Indication>;
using Effects = std::vector<Effect>;

class AssociationMachine {
 public:
  AssociationMachine() = default;

  State state() const { return state_; }
  // Unset in Sta1 before the first association; kept after it ends, for the record.
  std::optional<Role> role() const { return role_; }
  // Whether the effects so far leave the ARTIM timer running (it runs exactly in Sta2, Sta13).
  bool artim_running() const { return artim_running_; }
  // The Table 9-10 action the last event performed; nullopt if the event was refused or
  // ignored. A blank cell for a received PDU records the AA-8 it was handled with.
  std::optional<Action> last_action() const { return last_action_; }

  // ---- Transport events ----
  // Evt5: a peer connected to us (acceptor). AE-5 starts ARTIM.
  [[nodiscard]] Result<Effects> OnConnectionOpened();
  // Evt2: the connection we opened (OpenTransport) is up. AE-2 sends the A-ASSOCIATE-RQ.
  [[nodiscard]] Result<Effects> OnTransportConnected();
  // Evt3, Evt4, Evt6, Evt10, Evt12, Evt13 or Evt16 by the PDU's type.
  [[nodiscard]] Effects OnPduReceived(pdu::Pdu pdu);
  // Evt19: bytes that do not decode as a PDU; `reason` from pdu::AbortReasonFor.
  [[nodiscard]] Effects OnInvalidPdu(pdu::AbortReason reason);
  // Evt17. In Sta1 (already closed by us) it changes nothing.
  [[nodiscard]] Effects OnTransportClosed();
  // Evt18. Outside Sta2 and Sta13 the timer is not running, so a late expiry is ignored.
  [[nodiscard]] Effects OnArtimExpired();

  // ---- Local user requests and responses ----
  // Evt1 (AE-1): the request is kept and sent when the transport connects.
  [[nodiscard]] Result<Effects> RequestAssociation(pdu::AAssociateRq request);
  // Evt7 (AE-7) and Evt8 (AE-8), answering an AssociateIndication.
  [[nodiscard]] Result<Effects> AcceptAssociation(pdu::AAssociateAc response);
  [[nodiscard]] Result<Effects> RejectAssociation(pdu::AAssociateRj response);
  // Evt9 (DT-1, AR-7).
  [[nodiscard]] Result<Effects> SendData(pdu::PDataTf data);
  // Evt11 (AR-1).
  [[nodiscard]] Result<Effects> RequestRelease();
  // Evt14 (AR-4, AR-9), answering a ReleaseIndication.
  [[nodiscard]] Result<Effects> RespondRelease();
  // Evt15 (AA-1, AA-2): an A-ABORT with source service-user.
  [[nodiscard]] Result<Effects> Abort();

 private:
  // What an event carries into its action.
  using Payload = std::variant<std::monostate, pdu::AAssociateRq, pdu::AAssociateAc,
                               pdu::AAssociateRj, pdu::PDataTf, pdu::AAbort, pdu::AbortReason>;

  // For local-user and transport events: refuses blank cells with an Internal Status.
  Result<Effects> Request(Event event, Payload payload);
  // For peer events: blank cells become AA-8 (or, in Sta1, a repeated CloseTransport).
  Effects Receive(Event event, Payload payload);
  Effects Perform(Event event, Action action, Payload payload);

  void Start(Effects& effects);
  void Stop(Effects& effects);
  Effects UnexpectedPdu(pdu::AbortReason reason);

  State state_ = State::kSta1;
  std::optional<Role> role_;
  bool artim_running_ = false;
  std::optional<Action> last_action_;
  // AE-1 keeps the request until AE-2 sends it.
  std::optional<pdu::AAssociateRq> pending_request_;
};

// AE-6's test "A-ASSOCIATE-RQ acceptable by service-provider": the protocol version has bit 0
// set (PS3.8 9.3.2: a receiver implementing only version 1 tests only that bit). Whether the
// called AE, the application context and the contexts are acceptable is the service user's
// decision (A-ASSOCIATE-RJ with source 1, via RejectAssociation).
bool AcceptableToServiceProvider(const pdu::AAssociateRq& request);

}  // namespace bastion::net::ul
