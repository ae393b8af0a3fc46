// Subcommand registration: each subcommand lives in its own file and adds itself to the app.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "audit/audit_event.h"
#include "base/status.h"

namespace bastion::server {
struct DataDir;
}

namespace bastion::cli {

// Result code a subcommand's callback leaves for main() to return.
int& ExitCode();

// Prints "bastion COMMAND: message" to stderr and sets the exit code to 1.
void ReportFailure(const std::string& command, const Status& status);

// Records a change made from the command line (user, peer) in the data directory's audit log,
// naming the local account that made it.
void AuditConfigurationChange(server::DataDir& dir, const std::string& what);
// Who runs a local command: the account that owns the data directory.
std::string LocalUser();
// An audit event by that account on this instance.
audit::AuditEvent LocalEvent(const server::DataDir& dir, audit::AuditEventType type,
                             const std::string& what,
                             audit::AuditOutcome outcome = audit::AuditOutcome::kSuccess);

void RegisterDumpCommand(CLI::App& app);
void RegisterJsonCommand(CLI::App& app);
void RegisterInitCommand(CLI::App& app);
void RegisterUserCommand(CLI::App& app);
void RegisterTokenCommand(CLI::App& app);  // token create, list, revoke
void RegisterPeerCommand(CLI::App& app);
void RegisterCertCommand(CLI::App& app);
void RegisterServeCommand(CLI::App& app);
void RegisterEchoCommand(CLI::App& app);
void RegisterStoreCommand(CLI::App& app);
void RegisterFindCommand(CLI::App& app);
void RegisterRetrieveCommands(CLI::App& app);  // move, get
void RegisterArchiveCommands(CLI::App& app);
void RegisterAuditCommand(CLI::App& app);  // audit verify, audit query

}  // namespace bastion::cli
