// DicomSession's C-MOVE and C-GET SCP (PS3.4 C.4.2, C.4.3).
//
// The identifier is gathered like a C-FIND's; then the sub-operations run on the retrieve
// pool, blocking there, while this association keeps reading: a C-CANCEL-RQ sets the link's
// cancel flag, and for C-GET each C-STORE-RSP is handed to the waiting sub-operation. Pending
// responses with counts go out from the strand after every sub-operation. Work on the pool
// never touches the session: it talks to it through the RetrieveLink and the connection's
// poster (which drops tasks once the connection is gone).
#include <condition_variable>
#include <mutex>

#include "server/dicom_session.h"

namespace bastion::server {

namespace dimse = net::dimse;

// What the session and its running sub-operations share.
struct RetrieveLink {
  std::mutex mutex;
  std::condition_variable changed;
  bool closed = false;     // the association is gone
  bool cancelled = false;  // C-CANCEL-RQ received
  // C-GET: the C-STORE-RQ awaiting its response, the response's status, and whether the
  // PDUs queued last have been written.
  std::uint16_t awaited_message_id = 0;
  std::optional<std::uint16_t> response;
  bool written = false;

  bool Cancelled() {
    std::lock_guard<std::mutex> lock(mutex);
    return cancelled || closed;
  }
  void Update(const std::function<void(RetrieveLink&)>& change) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      change(*this);
    }
    changed.notify_all();
  }
  // Waits until `ready` holds or the association is gone (false) or `timeout` passes (false).
  template <typename Ready>
  bool WaitFor(Ready ready, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mutex);
    return changed.wait_for(lock, timeout, [&] { return closed || ready(); }) && !closed;
  }
};

namespace {

// C-GET: sub-operations on the requesting association, over the contexts the SCU accepted
// with the SCP role (PS3.4 C.4.3.1, role selection PS3.7 D.3.3.4). Runs on the retrieve pool.
class GetReceiver final : public InstanceReceiver {
 public:
  using SendPdus = std::function<void(std::vector<net::pdu::PDataTf>, std::function<void()>)>;
  GetReceiver(std::shared_ptr<RetrieveLink> link, std::vector<net::acse::AcceptedContext> contexts,
              std::uint32_t peer_max_pdu, SendPdus send, std::chrono::milliseconds timeout)
      : link_(std::move(link)),
        contexts_(std::move(contexts)),
        peer_max_pdu_(peer_max_pdu),
        send_(std::move(send)),
        timeout_(timeout) {}

  std::vector<std::string> AcceptedTransferSyntaxes(const std::string& sop_class) const override {
    std::vector<std::string> out;
    for (const auto& c : contexts_) {
      if (c.abstract_syntax == sop_class && c.requestor_is_scp) out.push_back(c.transfer_syntax);
    }
    return out;
  }

  Result<std::uint16_t> Store(const index::StoredInstance& instance,
                              const std::string& transfer_syntax,
                              std::span<const std::uint8_t> data_set) override {
    const net::acse::AcceptedContext* context = nullptr;
    for (const auto& c : contexts_) {
      if (c.abstract_syntax == instance.sop_class_uid && c.transfer_syntax == transfer_syntax &&
          c.requestor_is_scp) {
        context = &c;
      }
    }
    if (context == nullptr) return Status::Unsupported("no context for " + transfer_syntax);
    const std::uint16_t id = next_message_id_++;
    if (next_message_id_ == 0) next_message_id_ = 1;
    link_->Update([id](RetrieveLink& l) {
      l.awaited_message_id = id;
      l.response.reset();
    });
    const auto command = dimse::EncodeCommand(
        dimse::MakeCStoreRq(id, instance.sop_class_uid, instance.sop_instance_uid));
    // At most about kQueued bytes wait in the connection's queue: a large instance never sits
    // whole in memory.
    constexpr std::size_t kQueued = 4u << 20;
    std::vector<net::pdu::PDataTf> batch;
    std::size_t batch_bytes = 0;
    Status sent = Status::Ok();
    auto flush = [&]() {
      link_->Update([](RetrieveLink& l) { l.written = false; });
      std::weak_ptr<RetrieveLink> weak = link_;
      send_(std::move(batch), [weak] {
        if (auto l = weak.lock()) l->Update([](RetrieveLink& x) { x.written = true; });
      });
      batch.clear();
      batch_bytes = 0;
      if (!link_->WaitFor([this] { return link_->written; }, timeout_)) {
        sent = Status::Unavailable("the association ended or stalled while sending " +
                                   instance.sop_instance_uid);
        return false;
      }
      return true;
    };
    dimse::ForEachFragment(context->id, command, data_set, peer_max_pdu_,
                           [&](net::pdu::PDataTf pdata) {
                             for (const auto& pdv : pdata.values) batch_bytes += pdv.data.size();
                             batch.push_back(std::move(pdata));
                             return batch_bytes < kQueued || flush();
                           });
    if (sent.ok() && !batch.empty()) flush();
    BASTION_RETURN_IF_ERROR(sent);
    if (!link_->WaitFor([this] { return link_->response.has_value(); }, timeout_)) {
      return Status::Unavailable("no C-STORE-RSP for " + instance.sop_instance_uid);
    }
    std::lock_guard<std::mutex> lock(link_->mutex);
    return *link_->response;
  }

