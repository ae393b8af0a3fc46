// `bastion init --dir DIR --ae-title TITLE [--dicom-port N] [--http-port N]`: a new data directory
// with a local CA, a server certificate and one administrator whose random password is printed
// once.
#include <iostream>

#include "commands.h"
#include "server/data_dir.h"

namespace bastion::cli {

void RegisterInitCommand(CLI::App& app) {
  auto options = std::make_shared<server::InitOptions>();
  CLI::App* cmd = app.add_subcommand(
      "init", "Create a data directory: configuration, local CA, server certificate, admin user");
  cmd->add_option("--dir", options->data_dir, "Data directory to create")->required();
  cmd->add_option("--ae-title", options->ae_title, "Our DICOM AE title (1-16 characters)")
      ->required();
  cmd->add_option("--dicom-port", options->dicom_port, "DICOM over TLS port (default 2762)");
  cmd->add_option("--http-port", options->http_port, "DICOMweb over HTTPS port (default 8443)");
  cmd->add_option("--admin-user", options->admin_user, "Name of the first administrator");
  cmd->add_option("--cert", options->certificate_file,
                  "Use this server certificate (PEM) instead of generating one");
  cmd->add_option("--key", options->key_file, "Private key of --cert");
  cmd->add_option("--ca", options->ca_file, "CA bundle that signed --cert and client certificates");
  cmd->add_option("--hostname", options->extra_hostnames,
                  "Extra DNS name for the generated server certificate (repeatable)");
  cmd->callback([options] {
    auto result = server::InitDataDir(*options);
    if (!result.ok()) {
      std::cerr << "bastion init: " << result.status().message() << "\n";
      ExitCode() = 1;
      return;
    }
    const std::string dir = server::AbsoluteDir(options->data_dir);
    std::cout << "Bastion initialised in " << dir << "\n"
              << "  AE title:        " << options->ae_title << " (DICOM over TLS on port "
              << options->dicom_port << ")\n"
              << "  DICOMweb:        https://<this host>:" << options->http_port << "/dicom-web/\n"
              << "  CA certificate:  " << result->ca_certificate_file
              << " (peers need it to verify this server)\n"
              << "  admin user:      " << result->admin_user << "\n"
              << "  admin password:  " << result->admin_password << "\n"
              << "The password is shown only now and stored only as an Argon2id hash.\n"
              << "Next: register peers with `bastion peer add --dir " << dir
              << " ...`, then run `bastion serve --dir " << dir << "`.\n";
  });
}

}  // namespace bastion::cli
