// `bastion serve --dir DIR`: serve DICOM over TLS until SIGINT or SIGTERM.
#include <signal.h>

#include <iostream>

#include "commands.h"
#include "server/dicom_server.h"
#include "server/web_server.h"

namespace bastion::cli {

void RegisterServeCommand(CLI::App& app) {
  auto dir = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("serve", "Serve DICOM (TLS) from a data directory");
  cmd->add_option("--dir", *dir, "Data directory created by `bastion init`")->required();
  cmd->callback([dir] {
    // Block the stop signals before any thread starts, then wait for them here.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    signal(SIGPIPE, SIG_IGN);

    auto server = server::DicomServer::Create(*dir);
    if (!server.ok()) {
      std::cerr << "bastion serve: " << server.status().message() << "\n";
      ExitCode() = 1;
      return;
    }
    auto warnings = (*server)->Start();
    if (!warnings.ok()) {
      std::cerr << "bastion serve: " << warnings.status().message() << "\n";
      ExitCode() = 1;
      return;
    }
    for (const std::string& w : *warnings) std::cerr << "bastion serve: WARNING: " << w << "\n";
    const auto& config = (*server)->config();
    std::cout << "bastion serve: " << config.dicom.ae_title << " listening for DICOM over TLS on "
              << config.dicom.bind_address << ":" << (*server)->tls_port() << std::endl;
    if ((*server)->http_port() != 0) {
      std::cout << "bastion serve: DICOMweb over HTTPS on " << config.http.bind_address << ":"
                << (*server)->http_port() << "/dicom-web/" << std::endl;
    }
    if ((*server)->http_plaintext_port() != 0) {
      std::cout << "bastion serve: plaintext HTTP on " << config.http.plaintext_bind_address << ":"
                << (*server)->http_plaintext_port()
                << (bastion::server::WebServer::PlaintextServesApi(config.http)
                        ? " (loopback: the API)"
                        : " (redirects to HTTPS)")
                << std::endl;
    }
    std::cout << "bastion serve: archive in " << config.storage.objects_dir << ", index "
              << config.storage.index_file << std::endl;
    int received = 0;
    sigwait(&signals, &received);
    std::cout << "bastion serve: stopping (signal " << received << ")" << std::endl;
    (*server)->Stop();
  });
}

}  // namespace bastion::cli