 private:
  std::shared_ptr<RetrieveLink> link_;
  std::vector<net::acse::AcceptedContext> contexts_;
  std::uint32_t peer_max_pdu_;
  SendPdus send_;
  std::chrono::milliseconds timeout_;
  std::uint16_t next_message_id_ = 1;
};

bool IsMoveModel(const std::string& uid) {
  return uid == kPatientRootMove || uid == kStudyRootMove;
}
bool IsGetModel(const std::string& uid) { return uid == kPatientRootGet || uid == kStudyRootGet; }

}  // namespace

void DicomSession::BeginRetrieve(std::uint8_t context_id, const dimse::Command& command) {
  PendingRetrieve retrieve;
  PendingFind& request = retrieve.request;
  request.context_id = context_id;
  request.message_id = command.message_id().value_or(0);
  request.sop_class_uid = command.affected_sop_class_uid().value_or("");
  retrieve.is_get =
      *command.command_field() == static_cast<std::uint16_t>(dimse::CommandField::kCGetRq);
  retrieve.destination = command.elements.GetString(dicom::Tag{0x0000, 0x0600}).value_or("");
  while (!retrieve.destination.empty() && retrieve.destination.back() == ' ') {
    retrieve.destination.pop_back();
  }
  const auto* context = admitted_->negotiation.association.FindContext(context_id);
  const bool model_ok =
      retrieve.is_get ? IsGetModel(request.sop_class_uid) : IsMoveModel(request.sop_class_uid);
  if (admitted_->permissions.count(security::Permission::kRetrieve) == 0) {
    request.refusal = dimse::status::kRefusedNotAuthorized;
    request.comment = "this identity may not retrieve";
  } else if (context_->archive == nullptr || context_->retrieve_pool == nullptr) {
    request.refusal = dimse::status::kSopClassNotSupported;
    request.comment = "this server has no archive to retrieve from";
  } else if (context == nullptr || context->abstract_syntax != request.sop_class_uid || !model_ok) {
    request.refusal = dimse::status::kSopClassNotSupported;
    request.comment = "not a retrieve information model this server offers";
  } else if (!command.has_data_set()) {
    request.refusal = dimse::status::kCannotUnderstand;
    request.comment = "request without an identifier";
  } else if (!retrieve.is_get && retrieve.destination.empty()) {
    request.refusal = dimse::status::kMoveDestinationUnknown;
    request.comment = "C-MOVE-RQ without a Move Destination";
  }
  retrieve_ = std::move(retrieve);
  if (!command.has_data_set()) RunRetrieve();
}

