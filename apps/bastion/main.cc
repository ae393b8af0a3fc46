// bastion: the single binary; each subcommand lives in its own file (see commands.h).
#include <unistd.h>

#include <iostream>

#include "commands.h"
#include "server/data_dir.h"

namespace bastion::cli {
int& ExitCode() {
  static int code = 0;
  return code;
}

void ReportFailure(const std::string& command, const Status& status) {
  std::cerr << "bastion " << command << ": " << status.message() << "\n";
  ExitCode() = 1;
}

std::string LocalUser() { return "local administrator (uid " + std::to_string(::getuid()) + ")"; }

audit::AuditEvent LocalEvent(const server::DataDir& dir, audit::AuditEventType type,
                             const std::string& what, audit::AuditOutcome outcome) {
  audit::AuditEvent event;
  event.type = type;
  event.outcome = outcome;
  event.user = LocalUser();
  event.local_ae_title = dir.config.dicom.ae_title;
  event.description = what;
  return event;
}

void AuditConfigurationChange(server::DataDir& dir, const std::string& what) {
  dir.audit->Emit(LocalEvent(dir, audit::AuditEventType::kConfigurationChange, what));
}
}  // namespace bastion::cli

int main(int argc, char** argv) {
  CLI::App app{"Bastion: a secure-by-default PACS"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "bastion 0.1.0");
  bastion::cli::RegisterDumpCommand(app);
  bastion::cli::RegisterJsonCommand(app);
  bastion::cli::RegisterInitCommand(app);
  bastion::cli::RegisterUserCommand(app);
  bastion::cli::RegisterTokenCommand(app);
  bastion::cli::RegisterPeerCommand(app);
  bastion::cli::RegisterCertCommand(app);
  bastion::cli::RegisterServeCommand(app);
  bastion::cli::RegisterEchoCommand(app);
  bastion::cli::RegisterStoreCommand(app);
  bastion::cli::RegisterFindCommand(app);
  bastion::cli::RegisterRetrieveCommands(app);
  bastion::cli::RegisterAuditCommand(app);
  bastion::cli::RegisterArchiveCommands(app);
  CLI11_PARSE(app, argc, argv);
  return bastion::cli::ExitCode();
}
