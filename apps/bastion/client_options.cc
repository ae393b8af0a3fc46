#include "client_options.h"

#include <fstream>
#include <iostream>

#include "server/data_dir.h"
#include "server/move_destination.h"

namespace bastion::cli {

void AddClientOptions(CLI::App& cmd, ClientArgs& args) {
  cmd.add_option("--aet", args.client.calling_ae_title, "Our (calling) AE title");
  cmd.add_option("--ca", args.client.tls_files.ca_file, "CA certificate(s) to verify the peer");
  cmd.add_option("--cert", args.client.tls_files.certificate_file, "Our client certificate");
  cmd.add_option("--key", args.client.tls_files.key_file, "Key of --cert");
  cmd.add_option("--user", args.user, "User name for user identity negotiation");
  cmd.add_flag("--password-stdin", args.password_stdin, "Read the user's password from stdin");
  cmd.add_option("--jwt-file", args.jwt_file, "Present the JWT in this file as user identity");
  cmd.add_flag("--plaintext", args.plaintext,
               "No TLS (only for peers that cannot do TLS; credentials would travel in clear)");
  cmd.add_option("--timeout", args.timeout_seconds, "Seconds to wait for each network step");
}

Result<net::transport::ClientOptions> BuildClientOptions(const ClientArgs& args) {
  net::transport::ClientOptions options = args.client;
  options.tls = !args.plaintext;
  options.timeout = std::chrono::seconds(args.timeout_seconds);
  if (options.tls && options.tls_files.ca_file.empty()) {
    return Status::Malformed(
        "--ca is required to verify the peer over TLS (or --plaintext for peers without TLS)");
  }
  if (!args.user.empty()) {
    net::pdu::UserIdentityRq id;
    id.primary_field = args.user;
    id.positive_response_requested = true;
    id.type = net::pdu::UserIdentityType::kUsername;
    if (args.password_stdin) {
      std::getline(std::cin, id.secondary_field);
      id.type = net::pdu::UserIdentityType::kUsernameAndPasscode;
    }
    options.identity = id;
  } else if (!args.jwt_file.empty()) {
    std::ifstream in(args.jwt_file);
    if (!in) return Status::NotFound("cannot read --jwt-file " + args.jwt_file);
    net::pdu::UserIdentityRq id;
    std::getline(in, id.primary_field);
    id.type = net::pdu::UserIdentityType::kJwt;
    id.positive_response_requested = true;
    options.identity = id;
  }
  return options;
}

Status ParsePeerAddress(const std::string& text, net::transport::ClientOptions& options) {
  const auto at = text.find('@');
  const auto colon = text.rfind(':');
  if (at == std::string::npos || at == 0 || colon == std::string::npos || colon < at) {
    return Status::Malformed("--to must look like AE@HOST:PORT, e.g. PACS@pacs.example.org:2762");
  }
  options.called_ae_title = text.substr(0, at);
  std::string host = text.substr(at + 1, colon - at - 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) return Status::Malformed("--to has no host");
  options.host = host;
  const std::string port = text.substr(colon + 1);
  char* end = nullptr;
  const long value = std::strtol(port.c_str(), &end, 10);
  if (port.empty() || *end != '\0' || value <= 0 || value > 65535) {
    return Status::Malformed("--to has an invalid port '" + port + "'");
  }
  options.port = static_cast<std::uint16_t>(value);
  return Status::Ok();
}

namespace {

// `--dir DIR --to AE`: the peer's address from the registry; our identity is the server's own
// (AE title, certificate and key, and the local CA to verify a peer that uses it), unless the
// command line says otherwise.
Status ResolveRegisteredPeer(const std::string& dir, const std::string& ae, ClientArgs& args) {
  if (dir.empty()) {
    return Status::Malformed("--to " + ae +
                             " names a registered peer: add --dir DIR, or give AE@HOST:PORT");
  }
  BASTION_ASSIGN_OR_RETURN(auto data, server::OpenDataDir(server::AbsoluteDir(dir)));
  auto peer = data.peers->Find(ae);
  if (!peer) return Status::NotFound("no peer " + ae + " is registered in " + dir);
  BASTION_ASSIGN_OR_RETURN(
      auto outgoing, server::OutgoingOptionsFor(*peer, server::OutgoingSettingsFrom(data.config)));
  auto& c = args.client;
  c.called_ae_title = outgoing.called_ae_title;
  c.host = outgoing.host;
  c.port = outgoing.port;
  if (c.calling_ae_title == net::transport::ClientOptions{}.calling_ae_title) {
    c.calling_ae_title = outgoing.calling_ae_title;
  }
  if (c.tls_files.ca_file.empty()) c.tls_files.ca_file = outgoing.tls_files.ca_file;
  if (c.tls_files.certificate_file.empty()) {
    c.tls_files.certificate_file = outgoing.tls_files.certificate_file;
    c.tls_files.key_file = outgoing.tls_files.key_file;
  }
  if (!outgoing.tls) args.plaintext = true;
  return Status::Ok();
}

}  // namespace

Status ResolvePeer(const std::string& to, const std::string& dir, ClientArgs& args) {
  return to.find('@') == std::string::npos ? ResolveRegisteredPeer(dir, to, args)
                                           : ParsePeerAddress(to, args.client);
}

}  // namespace bastion::cli
