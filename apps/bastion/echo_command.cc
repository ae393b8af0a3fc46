// `bastion echo HOST PORT --aec TITLE ...`: C-ECHO as SCU (verification), over TLS by default,
// optionally with a client certificate and a user identity (PS3.7 D.3.3.7).
#include <algorithm>
#include <chrono>
#include <iostream>

#include "client_options.h"
#include "commands.h"
#include "dicom/writer.h"
#include "net/dimse/command.h"
#include "net/transport/client.h"

namespace bastion::cli {

void RegisterEchoCommand(CLI::App& app) {
  struct Args {
    ClientArgs client;
    int count = 1;
    int associations = 1;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("echo", "Verify a DICOM peer with C-ECHO (TLS by default)");
  cmd->add_option("HOST", args->client.client.host, "Peer host")->required();
  cmd->add_option("PORT", args->client.client.port, "Peer port")->required();
  cmd->add_option("--aec", args->client.client.called_ae_title, "Called AE title")->required();
  AddClientOptions(*cmd, args->client);
  cmd->add_option("--count", args->count, "Echo requests on each association");
  cmd->add_option("--associations", args->associations,
                  "Open this many associations one after the other (reports associations/s)");
  cmd->callback([args] {
    auto built = BuildClientOptions(args->client);
    if (!built.ok()) {
      std::cerr << "bastion echo: " << built.status().message() << "\n";
      ExitCode() = 2;
      return;
    }
    net::transport::ClientOptions options = std::move(built).value();
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