void DicomSession::RunRetrieve() {
  PendingFind& request = retrieve_->request;
  RetrieveProgress none;
  if (request.refusal != 0) {
    SendRetrieveFinal(request.refusal, request.comment, none);
    return;
  }
  const auto* context = admitted_->negotiation.association.FindContext(request.context_id);
  const auto ts = dicom::FindTransferSyntax(context->transfer_syntax);
  auto query = ParseRetrieveIdentifier(request.sop_class_uid, request.identifier, *ts,
                                       context_->retrieve_limits);
  if (!query.ok()) {
    SendRetrieveFinal(dimse::status::kCannotUnderstand, query.status().message(), none);
    return;
  }
  query->scope = admitted_->identity.scope;
  std::optional<security::Peer> destination;
  if (!retrieve_->is_get) {
    destination =
        context_->peers != nullptr ? context_->peers->Find(retrieve_->destination) : std::nullopt;
    if (!destination || destination->port == 0 || destination->host == "*") {
      if (context_->audit != nullptr) {
        audit::AuditEvent event =
            SessionEvent(audit::AuditEventType::kSecurityAlert, audit::AuditOutcome::kMinorFailure);
        event.description = "C-MOVE to " + std::string(destination ? "unreachable" : "unknown") +
                            " destination '" + retrieve_->destination + "' refused";
        context_->audit->Emit(event);
      }
      SendRetrieveFinal(dimse::status::kMoveDestinationUnknown,
                        destination ? "the destination has no registered host and port"
                                    : "the destination is not a registered peer",
                        none);
      return;
    }
  }
  retrieve_->running = true;
  link_ = std::make_shared<RetrieveLink>();
  // What the work on the pool needs, copied: it never touches `this` off the strand.
  auto poster = connection_->MakePoster();
  GetReceiver::SendPdus send = [this, poster](std::vector<net::pdu::PDataTf> pdus,
                                              std::function<void()> written) {
    poster([this, pdus = std::move(pdus), written = std::move(written)]() mutable {
      SendSubOperationPdus(std::move(pdus), std::move(written));
    });
  };
  const auto& association = admitted_->negotiation.association;
  audit::AuditEvent begun = SessionEvent(audit::AuditEventType::kTransferBegun);
  begun.description =
      retrieve_->is_get ? std::string("C-GET") : "C-MOVE to " + retrieve_->destination;
  boost::asio::post(
      *context_->retrieve_pool,
      [this, poster, link = link_, query = std::move(query).value(), destination,
       begun = std::move(begun), audit_sink = context_->audit, archive = context_->archive,
       limits = context_->retrieve_limits, outgoing = context_->outgoing,
       contexts = association.contexts, peer_max = association.peer_max_pdu_length,
       send = std::move(send),
       originator = dimse::MoveOriginator{calling_ae_, request.message_id}]() mutable {
        auto finish = [&](std::uint16_t status, std::string comment, RetrieveProgress progress) {
          poster([this, status, comment = std::move(comment), progress = std::move(progress)] {
            SendRetrieveFinal(status, comment, progress);
          });
        };
        auto instances = archive->index().FindInstances(query, limits.max_instances);
        if (!instances.ok()) {
          finish(dimse::status::kProcessingFailure, instances.status().message(), {});
          return;
        }
        if (instances->size() > limits.max_instances || instances->size() > 0xFFFF) {
          finish(0xA701,
                 "more than " +
                     std::to_string(std::min<std::size_t>(limits.max_instances, 0xFFFF)) +
                     " instances: retrieve series or instances instead",
                 {});
          return;
        }
        if (instances->empty()) {
          finish(dimse::status::kSuccess, "", {});
          return;
        }
        if (audit_sink != nullptr) {
          for (const auto& i : *instances) {
            audit::AddParticipant(begun.study_instance_uids, i.study_instance_uid);
            audit::AddParticipant(begun.patient_ids, i.patient_id);
          }
          begun.instance_count = instances->size();
          begun.description += ": " + std::to_string(instances->size()) + " instance(s) to send";
          audit_sink->Emit(begun);
        }
        std::unique_ptr<InstanceReceiver> receiver;
        if (destination) {
          auto opened = MoveDestination::Open(*destination, outgoing, *instances, originator);
          if (!opened.ok()) {
            RetrieveProgress all_failed;
            all_failed.counts.failed = static_cast<std::uint16_t>(instances->size());
            for (const auto& i : *instances) all_failed.failed_uids.push_back(i.sop_instance_uid);
            finish(instances->empty() ? dimse::status::kSuccess : 0xA702, opened.status().message(),
                   std::move(all_failed));
            return;
          }
          receiver = std::move(opened).value();
        } else {
          receiver = std::make_unique<GetReceiver>(link, std::move(contexts), peer_max,
                                                   std::move(send), limits.sub_operation_timeout);
        }
        RetrieveProgress progress = RunSubOperations(
            *archive, *instances, *receiver, [&link] { return link->Cancelled(); },
            [&](const RetrieveProgress& p) {
              if (p.counts.remaining == 0) return;  // the final response follows at once
              poster([this, p] { SendRetrievePending(p); });
            },
            limits.conversion);
        receiver.reset();  // a move destination is released before the final response
        finish(FinalRetrieveStatus(progress), progress.first_failure, std::move(progress));
      });
}

