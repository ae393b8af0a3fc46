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

// "AE@HOST:PORT" (IPv6 hosts in brackets: "AE@[::1]:104").
Status ParsePeerAddress(const std::string& text, net::transport::ClientOptions& options);

}  // namespace bastion::cli
