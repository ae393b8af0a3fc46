// `bastion user add|list|remove|passwd --dir DIR ...`: manage the user store. Changes take
// effect in a running server without a restart (it reloads the store when the file changes).

#include <iostream>
#include <string>

#include "commands.h"
#include "security/password_hash.h"
#include "server/data_dir.h"

namespace bastion::cli {
namespace {

// A password from standard input (first line), or a generated one that is printed.
Result<std::string> ObtainPassword(bool from_stdin, bool& generated) {
  generated = false;
  if (from_stdin) {
    std::string line;
    if (!std::getline(std::cin, line)) return Status::Malformed("no password on standard input");
    if (!line.empty() && line.back() == '\r') line.pop_back();
    BASTION_RETURN_IF_ERROR(security::CheckPasswordPolicy(line));
    return line;
  }
  generated = true;
  return security::GeneratePassword();
}

}  // namespace

void RegisterUserCommand(CLI::App& app) {
  CLI::App* user = app.add_subcommand("user", "Manage users (Argon2id password hashes)");
  user->require_subcommand(1);
  auto dir = std::make_shared<std::string>();
  auto name = std::make_shared<std::string>();
  auto roles = std::make_shared<std::vector<std::string>>();
  auto from_stdin = std::make_shared<bool>(false);
  auto scope = std::make_shared<std::vector<std::string>>();

  CLI::App* add = user->add_subcommand("add", "Add a user; prints a generated password");
  add->add_option("--dir", *dir, "Data directory")->required();
  add->add_option("NAME", *name, "User name")->required();
  add->add_option("--role", *roles, "Role (repeatable): admin, modality, viewer, auditor, custom")
      ->required();
  add->add_flag("--password-stdin", *from_stdin, "Read the password from standard input");
  add->add_option("--scope", *scope,
                  "ATTRIBUTE=VALUE: the user sees only such studies (repeatable; institution, "
                  "issuer, referring_physician, label)");
  add->callback([=] {
    auto d = server::OpenDataDir(*dir);
    if (!d.ok()) return ReportFailure("user add", d.status());
    auto parsed = security::ParseScopeArguments(*scope);
    if (!parsed.ok()) return ReportFailure("user add", parsed.status());
    bool generated = false;
    auto password = ObtainPassword(*from_stdin, generated);
    if (!password.ok()) return ReportFailure("user add", password.status());
    Status st = d->users->Add(*name, *roles, *password);
    if (st.ok() && !parsed->unrestricted()) st = d->users->SetScope(*name, *parsed);
    if (st.ok()) st = d->users->Save();
    if (!st.ok()) return ReportFailure("user add", st);
    AuditConfigurationChange(*d, "user '" + *name + "' added");
    std::cout << "user " << *name << " added\n";
    if (generated) std::cout << "password (shown once): " << *password << "\n";
  });

  CLI::App* list = user->add_subcommand("list", "List users and their roles");
  list->add_option("--dir", *dir, "Data directory")->required();
  list->callback([=] {
    auto d = server::OpenDataDir(*dir);
    if (!d.ok()) return ReportFailure("user list", d.status());
    for (const security::User& u : d->users->List()) {
      std::string r;
      for (const std::string& role : u.roles) r += (r.empty() ? "" : ",") + role;
      std::cout << u.name << "\t" << r << (u.disabled ? "\tdisabled" : "")
                << (u.scope.unrestricted() ? "" : "\tscope=" + security::DescribeScope(u.scope))
                << "\n";
    }
  });

  CLI::App* set_scope =
      user->add_subcommand("scope", "Set the studies a user may see (no --scope: all)");
  set_scope->add_option("--dir", *dir, "Data directory")->required();
  set_scope->add_option("NAME", *name, "User name")->required();
  set_scope->add_option("--scope", *scope, "ATTRIBUTE=VALUE (repeatable)");
  set_scope->callback([=] {
    auto d = server::OpenDataDir(*dir);
    if (!d.ok()) return ReportFailure("user scope", d.status());
    auto parsed = security::ParseScopeArguments(*scope);
    if (!parsed.ok()) return ReportFailure("user scope", parsed.status());
    const std::string described = security::DescribeScope(*parsed);
    Status st = d->users->SetScope(*name, std::move(parsed).value());
    if (st.ok()) st = d->users->Save();
    if (!st.ok()) return ReportFailure("user scope", st);
    AuditConfigurationChange(*d, "user '" + *name + "' scope set to " + described);
    std::cout << "user " << *name << " sees " << described << "\n";
  });

  CLI::App* remove = user->add_subcommand("remove", "Remove a user");
  remove->add_option("--dir", *dir, "Data directory")->required();
  remove->add_option("NAME", *name, "User name")->required();
  remove->callback([=] {
    auto d = server::OpenDataDir(*dir);
    if (!d.ok()) return ReportFailure("user remove", d.status());
    Status st = d->users->Remove(*name);
    if (st.ok()) st = d->users->Save();
    if (!st.ok()) return ReportFailure("user remove", st);
    AuditConfigurationChange(*d, "user '" + *name + "' removed");
    std::cout << "user " << *name << " removed\n";
  });

  CLI::App* passwd = user->add_subcommand("passwd", "Set a new password");
  passwd->add_option("--dir", *dir, "Data directory")->required();
  passwd->add_option("NAME", *name, "User name")->required();
  passwd->add_flag("--password-stdin", *from_stdin, "Read the password from standard input");
  passwd->callback([=] {
    auto d = server::OpenDataDir(*dir);
    if (!d.ok()) return ReportFailure("user passwd", d.status());
    bool generated = false;
    auto password = ObtainPassword(*from_stdin, generated);
    if (!password.ok()) return ReportFailure("user passwd", password.status());
    Status st = d->users->SetPassword(*name, *password);
    if (st.ok()) st = d->users->Save();
    if (!st.ok()) return ReportFailure("user passwd", st);
    AuditConfigurationChange(*d, "password of user '" + *name + "' changed");
    std::cout << "password of " << *name << " changed\n";
    if (generated) std::cout << "password (shown once): " << *password << "\n";
  });
}

}  // namespace bastion::cli
