// The options every SCU command shares (echo, store; later find, move, get): TLS files, our AE
// title, user identity (PS3.7 D.3.3.7) and timeouts, and the ClientOptions they make.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "base/status.h"
#include "net/transport/client.h"

namespace bastion::cli {

struct ClientArgs {
  net::transport::ClientOptions client;
  std::string user;
  bool password_stdin = false;
  std::string jwt_file;
  bool plaintext = false;
  int timeout_seconds = 30;
};

// Adds --aet, --ca, --cert, --key, --user, --password-stdin, --jwt-file, --plaintext, --timeout.
void AddClientOptions(CLI::App& cmd, ClientArgs& args);

// Checks the combination (TLS needs --ca) and reads the password or token. Host, port and
// called AE title must already be in args.client.
Result<net::transport::ClientOptions> BuildClientOptions(const ClientArgs& args);

// `--to` as AE@HOST:PORT, or the AE title of a peer registered in the data directory `dir`
// (then host and port come from the registry and, unless given, our AE title, certificate and
// CA are the server's own).
Status ResolvePeer(const std::string& to, const std::string& dir, ClientArgs& args);

// "AE@HOST:PORT" (IPv6 hosts in brackets: "AE@[::1]:104").
Status ParsePeerAddress(const std::string& text, net::transport::ClientOptions& options);

}  // namespace bastion::cli
