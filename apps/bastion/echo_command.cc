// `bastion echo HOST PORT --aec TITLE ...`: C-ECHO as SCU (verification), over TLS by default,
// optionally with a client certificate and a user identity (PS3.7 D.3.3.7).
#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>

#include "commands.h"
#include "dicom/writer.h"
#include "net/dimse/command.h"
#include "net/transport/client.h"

namespace bastion::cli {

void RegisterEchoCommand(CLI::App& app) {
  struct Args {
    net::transport::ClientOptions client;
    std::string user;
    bool password_stdin = false;
    std::string jwt_file;
    bool plaintext = false;
    int count = 1;
    int associations = 1;
    int timeout_seconds = 30;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("echo", "Verify a DICOM peer with C-ECHO (TLS by default)");
  cmd->add_option("HOST", args->client.host, "Peer host")->required();
  cmd->add_option("PORT", args->client.port, "Peer port")->required();
  cmd->add_option("--aec", args->client.called_ae_title, "Called AE title")->required();
  cmd->add_option("--aet", args->client.calling_ae_title, "Our (calling) AE title");
  cmd->add_option("--ca", args->client.tls_files.ca_file, "CA certificate(s) to verify the peer");
  cmd->add_option("--cert", args->client.tls_files.certificate_file, "Our client certificate");
  cmd->add_option("--key", args->client.tls_files.key_file, "Key of --cert");
  cmd->add_option("--user", args->user, "User name for user identity negotiation");
  cmd->add_flag("--password-stdin", args->password_stdin, "Read the user's password from stdin");
  cmd->add_option("--jwt-file", args->jwt_file, "Present the JWT in this file as user identity");
  cmd->add_flag("--plaintext", args->plaintext,
                "No TLS (only for peers that cannot do TLS; credentials would travel in clear)");
  cmd->add_option("--count", args->count, "Echo requests on each association");
  cmd->add_option("--associations", args->associations,
                  "Open this many associations one after the other (reports associations/s)");
  cmd->add_option("--timeout", args->timeout_seconds, "Seconds to wait for each network step");
  cmd->callback([args] {
    net::transport::ClientOptions options = args->client;
    options.tls = !args->plaintext;
    options.timeout = std::chrono::seconds(args->timeout_seconds);
    if (options.tls && options.tls_files.ca_file.empty()) {
      std::cerr << "bastion echo: --ca is required to verify the peer over TLS "
                   "(or --plaintext for peers without TLS)\n";
      ExitCode() = 2;
      return;
    }
    if (!args->user.empty()) {
      net::pdu::UserIdentityRq id;
      id.primary_field = args->user;
      id.positive_response_requested = true;
      id.type = net::pdu::UserIdentityType::kUsername;
      if (args->password_stdin) {
        std::getline(std::cin, id.secondary_field);
        id.type = net::pdu::UserIdentityType::kUsernameAndPasscode;
      }
      options.identity = id;
    } else if (!args->jwt_file.empty()) {
      std::ifstream in(args->jwt_file);
      net::pdu::UserIdentityRq id;
      std::getline(in, id.primary_field);
      id.type = net::pdu::UserIdentityType::kJwt;
      id.positive_response_requested = true;
      options.identity = id;
    }
    net::acse::LocalApplication local;
    local.syntaxes.push_back({"1.2.840.10008.1.1", {"1.2.840.10008.1.2.1", "1.2.840.10008.1.2"}});
    local.implementation_class_uid = std::string(dicom::kImplementationClassUid);
    local.implementation_version_name = std::string(dicom::kImplementationVersionName);
    const auto start = std::chrono::steady_clock::now();
    bool identity_confirmed = false;
    for (int a = 0; a < std::max(1, args->associations); ++a) {
      auto association = net::transport::ClientAssociation::Open(options, local);
      if (!association.ok()) {
        std::cerr << "bastion echo: " << association.status().message() << "\n";
        ExitCode() = 1;
        return;
      }
      identity_confirmed = (*association)->identity_confirmed();
      for (int i = 1; i <= args->count; ++i) {
        auto response = (*association)
                            ->Request("1.2.840.10008.1.1",
                                      net::dimse::MakeCEchoRq(static_cast<std::uint16_t>(i)));
        if (!response.ok()) {
          std::cerr << "bastion echo: " << response.status().message() << "\n";
          ExitCode() = 1;
          return;
        }
        const auto status = response->status().value_or(0xFFFF);
        if (status != net::dimse::status::kSuccess) {
          std::cerr << "bastion echo: the peer answered status 0x" << std::hex << status << std::dec
                    << (status == net::dimse::status::kRefusedNotAuthorized ? " (not authorized)"
                                                                            : "")
                    << "\n";
          ExitCode() = 1;
          (void)(*association)->Release();
          return;
        }
      }
      Status released = (*association)->Release();
      if (!released.ok()) std::cerr << "bastion echo: release: " << released.message() << "\n";
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::cout << "C-ECHO " << options.called_ae_title << "@" << options.host << ":" << options.port
              << ": success (" << args->associations << " association"
              << (args->associations == 1 ? "" : "s") << ", " << args->count << " request"
              << (args->count == 1 ? "" : "s") << " each, " << static_cast<long>(seconds * 1000)
              << " ms"
              << (args->associations > 1
                      ? ", " + std::to_string(static_cast<long>(args->associations / seconds)) +
                            " associations/s"
                      : "")
              << (options.identity && identity_confirmed ? ", user identity confirmed" : "")
              << ")\n";
  });
}

}  // namespace bastion::cli
