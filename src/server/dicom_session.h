// DicomSession: one DIMSE connection as the association acceptor.
//
// Bytes from the transport go through the PDU framer into the PS3.8 state machine
// (net/ul/association_machine.h); the machine's effects are carried out here: PDUs sent,
// ARTIM started and stopped, the connection closed, and indications handed to the gate
// (association requests, decided off the network threads), the DIMSE message assembler
// (data) and the release/abort handling. Timers: ARTIM (set-up and close), idle (no PDU on an
// established association) and whole-PDU (slow senders).
// Thread-safety: the transport serialises every call for one connection.
#pragma once

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <memory>
#include <optional>

#include "archive/archive.h"
#include "audit/audit_event.h"
#include "net/dimse/message.h"
#include "net/pdu/pdu_codec.h"
#include "net/transport/connection.h"
#include "net/ul/association_machine.h"
#include "security/lockout.h"
#include "server/association_gate.h"
#include "server/find_service.h"
#include "server/move_destination.h"
#include "server/retrieve_service.h"

namespace bastion::server {

struct SessionTimeouts {
  std::chrono::milliseconds artim{30000};
  std::chrono::milliseconds idle{300000};
  std::chrono::milliseconds pdu{60000};
};

// Shared by every session of one server.
struct SessionContext {
  const AssociationGate* gate = nullptr;
  security::FailureTracker* failures = nullptr;
  audit::AuditSink* audit = nullptr;
  boost::asio::thread_pool* decision_pool = nullptr;  // password hashing runs here
  archive::Archive* archive = nullptr;                // C-STORE SCP; nullptr: refused
  boost::asio::thread_pool* ingest_pool = nullptr;    // fsync, validation, index work
  FindLimits find_limits;
  const security::PeerRegistry* peers = nullptr;      // C-MOVE destinations
  boost::asio::thread_pool* retrieve_pool = nullptr;  // C-MOVE/C-GET sub-operations
  RetrieveLimits retrieve_limits;
  OutgoingSettings outgoing;
  net::pdu::PduLimits pdu_limits;
  net::dimse::CommandLimits command_limits;
  SessionTimeouts timeouts;
};

struct RetrieveLink;  // dicom_session_retrieve.cc

class DicomSession final : public net::transport::ConnectionLogic,
                           private net::dimse::MessageHandler {
 public:
  DicomSession(std::shared_ptr<const SessionContext> context, net::transport::PeerInfo peer);

  void OnOpen(net::transport::Connection& connection) override;
  void OnData(net::transport::Connection& connection, std::span<const std::uint8_t> bytes) override;
  void OnTimer(net::transport::Connection& connection, net::transport::TimerId id) override;
  void OnClosed(const std::string& reason) override;

 private:
  // MessageHandler.
  Status OnCommand(std::uint8_t context_id, net::dimse::Command command) override;
  Status OnDataSetFragment(std::uint8_t context_id, std::span<const std::uint8_t> bytes,
                           bool last) override;

  // Runs the PDUs the framer holds, unless a store is being completed.
  void DrainFramer();
  void BeginStore(std::uint8_t context_id, const net::dimse::Command& command);
  void FinishStore();
  void SendStoreResponse(std::uint16_t status, std::string error_comment);
  void AuditStoredInstances();
  void BeginFind(std::uint8_t context_id, const net::dimse::Command& command);
  void RunFind();
  void SendFindMatches(std::vector<dicom::DataSet> rows, std::size_t next);
  void SendFindFinal(std::uint16_t status, std::string error_comment);
  // C-MOVE and C-GET (dicom_session_retrieve.cc): the sub-operations run on the retrieve pool
  // while this association keeps reading (for C-CANCEL and, with C-GET, the C-STORE-RSPs).
  void BeginRetrieve(std::uint8_t context_id, const net::dimse::Command& command);
  void RunRetrieve();
  void SendRetrievePending(const RetrieveProgress& progress);
  void SendRetrieveFinal(std::uint16_t status, std::string error_comment,
                         const RetrieveProgress& progress);
  void OnStoreResponse(const net::dimse::Command& command);
  void OnCancel(const net::dimse::Command& command);
  // Sends PDUs queued by a C-GET sub-operation, then `written` once they are on the wire.
  void SendSubOperationPdus(std::vector<net::pdu::PDataTf> pdus, std::function<void()> written);
  void AuditRetrieve(const RetrieveProgress& progress, const std::string& destination);
  void CloseRetrieveLink();
  // An audit event about this association: its user, the peer's AE title and address, our AE.
  audit::AuditEvent SessionEvent(audit::AuditEventType type,
                                 audit::AuditOutcome outcome = audit::AuditOutcome::kSuccess)
      const;  // tells running sub-operations that the association is gone

  // Runs `work` on the ingest pool while this association reads nothing, then `then(result)`
  // on the strand and reading resumes. Used for what may block: fsync, index transactions.
  // `this` is used only on the strand; the poster drops `then` once the connection is gone.
  template <typename Work, typename Then>
  void OffStrand(Work work, Then then) {
    completing_store_ = true;
    connection_->PauseReading();
    auto poster = connection_->MakePoster();
    boost::asio::post(*context_->ingest_pool, [work = std::move(work), then = std::move(then),
                                               poster, this]() mutable {
      auto result = work();
      poster([this, result = std::move(result), then = std::move(then)]() mutable {
        completing_store_ = false;
        then(std::move(result));
        if (closed_) return;
        connection_->ResumeReading();
        DrainFramer();
      });
    });
  }

  void Execute(net::ul::Effects effects);
  void Execute(Result<net::ul::Effects> effects);
  void HandleIndication(const net::ul::Indication& indication);
  void Decide(net::pdu::AAssociateRq request);
  // Runs the gate and counts a failed authentication against the source address.
  static AdmissionDecision DecideAndCount(const SessionContext& context,
                                          const net::pdu::AAssociateRq& request,
                                          const net::transport::PeerInfo& peer,
                                          const std::string& key);
  // Applies a decision now, or after `delay` when the address has been failing.
  void Deliver(AdmissionDecision decision, std::chrono::milliseconds delay);
  void ApplyDecision(AdmissionDecision decision);
  void SendMessage(std::uint8_t context_id, const dicom::DataSet& command,
                   std::span<const std::uint8_t> data_set = {});
  void AbortAsProvider(const std::string& why);
  void UpdatePduTimer();

  std::shared_ptr<const SessionContext> context_;
  net::transport::PeerInfo peer_;
  net::transport::Connection* connection_ = nullptr;
  net::pdu::PduFramer framer_;
  net::ul::AssociationMachine machine_;
  std::optional<net::dimse::MessageAssembler> assembler_;
  std::optional<AdmissionDecision> admitted_;
  std::optional<AdmissionDecision> delayed_decision_;
  std::string calling_ae_;
  // The C-STORE in progress: its data set streams into `ingest`, or is dropped when the
  // request was refused (then `refusal` holds the status to answer).
  struct PendingStore {
    std::uint8_t context_id = 0;
    std::uint16_t message_id = 0;
    std::string sop_class_uid;
    std::string sop_instance_uid;
    std::unique_ptr<archive::Ingest> ingest;
    std::uint16_t refusal = 0;
    std::string comment;
  };
  std::optional<PendingStore> store_;
  // The C-FIND, C-MOVE or C-GET in progress: its identifier is gathered (bounded), then the
  // query runs on the ingest pool; a C-FIND's matches are sent as pending responses, a
  // retrieve's sub-operations run on the retrieve pool.
  struct PendingFind {
    std::uint8_t context_id = 0;
    std::uint16_t message_id = 0;
    std::string sop_class_uid;
    std::vector<std::uint8_t> identifier;
    std::uint16_t refusal = 0;
    std::string comment;
    bool cancelled = false;  // C-CANCEL-RQ received
  };
  std::optional<PendingFind> find_;
  struct PendingRetrieve {
    PendingFind request;
    bool is_get = false;
    std::string destination;  // C-MOVE: Move Destination (0000,0600)
    bool running = false;     // sub-operations under way on the retrieve pool
  };
  std::optional<PendingRetrieve> retrieve_;
  std::shared_ptr<RetrieveLink> link_;  // shared with the running sub-operations
  bool completing_store_ = false;       // reading paused while OffStrand work runs
  // While set, PDUs are gathered here and sent in one write (a batch of C-FIND matches).
  std::optional<std::vector<std::uint8_t>> corked_;
  std::uint64_t stored_instances_ = 0;
  std::vector<std::string> stored_studies_;   // for the audit event, bounded
  std::vector<std::string> stored_patients_;  // for the audit event, bounded
  bool pdu_timer_running_ = false;
  bool discard_data_set_ = false;
  bool closed_ = false;
  // Reported once, when the connection ends.
  std::string end_reason_;
};

}  // namespace bastion::server
