#include "server/dicom_session.h"

#include <algorithm>
#include <boost/asio/post.hpp>

#include "net/dimse/command.h"

namespace bastion::server {

namespace ul = net::ul;
namespace dimse = net::dimse;
using net::transport::TimerId;

namespace {
// The values of a multi-valued match (ModalitiesInStudy=CT\MR), as the query had them.
std::string JoinedValues(const std::vector<std::string>& values) {
  std::string joined;
  for (const std::string& v : values) joined += (joined.empty() ? "" : "\\") + v;
  return joined;
}
}  // namespace

DicomSession::DicomSession(std::shared_ptr<const SessionContext> context,
                           net::transport::PeerInfo peer)
    : context_(std::move(context)), peer_(std::move(peer)), framer_(context_->pdu_limits) {}

void DicomSession::OnOpen(net::transport::Connection& connection) {
  connection_ = &connection;
  peer_ = connection.peer();  // now with the TLS client certificate, if any
  Execute(machine_.OnConnectionOpened());
}

void DicomSession::OnData(net::transport::Connection&, std::span<const std::uint8_t> bytes) {
  framer_.Feed(bytes);
  DrainFramer();
}

void DicomSession::DrainFramer() {
  while (!closed_ && !completing_store_) {
    auto next = framer_.Next();
    if (!next.ok()) {
      end_reason_ = "invalid PDU: " + next.status().message();
      Execute(machine_.OnInvalidPdu(net::pdu::AbortReasonFor(next.status())));
      return;
    }
    if (!next->has_value()) break;
    if (machine_.state() == ul::State::kSta6) {
      connection_->StartTimer(TimerId::kIdle, context_->timeouts.idle);
    }
    Execute(machine_.OnPduReceived(std::move(**next)));
  }
  UpdatePduTimer();
}

// A PDU that has started must arrive whole within the PDU timeout, whatever the pace of its
// bytes: a peer sending one byte a minute is cut off, not waited for.
void DicomSession::UpdatePduTimer() {
  if (closed_) return;
  if (framer_.has_partial() && !pdu_timer_running_) {
    connection_->StartTimer(TimerId::kPdu, context_->timeouts.pdu);
    pdu_timer_running_ = true;
  } else if (!framer_.has_partial() && pdu_timer_running_) {
    connection_->StopTimer(TimerId::kPdu);
    pdu_timer_running_ = false;
  }
}

void DicomSession::OnTimer(net::transport::Connection&, TimerId id) {
  switch (id) {
    case TimerId::kArtim:
      end_reason_ = end_reason_.empty() ? "ARTIM timer expired" : end_reason_;
      Execute(machine_.OnArtimExpired());
      break;
    case TimerId::kIdle:
      AbortAsProvider("association idle for too long");
      break;
    case TimerId::kPdu:
      pdu_timer_running_ = false;
      AbortAsProvider("a PDU did not arrive whole in time (slow or stalled sender)");
      break;
    case TimerId::kCustom:
      if (delayed_decision_) {
        AdmissionDecision decision = std::move(*delayed_decision_);
        delayed_decision_.reset();
        ApplyDecision(std::move(decision));
      }
      break;
  }
}

void DicomSession::OnClosed(const std::string& reason) {
  if (closed_) return;
  closed_ = true;
  auto effects = machine_.OnTransportClosed();
  (void)effects;  // nothing left to send; indications only matter for the log below
  AuditStoredInstances();
  CloseRetrieveLink();
  if (admitted_ && admitted_->accepted && context_->audit != nullptr && !end_reason_.empty()) {
    audit::AuditEvent event =
        SessionEvent(audit::AuditEventType::kSecurityAlert, audit::AuditOutcome::kMinorFailure);
    event.description = "association ended abnormally: " + end_reason_ + " (" + reason + ")";
    context_->audit->Emit(event);
  }
}

void DicomSession::AbortAsProvider(const std::string& why) {
  end_reason_ = why;
  auto aborted = machine_.Abort();
  if (aborted.ok()) {
    Execute(std::move(aborted));
  }
  // Before an association exists there is nobody to tell: just close.
  if (!closed_) connection_->Close(false);
}

void DicomSession::Execute(Result<ul::Effects> effects) {
  if (!effects.ok()) {
    // A local request the machine refused in this state is our own logic error; never the
    // peer's. Abort rather than continue in an unknown state.
    end_reason_ = "internal: " + effects.status().message();
    if (connection_ != nullptr) connection_->Close(true);
    return;
  }
  Execute(std::move(effects).value());
}

void DicomSession::Execute(ul::Effects effects) {
  for (ul::Effect& effect : effects) {
    if (closed_) return;
    std::visit(
        [this](auto& e) {
          using T = std::decay_t<decltype(e)>;
          if constexpr (std::is_same_v<T, ul::SendPdu>) {
            auto bytes = net::pdu::EncodePdu(e.pdu);
            if (corked_) {
              corked_->insert(corked_->end(), bytes.begin(), bytes.end());
            } else {
              connection_->Send(std::move(bytes));
            }
          } else if constexpr (std::is_same_v<T, ul::StartArtim>) {
            connection_->StartTimer(TimerId::kArtim, context_->timeouts.artim);
          } else if constexpr (std::is_same_v<T, ul::StopArtim>) {
            connection_->StopTimer(TimerId::kArtim);
          } else if constexpr (std::is_same_v<T, ul::CloseTransport>) {
            connection_->Close(false);
          } else if constexpr (std::is_same_v<T, ul::Indication>) {
            HandleIndication(e);
          }
          // OpenTransport is a requestor action; the acceptor never sees it.
        },
        effect);
  }
}

void DicomSession::HandleIndication(const ul::Indication& indication) {
  std::visit(
      [this](const auto& i) {
        using T = std::decay_t<decltype(i)>;
        if constexpr (std::is_same_v<T, ul::AssociateIndication>) {
          Decide(i.request);
        } else if constexpr (std::is_same_v<T, ul::DataIndication>) {
          if (!assembler_) return;
          Status st = assembler_->Consume(i.data, *this);
          if (!st.ok()) AbortAsProvider("DIMSE framing error: " + st.message());
        } else if constexpr (std::is_same_v<T, ul::ReleaseIndication>) {
          Execute(machine_.RespondRelease());
        } else if constexpr (std::is_same_v<T, ul::AbortIndication>) {
          end_reason_ = "the peer aborted the association";
        } else if constexpr (std::is_same_v<T, ul::ProviderAbortIndication>) {
          if (end_reason_.empty()) end_reason_ = "protocol error: unexpected or invalid PDU";
        }
      },
      indication);
}

// The gate may hash a password (tens to hundreds of milliseconds): decide on the decision
// pool, then come back to this connection's strand. Reading pauses meanwhile.
void DicomSession::Decide(net::pdu::AAssociateRq request) {
  calling_ae_ = request.calling_ae_title;
  connection_->PauseReading();
  const auto key = security::SourceAddressKey(peer_.address);
  const auto check = context_->failures->Check(key, security::FailureTracker::Clock::now());
  if (check.locked) {
    AdmissionDecision locked;
    locked.rejection = {net::pdu::RejectResult::kTransient, net::pdu::RejectSource::kServiceUser,
                        net::pdu::reject_reason::kNoReasonGiven};
    locked.reason = "source address locked out after repeated authentication failures";
    audit::AuditEvent event;
    event.type = audit::AuditEventType::kAssociationRejected;
    event.outcome = audit::AuditOutcome::kMinorFailure;
    event.peer_ae_title = request.calling_ae_title;
    event.peer_address = peer_.address + ":" + std::to_string(peer_.port);
    event.description = locked.reason;
    context_->audit->Emit(event);
    ApplyDecision(std::move(locked));
    return;
  }
  // Only a password hash or a signature check can take long; an association without such a
  // credential is decided here, on the strand, without two thread hops.
  const auto& identity = request.user_information.user_identity_rq;
  const bool slow =
      identity && (identity->type == net::pdu::UserIdentityType::kUsernameAndPasscode ||
                   identity->type == net::pdu::UserIdentityType::kJwt);
  if (!slow) {
    Deliver(DecideAndCount(*context_, request, peer_, key), check.delay);
    return;
  }
  auto poster = connection_->MakePoster();
  boost::asio::post(*context_->decision_pool,
                    [context = context_, peer = peer_, request = std::move(request), poster,
                     delay = check.delay, key, this] {
                      AdmissionDecision decision = DecideAndCount(*context, request, peer, key);
                      // `this` is used only on the strand, and the poster drops the task if the
                      // connection (which owns this session) is gone.
                      poster([this, delay, decision = std::move(decision)]() mutable {
                        Deliver(std::move(decision), delay);
                      });
                    });
}

AdmissionDecision DicomSession::DecideAndCount(const SessionContext& context,
                                               const net::pdu::AAssociateRq& request,
                                               const net::transport::PeerInfo& peer,
                                               const std::string& key) {
  AdmissionDecision decision = context.gate->Decide(request, peer);
  if (decision.authentication_failed) {
    auto outcome = context.failures->RecordFailure(key, security::FailureTracker::Clock::now());
    if (outcome.locked_now) {
      audit::AuditEvent event;
      event.type = audit::AuditEventType::kLockout;
      event.outcome = audit::AuditOutcome::kSeriousFailure;
      event.peer_ae_title = request.calling_ae_title;
      event.peer_address = peer.address;
      event.description = "source address locked out after " + std::to_string(outcome.failures) +
                          " failed attempts";
      context.audit->Emit(event);
    }
  } else if (decision.accepted) {
    context.failures->RecordSuccess(key);
  }
  return decision;
}

void DicomSession::Deliver(AdmissionDecision decision, std::chrono::milliseconds delay) {
  if (delay.count() > 0) {
    // Repeated failures from this address: answer late, without holding any thread.
    delayed_decision_ = std::move(decision);
    connection_->StartTimer(TimerId::kCustom, delay);
    return;
  }
  ApplyDecision(std::move(decision));
}

void DicomSession::ApplyDecision(AdmissionDecision decision) {
  admitted_ = std::move(decision);
  if (!admitted_->accepted) {
    end_reason_.clear();  // a refusal is a normal ending, already audited
    Execute(machine_.RejectAssociation(admitted_->rejection));
  } else {
    const auto& association = admitted_->negotiation.association;
    assembler_.emplace(context_->command_limits, [&association](std::uint8_t id) {
      return association.FindContext(id) != nullptr;
    });
    Execute(machine_.AcceptAssociation(admitted_->negotiation.ac));
    if (!closed_) connection_->StartTimer(TimerId::kIdle, context_->timeouts.idle);
  }
  if (!closed_) connection_->ResumeReading();
}

void DicomSession::SendMessage(std::uint8_t context_id, const dicom::DataSet& command,
                               std::span<const std::uint8_t> data_set) {
  const auto bytes = dimse::EncodeCommand(command);
  const std::uint32_t peer_max = admitted_->negotiation.association.peer_max_pdu_length;
  for (auto& pdata : dimse::FragmentMessage(context_id, bytes, data_set, peer_max)) {
    Execute(machine_.SendData(std::move(pdata)));
  }
}

Status DicomSession::OnCommand(std::uint8_t context_id, dimse::Command command) {
  const auto field = *command.command_field();
  const auto message_id = command.message_id().value_or(0);
  const auto& permissions = admitted_->permissions;
  discard_data_set_ = command.has_data_set();
  if (field == static_cast<std::uint16_t>(dimse::CommandField::kCEchoRq)) {
    const bool allowed = permissions.count(security::Permission::kEcho) != 0;
    SendMessage(context_id, dimse::MakeResponse(dimse::CommandField::kCEchoRsp, message_id,
                                                command.affected_sop_class_uid().value_or(""), "",
                                                allowed ? dimse::status::kSuccess
                                                        : dimse::status::kRefusedNotAuthorized));
    return Status::Ok();
  }
  if (field == static_cast<std::uint16_t>(dimse::CommandField::kCCancelRq)) {
    OnCancel(command);
    return Status::Ok();
  }
  if (field == static_cast<std::uint16_t>(dimse::CommandField::kCStoreRsp)) {
    OnStoreResponse(command);  // a C-GET sub-operation's answer
    return Status::Ok();
  }
  if ((field & 0x8000) != 0) return Status::Ok();  // a response to nothing of ours: ignored
  if (store_ || find_ || retrieve_ || completing_store_) {
    // We negotiate an asynchronous operations window of 1 (PS3.7 D.3.3.3).
    AbortAsProvider("a request arrived before the previous one was answered");
    return Status::Ok();
  }
  if (field == static_cast<std::uint16_t>(dimse::CommandField::kCStoreRq)) {
    discard_data_set_ = false;
    BeginStore(context_id, command);
    return Status::Ok();
  }
  if (field == static_cast<std::uint16_t>(dimse::CommandField::kCFindRq)) {
    discard_data_set_ = false;
    BeginFind(context_id, command);
    return Status::Ok();
  }
  if (field == static_cast<std::uint16_t>(dimse::CommandField::kCMoveRq) ||
      field == static_cast<std::uint16_t>(dimse::CommandField::kCGetRq)) {
    discard_data_set_ = false;
    BeginRetrieve(context_id, command);
    return Status::Ok();
  }
  // A request for a service this server does not provide: answer, do not abort.
  SendMessage(context_id,
              dimse::MakeResponse(static_cast<dimse::CommandField>(field | 0x8000), message_id,
                                  command.affected_sop_class_uid().value_or(""),
                                  command.affected_sop_instance_uid().value_or(""),
                                  dimse::status::kUnrecognizedOperation));
  return Status::Ok();
}

Status DicomSession::OnDataSetFragment(std::uint8_t, std::span<const std::uint8_t> bytes,
                                       bool last) {
  // An identifier is gathered whole, within its limit.
  auto gather = [bytes](PendingFind& request, std::size_t max_bytes) {
    if (request.refusal != 0) return;
    if (request.identifier.size() + bytes.size() > max_bytes) {
      request.refusal = dimse::status::kCannotUnderstand;
      request.comment = "the identifier is longer than " + std::to_string(max_bytes) + " bytes";
      request.identifier.clear();
    } else {
      request.identifier.insert(request.identifier.end(), bytes.begin(), bytes.end());
    }
  };
  if (find_) {
    gather(*find_, context_->find_limits.max_identifier_bytes);
    if (last) RunFind();
    return Status::Ok();
  }
  if (retrieve_ && !retrieve_->running) {
    gather(retrieve_->request, context_->retrieve_limits.max_identifier_bytes);
    if (last) RunRetrieve();
    return Status::Ok();
  }
  if (!store_) {
    // The data set of a request we do not serve: dropped as it arrives.
    if (last) discard_data_set_ = false;
    return Status::Ok();
  }
  if (store_->ingest) {
    Status written = store_->ingest->Write(bytes);
    if (!written.ok()) {
      // Out of space or too large: the rest of the data set is dropped, nothing is kept.
      store_->ingest.reset();
      store_->refusal = dimse::CStoreStatusFor(written);
      store_->comment = written.message();
    }
  }
  if (last) FinishStore();
  return Status::Ok();
}

void DicomSession::BeginStore(std::uint8_t context_id, const dimse::Command& command) {
  PendingStore store;
  store.context_id = context_id;
  store.message_id = command.message_id().value_or(0);
  store.sop_class_uid = command.affected_sop_class_uid().value_or("");
  store.sop_instance_uid = command.affected_sop_instance_uid().value_or("");
  const auto* context = admitted_->negotiation.association.FindContext(context_id);
  if (admitted_->permissions.count(security::Permission::kStore) == 0) {
    store.refusal = dimse::status::kRefusedNotAuthorized;
    store.comment = "this identity may not store";
  } else if (context_->archive == nullptr) {
    store.refusal = dimse::status::kRefusedNotAuthorized;
    store.comment = "this server does not store instances";
  } else if (context == nullptr || context->abstract_syntax != store.sop_class_uid) {
    store.refusal = dimse::status::kCannotUnderstand;
    store.comment = "SOP class differs from the presentation context's abstract syntax";
  } else if (!command.has_data_set()) {
    store.refusal = dimse::status::kCannotUnderstand;
    store.comment = "C-STORE-RQ without a data set";
  } else {
    archive::IncomingInstance incoming;
    incoming.sop_class_uid = store.sop_class_uid;
    incoming.sop_instance_uid = store.sop_instance_uid;
    incoming.transfer_syntax_uid = context->transfer_syntax;
    incoming.source_ae_title = calling_ae_;
    incoming.source_user = admitted_->identity.user;
    incoming.peer_address = peer_.address + ":" + std::to_string(peer_.port);
    auto ingest = context_->archive->Begin(std::move(incoming));
    if (ingest.ok()) {
      store.ingest = std::move(ingest).value();
    } else {
      store.refusal = dimse::CStoreStatusFor(ingest.status());
      store.comment = ingest.status().message();
    }
  }
  store_ = std::move(store);
  if (!command.has_data_set()) FinishStore();
}

// The data set is complete. Validation, fsync and the index commit take milliseconds: they run
// on the ingest pool while this association reads nothing more, then the response is sent
// from the connection's strand.
void DicomSession::FinishStore() {
  if (!store_->ingest) {
    SendStoreResponse(store_->refusal, store_->comment);  // copied: store_ is reset there
    return;
  }
  OffStrand(
      [ingest = std::move(store_->ingest)]() mutable {
        auto result = ingest->Finish();
        ingest.reset();
        return result;
      },
      [this](Result<archive::IngestResult> result) {
        if (!result.ok()) {
          SendStoreResponse(dimse::CStoreStatusFor(result.status()), result.status().message());
          return;
        }
        ++stored_instances_;
        audit::AddParticipant(stored_studies_, result->record.study.study_instance_uid);
        audit::AddParticipant(stored_patients_, result->record.patient.patient_id);
        SendStoreResponse(dimse::status::kSuccess, "");
      });
}

void DicomSession::SendStoreResponse(std::uint16_t status, std::string error_comment) {
  PendingStore store = std::move(*store_);
  store_.reset();
  if (closed_) return;
  dicom::DataSet response =
      dimse::MakeResponse(dimse::CommandField::kCStoreRsp, store.message_id, store.sop_class_uid,
                          store.sop_instance_uid, status);
  if (!error_comment.empty()) {
    // Error Comment (0000,0902) is LO: at most 64 characters (PS3.7 C.4).
    response.SetString(dicom::Tag{0x0000, 0x0902}, dicom::Vr::kLO, error_comment.substr(0, 64));
  }
  SendMessage(store.context_id, response);
}

void DicomSession::AuditStoredInstances() {
  if (stored_instances_ == 0 || context_->audit == nullptr) return;
  audit::AuditEvent event = SessionEvent(audit::AuditEventType::kInstancesStored);
  event.study_instance_uids = stored_studies_;
  event.patient_ids = stored_patients_;
  event.instance_count = stored_instances_;
  event.description = "received " + std::to_string(stored_instances_) + " instance(s) by C-STORE";
  context_->audit->Emit(event);
  stored_instances_ = 0;
}

void DicomSession::BeginFind(std::uint8_t context_id, const dimse::Command& command) {
  PendingFind find;
  find.context_id = context_id;
  find.message_id = command.message_id().value_or(0);
  find.sop_class_uid = command.affected_sop_class_uid().value_or("");
  const auto* context = admitted_->negotiation.association.FindContext(context_id);
  if (admitted_->permissions.count(security::Permission::kQuery) == 0) {
    find.refusal = dimse::status::kRefusedNotAuthorized;
    find.comment = "this identity may not query";
  } else if (context_->archive == nullptr) {
    find.refusal = dimse::status::kSopClassNotSupported;
    find.comment = "this server has no archive to query";
  } else if (context == nullptr || context->abstract_syntax != find.sop_class_uid ||
             (find.sop_class_uid != kPatientRootFind && find.sop_class_uid != kStudyRootFind)) {
    find.refusal = dimse::status::kSopClassNotSupported;
    find.comment = "not a C-FIND information model this server offers";
  } else if (!command.has_data_set()) {
    find.refusal = dimse::status::kCannotUnderstand;
    find.comment = "C-FIND-RQ without an identifier";
  }
  find_ = std::move(find);
  if (!command.has_data_set()) RunFind();
}

// The query runs on the ingest pool (it reads the index, which can take milliseconds on a
// large archive), then every match is sent from the strand as a pending response.
void DicomSession::RunFind() {
  if (find_->refusal != 0) {
    SendFindFinal(find_->refusal, find_->comment);
    return;
  }
  const auto* context = admitted_->negotiation.association.FindContext(find_->context_id);
  const auto ts = dicom::FindTransferSyntax(context->transfer_syntax);
  auto query =
      ParseFindIdentifier(find_->sop_class_uid, find_->identifier, *ts, context_->find_limits);
  if (!query.ok()) {
    SendFindFinal(dimse::status::kCannotUnderstand, query.status().message());
    return;
  }
  if (context_->audit != nullptr) {
    audit::AuditEvent event = SessionEvent(audit::AuditEventType::kQuery);
    event.description = "C-FIND " + std::string(index::QueryLevelName(query->level)) + " " +
                        (find_->sop_class_uid == kPatientRootFind ? "Patient Root" : "Study Root");
    for (const index::KeyMatch& m : query->matches) {
      if (m.tag == index::UniqueKey(index::QueryLevel::kPatient)) {
        audit::AddParticipant(event.patient_ids, m.value);
      }
      if (m.tag == index::UniqueKey(index::QueryLevel::kStudy)) {
        audit::AddParticipant(event.study_instance_uids, m.value);
        for (const std::string& uid : m.uids) audit::AddParticipant(event.study_instance_uids, uid);
      }
      event.description +=
          " " + m.tag.ToString() + "=" +
          (m.kind == index::MatchKind::kRange       ? m.low + "-" + m.high
           : m.kind == index::MatchKind::kUidList   ? std::to_string(m.uids.size()) + " UIDs"
           : m.kind == index::MatchKind::kValueList ? JoinedValues(m.uids)
                                                    : m.value);
    }
    context_->audit->Emit(event);
  }
  query->scope = admitted_->identity.scope;
  OffStrand([index = &context_->archive->index(),
             query = std::move(query).value()] { return index->Find(query); },
            [this, cap = context_->find_limits.query.max_results](
                Result<std::vector<dicom::DataSet>> rows) {
              if (!rows.ok()) {
                SendFindFinal(dimse::status::kProcessingFailure, rows.status().message());
                return;
              }
              if (rows->size() > cap) {
                SendFindFinal(dimse::status::kOutOfResources,
                              "more than " + std::to_string(cap) + " matches: narrow the query");
                return;
              }
              SendFindMatches(std::move(rows).value(), 0);
            });
}

// Matches go out a batch at a time, each batch a separate task on the strand, so that reads
// (a C-CANCEL-RQ) are handled between them and no more than one batch is queued unsent.
void DicomSession::SendFindMatches(std::vector<dicom::DataSet> rows, std::size_t next) {
  constexpr std::size_t kBatch = 64;
  if (closed_ || !find_) return;
  if (find_->cancelled) {
    SendFindFinal(dimse::status::kCancel, "");
    return;
  }
  const auto* context = admitted_->negotiation.association.FindContext(find_->context_id);
  const auto ts = dicom::FindTransferSyntax(context->transfer_syntax);
  const std::size_t end = std::min(rows.size(), next + kBatch);
  // One write for the batch: a response is a few hundred bytes, and a write per response
  // would cost more than building it.
  corked_.emplace();
  for (std::size_t i = next; i < end; ++i) {
    auto bytes = EncodeFindMatch(std::move(rows[i]), *ts);
    if (!bytes.ok()) continue;
    SendMessage(find_->context_id,
                dimse::MakeResponse(dimse::CommandField::kCFindRsp, find_->message_id,
                                    find_->sop_class_uid, "", dimse::status::kPending, true),
                *bytes);
  }
  std::vector<std::uint8_t> batch = std::move(*corked_);
  corked_.reset();
  if (closed_) return;
  connection_->Send(std::move(batch));
  if (end == rows.size()) {
    SendFindFinal(dimse::status::kSuccess, "");
    return;
  }
  connection_->WhenWritten([this, rows = std::move(rows), end]() mutable {
    connection_->Post(
        [this, rows = std::move(rows), end]() mutable { SendFindMatches(std::move(rows), end); });
  });
}

void DicomSession::SendFindFinal(std::uint16_t status, std::string error_comment) {
  PendingFind find = std::move(*find_);
  find_.reset();
  if (closed_) return;
  dicom::DataSet response = dimse::MakeResponse(dimse::CommandField::kCFindRsp, find.message_id,
                                                find.sop_class_uid, "", status);
  if (!error_comment.empty()) {
    response.SetString(dicom::Tag{0x0000, 0x0902}, dicom::Vr::kLO, error_comment.substr(0, 64));
  }
  SendMessage(find.context_id, response);
}

audit::AuditEvent DicomSession::SessionEvent(audit::AuditEventType type,
                                             audit::AuditOutcome outcome) const {
  audit::AuditEvent event;
  event.type = type;
  event.outcome = outcome;
  event.peer_ae_title = calling_ae_;
  event.peer_address = peer_.address + ":" + std::to_string(peer_.port);
  if (admitted_ && admitted_->accepted) {
    event.user = admitted_->identity.user;
    event.local_ae_title = admitted_->negotiation.association.called_ae_title;
  }
  return event;
}

}  // namespace bastion::server
