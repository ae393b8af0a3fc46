// A blocking DICOM association requestor for the CLI's SCU commands (bastion echo, and later
// store/find/move/get): TLS by default, user identity negotiation, every network wait bounded
// by a timeout. Protocol state lives in the same PS3.8 state machine the server uses.
// Thread-safety: one ClientAssociation per thread.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "net/acse/negotiation.h"
#include "net/dimse/command.h"
#include "net/pdu/pdu.h"
#include "net/transport/tls_context.h"

namespace bastion::net::transport {

struct ClientOptions {
  std::string host;
  std::uint16_t port = 2762;
  std::string calling_ae_title = "BASTIONSCU";
  std::string called_ae_title;
  bool tls = true;
  TlsClientFiles tls_files;  // CA to verify the server; optional client certificate
  std::optional<pdu::UserIdentityRq> identity;
  std::chrono::milliseconds timeout{30000};
  // The largest data set a received message may carry (held in memory): a C-FIND match is
  // small; a C-GET's C-STORE-RQ carries a whole instance.
  std::size_t max_received_data_set_bytes = 16u << 20;
};

class ClientAssociation {
 public:
  // Connects, negotiates `local.syntaxes`, and returns the established association, or the
  // reason it could not be established (a rejection names result, source and reason).
  static Result<std::unique_ptr<ClientAssociation>> Open(const ClientOptions& options,
                                                         const acse::LocalApplication& local);
  ~ClientAssociation();

  const acse::NegotiatedAssociation& association() const;
  // True when the acceptor answered the user identity request positively.
  bool identity_confirmed() const;

  // A message received from the peer: its command and, when it has one, its data set bytes
  // (encoded in the presentation context's transfer syntax).
  struct Received {
    dimse::Command command;
    std::vector<std::uint8_t> data_set;
    std::string transfer_syntax;  // of the presentation context the message came on
  };
  // Sends a message without waiting; Receive() waits for the next one (e.g. each C-FIND-RSP).
  Status Send(const std::string& abstract_syntax, const dicom::DataSet& command,
              std::span<const std::uint8_t> data_set = {}, const std::string& transfer_syntax = "");
  Result<Received> Receive();

  // Sends a command (and optional data set bytes, encoded in `transfer_syntax`, or in the first
  // context accepted for `abstract_syntax` when empty) and waits for the next command received.
  Result<dimse::Command> Request(const std::string& abstract_syntax, const dicom::DataSet& command,
                                 std::span<const std::uint8_t> data_set = {},
                                 const std::string& transfer_syntax = "");
  // Orderly release (A-RELEASE), then close.
  Status Release();
  // A-ABORT, then close.
  void Abort();

  struct Impl;

 private:
  explicit ClientAssociation(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// "Rejected Permanent, Source: Service User, Reason: Calling AE Title Not Recognized".
std::string DescribeRejection(const pdu::AAssociateRj& rj);

}  // namespace bastion::net::transport
