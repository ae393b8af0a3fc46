#include "server/move_destination.h"

#include <map>
#include <set>

#include "dicom/writer.h"

namespace bastion::server {

namespace {
// Presentation context IDs are the odd numbers 1-255 (PS3.8 9.3.2.2).
constexpr std::size_t kMaxContexts = 128;
}  // namespace

OutgoingSettings OutgoingSettingsFrom(const Config& config) {
  OutgoingSettings s;
  s.ae_title = config.dicom.ae_title;
  s.tls_files.ca_file = config.tls.client_ca_file;
  s.tls_files.certificate_file = config.tls.certificate_file;
  s.tls_files.key_file = config.tls.key_file;
  s.timeout = std::chrono::seconds(config.query_retrieve.sub_operation_timeout_seconds);
  s.max_pdu_length = config.dicom.max_pdu_length;
  return s;
}

Result<net::transport::ClientOptions> OutgoingOptionsFor(const security::Peer& peer,
                                                         const OutgoingSettings& settings) {
  if (peer.port == 0 || peer.host == "*") {
    return Status::Malformed("peer " + peer.ae_title +
                             " has no fixed host and port to send to; register it with "
                             "`bastion peer add ... --host HOST --port N`");
  }
  net::transport::ClientOptions options;
  options.host = peer.host;
  options.port = peer.port;
  options.called_ae_title = peer.ae_title;
  options.calling_ae_title = settings.ae_title;
  options.tls = !peer.plaintext;
  options.tls_files = settings.tls_files;
  options.timeout = settings.timeout;
  return options;
}

Result<std::unique_ptr<MoveDestination>> MoveDestination::Open(
    const security::Peer& peer, const OutgoingSettings& settings,
    const std::vector<index::StoredInstance>& instances, net::dimse::MoveOriginator originator) {
  BASTION_ASSIGN_OR_RETURN(auto options, OutgoingOptionsFor(peer, settings));
  net::acse::LocalApplication local;
  local.ae_title = settings.ae_title;
  local.max_pdu_length = settings.max_pdu_length;
  local.implementation_class_uid = std::string(dicom::kImplementationClassUid);
  local.implementation_version_name = std::string(dicom::kImplementationVersionName);
  // One context per SOP class and stored syntax, plus one per SOP class with the syntaxes it
  // converts to; classes beyond the context limit fail as "no context".
  std::set<std::pair<std::string, std::string>> proposed;
  std::set<std::string> converted;
  for (const index::StoredInstance& instance : instances) {
    if (local.syntaxes.size() + 2 > kMaxContexts) break;
    const auto sendable = SendableTransferSyntaxes(instance.storage.transfer_syntax_uid);
    if (proposed.insert({instance.sop_class_uid, sendable.front()}).second) {
      local.syntaxes.push_back({instance.sop_class_uid, {sendable.front()}, false});
    }
    if (sendable.size() > 1 && converted.insert(instance.sop_class_uid).second) {
      local.syntaxes.push_back(
          {instance.sop_class_uid, {sendable.begin() + 1, sendable.end()}, false});
    }
  }
  auto association = net::transport::ClientAssociation::Open(options, local);
  if (!association.ok()) {
    return association.status().WithContext("move destination " + peer.ae_title);
  }
  return std::unique_ptr<MoveDestination>(
      new MoveDestination(std::move(association).value(), std::move(originator)));
}

MoveDestination::~MoveDestination() { (void)Release(); }

std::vector<std::string> MoveDestination::AcceptedTransferSyntaxes(
    const std::string& sop_class) const {
  std::vector<std::string> out;
  for (const auto& context : association_->association().contexts) {
    if (context.abstract_syntax == sop_class) out.push_back(context.transfer_syntax);
  }
  return out;
}

Result<std::uint16_t> MoveDestination::Store(const index::StoredInstance& instance,
                                             const std::string& transfer_syntax,
                                             std::span<const std::uint8_t> data_set) {
  const std::uint16_t id = next_message_id_++;
  if (next_message_id_ == 0) next_message_id_ = 1;
  auto response = association_->Request(
      instance.sop_class_uid,
      net::dimse::MakeCStoreRq(id, instance.sop_class_uid, instance.sop_instance_uid, &originator_),
      data_set, transfer_syntax);
  if (!response.ok()) {
    if (response.status().code() == StatusCode::kUnsupported) return response.status();
    return Status::Unavailable(response.status().message());
  }
  return response->status().value_or(net::dimse::status::kProcessingFailure);
}

Status MoveDestination::Release() {
  if (released_) return Status::Ok();
  released_ = true;
  return association_->Release();
}

}  // namespace bastion::server
