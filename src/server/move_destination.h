// MoveDestination: the association a C-MOVE's sub-operations travel on, opened by us as the
// requestor to a registered peer (PS3.4 C.4.2.3.1), and the one rule for reaching a peer.
//
// A destination must be in the peer registry with a host and a port; the association goes over
// TLS with the server's own certificate (so the peer can authenticate us) and verifies the
// peer against the configured CA, unless an administrator marked the peer `plaintext`. Each
// SOP class of the retrieve is proposed as stored and, when it converts, in the uncompressed
// syntaxes; C-STORE-RQs name the move's originator.
// Thread-safety: one MoveDestination per retrieve, used from one thread.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "index/index.h"
#include "net/dimse/command.h"
#include "net/transport/client.h"
#include "security/peer_registry.h"
#include "server/config.h"
#include "server/retrieve_service.h"

namespace bastion::server {

// How the server associates with its peers.
struct OutgoingSettings {
  std::string ae_title;                      // our AE title
  net::transport::TlsClientFiles tls_files;  // our certificate and the CA to verify peers
  std::chrono::milliseconds timeout{30000};  // every network wait
  std::uint32_t max_pdu_length = 1u << 20;   // what we receive
};

// The server's own: its AE title, certificate and key, and the configured CA.
OutgoingSettings OutgoingSettingsFrom(const Config& config);

// The client options to reach `peer`; Malformed when it has no fixed host and port.
Result<net::transport::ClientOptions> OutgoingOptionsFor(const security::Peer& peer,
                                                         const OutgoingSettings& settings);

class MoveDestination final : public InstanceReceiver {
 public:
  // Opens the association for sending `instances` (their SOP classes and syntaxes).
  static Result<std::unique_ptr<MoveDestination>> Open(
      const security::Peer& peer, const OutgoingSettings& settings,
      const std::vector<index::StoredInstance>& instances, net::dimse::MoveOriginator originator);
  ~MoveDestination() override;

  std::vector<std::string> AcceptedTransferSyntaxes(const std::string& sop_class) const override;
  Result<std::uint16_t> Store(const index::StoredInstance& instance,
                              const std::string& transfer_syntax,
                              std::span<const std::uint8_t> data_set) override;
  // Releases the association (also done by the destructor, ignoring errors).
  Status Release();

 private:
  MoveDestination(std::unique_ptr<net::transport::ClientAssociation> association,
                  net::dimse::MoveOriginator originator)
      : association_(std::move(association)), originator_(std::move(originator)) {}

  std::unique_ptr<net::transport::ClientAssociation> association_;
  net::dimse::MoveOriginator originator_;
  std::uint16_t next_message_id_ = 1;
  bool released_ = false;
};

}  // namespace bastion::server
