// Subcommand registration: each subcommand lives in its own file and adds itself to the app.
#pragma once

#include <CLI/CLI.hpp>

namespace bastion::cli {

// Result code a subcommand's callback leaves for main() to return.
int& ExitCode();

void RegisterDumpCommand(CLI::App& app);
void RegisterJsonCommand(CLI::App& app);
void RegisterInitCommand(CLI::App& app);
void RegisterUserCommand(CLI::App& app);
void RegisterPeerCommand(CLI::App& app);
void RegisterCertCommand(CLI::App& app);
void RegisterServeCommand(CLI::App& app);
void RegisterEchoCommand(CLI::App& app);

}  // namespace bastion::cli
