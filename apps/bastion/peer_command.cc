// `bastion peer add|list|remove --dir DIR ...`: the registry of DICOM peers allowed in.

#include <iostream>

#include "commands.h"
#include "server/data_dir.h"

namespace bastion::cli {
namespace {}  // namespace

void RegisterPeerCommand(CLI::App& app) {
  CLI::App* peer = app.add_subcommand("peer", "Manage the DICOM peers allowed to associate");
  peer->require_subcommand(1);
  auto dir = std::make_shared<std::string>();
  auto p = std::make_shared<security::Peer>();
  auto cert = std::make_shared<std::string>();
  auto scope = std::make_shared<std::vector<std::string>>();

  CLI::App* add = peer->add_subcommand("add", "Register a peer");
  add->add_option("--dir", *dir, "Data directory")->required();
  add->add_option("AETITLE", p->ae_title, "The peer's calling AE title")->required();
  add->add_option("--host", p->host,
                  "Address or host name it connects from ('*' = any, requires --cert)")
      ->required();
  add->add_option("--port", p->port, "Its DICOM port, for associations we open to it");
  add->add_option("--role", p->roles, "Role (repeatable)")->required();
  add->add_option("--cert", *cert, "Its client certificate (PEM): then required over TLS");
  add->add_flag("--require-identity", p->require_identity,
                "It must also present a user identity (password or JWT)");
  add->add_flag("--plaintext", p->plaintext,
                "Associations we open to it (C-MOVE, store --to) go without TLS: only for "
                "equipment that cannot do TLS");
  add->add_option("--scope", *scope,
                  "ATTRIBUTE=VALUE: it sees only such studies (repeatable; institution, issuer, "
                  "referring_physician, label)");
  add->callback([=] {
    auto d = server::OpenDataDir(*dir);
    if (!d.ok()) return ReportFailure("peer add", d.status());
    security::Peer peer_copy = *p;
    auto parsed = security::ParseScopeArguments(*scope);
    if (!parsed.ok()) return ReportFailure("peer add", parsed.status());
    peer_copy.scope = std::move(parsed).value();
    if (!cert->empty()) {
      auto fingerprint = security::CertificateFingerprintFromFile(*cert);
      if (!fingerprint.ok()) return ReportFailure("peer add", fingerprint.status());
      peer_copy.cert_sha256 = *fingerprint;
      peer_copy.require_client_cert = true;
    }
    Status st = d->peers->Add(peer_copy);
    if (st.ok()) st = d->peers->Save();
    if (!st.ok()) return ReportFailure("peer add", st);
    AuditConfigurationChange(
        *d, "peer '" + peer_copy.ae_title + "' registered from host " + peer_copy.host);
    std::cout << "peer " << peer_copy.ae_title << " registered\n";
  });

  CLI::App* list = peer->add_subcommand("list", "List registered peers");
  list->add_option("--dir", *dir, "Data directory")->required();
  list->callback([=] {
    auto d = server::OpenDataDir(*dir);
    if (!d.ok()) return ReportFailure("peer list", d.status());
    for (const security::Peer& e : d->peers->List()) {
      std::string r;
      for (const std::string& role : e.roles) r += (r.empty() ? "" : ",") + role;
      std::cout << e.ae_title << "\thost=" << e.host << "\tport=" << e.port << "\troles=" << r
                << (e.cert_sha256.empty() ? "" : "\tcert=" + e.cert_sha256.substr(0, 16) + "...")
                << (e.require_identity ? "\trequire-identity" : "")
                << (e.plaintext ? "\tplaintext" : "")
                << (e.scope.unrestricted() ? "" : "\tscope=" + security::DescribeScope(e.scope))
                << "\n";
    }
  });

  CLI::App* set_scope =
      peer->add_subcommand("scope", "Set the studies a peer may see (no --scope: all)");
  set_scope->add_option("--dir", *dir, "Data directory")->required();
  set_scope->add_option("AETITLE", p->ae_title, "The peer's AE title")->required();
  set_scope->add_option("--scope", *scope, "ATTRIBUTE=VALUE (repeatable)");
  set_scope->callback([=] {
    auto d = server::OpenDataDir(*dir);
    if (!d.ok()) return ReportFailure("peer scope", d.status());
    auto parsed = security::ParseScopeArguments(*scope);
    if (!parsed.ok()) return ReportFailure("peer scope", parsed.status());
    const std::string described = security::DescribeScope(*parsed);
    Status st = d->peers->SetScope(p->ae_title, std::move(parsed).value());
    if (st.ok()) st = d->peers->Save();
    if (!st.ok()) return ReportFailure("peer scope", st);
    AuditConfigurationChange(*d, "peer '" + p->ae_title + "' scope set to " + described);
    std::cout << "peer " << p->ae_title << " sees " << described << "\n";
  });

  CLI::App* remove = peer->add_subcommand("remove", "Remove a peer");
  remove->add_option("--dir", *dir, "Data directory")->required();
  remove->add_option("AETITLE", p->ae_title, "The peer's AE title")->required();
  remove->callback([=] {
    auto d = server::OpenDataDir(*dir);
    if (!d.ok()) return ReportFailure("peer remove", d.status());
    Status st = d->peers->Remove(p->ae_title);
    if (st.ok()) st = d->peers->Save();
    if (!st.ok()) return ReportFailure("peer remove", st);
    AuditConfigurationChange(*d, "peer '" + p->ae_title + "' removed");
    std::cout << "peer " << p->ae_title << " removed\n";
  });
}

}  // namespace bastion::cli