void DicomSession::SendSubOperationPdus(std::vector<net::pdu::PDataTf> pdus,
                                        std::function<void()> written) {
  if (closed_) return;
  for (auto& pdata : pdus) Execute(machine_.SendData(std::move(pdata)));
  if (!closed_) connection_->WhenWritten(std::move(written));
}

void DicomSession::OnStoreResponse(const dimse::Command& command) {
  if (!link_ || !retrieve_ || !retrieve_->is_get) return;
  const auto id = command.message_id_being_responded_to().value_or(0);
  const auto status = command.status().value_or(dimse::status::kProcessingFailure);
  link_->Update([id, status](RetrieveLink& l) {
    if (l.awaited_message_id == id) l.response = status;
  });
}

void DicomSession::OnCancel(const dimse::Command& command) {
  const auto id = command.message_id_being_responded_to().value_or(0);
  if (find_ && find_->message_id == id) find_->cancelled = true;
  if (retrieve_ && retrieve_->request.message_id == id && link_) {
    link_->Update([](RetrieveLink& l) { l.cancelled = true; });
  }
}

void DicomSession::CloseRetrieveLink() {
  if (link_) link_->Update([](RetrieveLink& l) { l.closed = true; });
}

void DicomSession::SendRetrievePending(const RetrieveProgress& progress) {
  if (closed_ || !retrieve_) return;
  const PendingFind& request = retrieve_->request;
  dicom::DataSet response = dimse::MakeResponse(
      retrieve_->is_get ? dimse::CommandField::kCGetRsp : dimse::CommandField::kCMoveRsp,
      request.message_id, request.sop_class_uid, "", dimse::status::kPending);
  dimse::SetSubOperations(response, progress.counts, true);
  SendMessage(request.context_id, response);
}

void DicomSession::SendRetrieveFinal(std::uint16_t status, std::string error_comment,
                                     const RetrieveProgress& progress) {
  PendingRetrieve retrieve = std::move(*retrieve_);
  retrieve_.reset();
  link_.reset();
  if (retrieve.running) AuditRetrieve(progress, retrieve.destination);
  if (closed_) return;
  const PendingFind& request = retrieve.request;
  const bool failures = progress.counts.failed > 0 && !progress.failed_uids.empty();
  const auto* context = admitted_->negotiation.association.FindContext(request.context_id);
  const auto ts = dicom::FindTransferSyntax(context->transfer_syntax);
  std::vector<std::uint8_t> identifier;
  if (failures) {
    auto encoded = EncodeFailedInstances(progress, *ts);
    if (encoded.ok()) identifier = std::move(encoded).value();
  }
  dicom::DataSet response = dimse::MakeResponse(
      retrieve.is_get ? dimse::CommandField::kCGetRsp : dimse::CommandField::kCMoveRsp,
      request.message_id, request.sop_class_uid, "", status, !identifier.empty());
  if (retrieve.running) {
    dimse::SetSubOperations(response, progress.counts, status == dimse::status::kCancel);
  }
  if (!error_comment.empty() && status != dimse::status::kSuccess) {
    response.SetString(dicom::Tag{0x0000, 0x0902}, dicom::Vr::kLO, error_comment.substr(0, 64));
  }
  SendMessage(request.context_id, response, identifier);
}

void DicomSession::AuditRetrieve(const RetrieveProgress& progress, const std::string& destination) {
  if (context_->audit == nullptr) return;
  audit::AuditEvent event =
      SessionEvent(audit::AuditEventType::kInstancesSent, progress.counts.failed == 0
                                                              ? audit::AuditOutcome::kSuccess
                                                              : audit::AuditOutcome::kMinorFailure);
  event.instance_count = progress.counts.completed + progress.counts.warning;
  event.study_instance_uids = progress.studies;
  event.patient_ids = progress.patients;
  event.description =
      (destination.empty() ? "C-GET: sent " : "C-MOVE to " + destination + ": sent ") +
      std::to_string(event.instance_count) + " instance(s), " +
      std::to_string(progress.counts.failed) + " failed" +
      (progress.cancelled ? ", cancelled" : "");
  context_->audit->Emit(event);
}

}  // namespace bastion::server
