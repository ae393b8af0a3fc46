// bastion: the single binary; each subcommand lives in its own file (see commands.h).
#include <iostream>

#include "commands.h"

namespace bastion::cli {
int& ExitCode() {
  static int code = 0;
  return code;
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
  bastion::cli::RegisterPeerCommand(app);
  bastion::cli::RegisterCertCommand(app);
  bastion::cli::RegisterServeCommand(app);
  bastion::cli::RegisterEchoCommand(app);
  CLI11_PARSE(app, argc, argv);
  return bastion::cli::ExitCode();
}
