// `bastion cert issue --dir DIR NAME --out PREFIX` and `bastion cert ca --dir DIR`: client
// certificates for peers, signed by the local CA that `bastion init` created.
#include <sys/stat.h>

#include <fstream>
#include <iostream>

#include "commands.h"
#include "security/local_ca.h"
#include "security/private_file.h"
#include "server/data_dir.h"

namespace bastion::cli {
namespace {

Result<std::string> ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot read " + path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

void RegisterCertCommand(CLI::App& app) {
  CLI::App* cert = app.add_subcommand("cert", "Certificates from the local CA");
  cert->require_subcommand(1);
  auto dir = std::make_shared<std::string>();
  auto name = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto days = std::make_shared<int>(397);

  CLI::App* issue = cert->add_subcommand("issue", "Issue a client certificate (PREFIX.pem/.key)");
  issue->add_option("--dir", *dir, "Data directory")->required();
  issue->add_option("NAME", *name, "Common name, e.g. the peer's AE title")->required();
  issue->add_option("--out", *out, "Output prefix")->required();
  issue->add_option("--days", *days, "Validity in days");
  issue->callback([=] {
    auto config = server::LoadConfig(server::AbsoluteDir(*dir));
    if (!config.ok()) return ReportFailure("cert issue", config.status());
    security::KeyAndCertificate ca;
    auto key = security::ReadPrivateFile(config->tls.ca_key_file, 1 << 20, nullptr);
    if (!key.ok()) return ReportFailure("cert issue", key.status());
    auto pem = ReadAll(config->tls.client_ca_file);
    if (!pem.ok()) return ReportFailure("cert issue", pem.status());
    ca.key_pem = *key;
    ca.certificate_pem = *pem;
    security::CertificateRequest request;
    request.common_name = *name;
    request.days = *days;
    request.server = false;
    request.client = true;
    auto issued = security::IssueCertificate(ca, request);
    if (!issued.ok()) return ReportFailure("cert issue", issued.status());
    Status st = security::WritePrivateFileAtomically(*out + ".key", issued->key_pem, nullptr);
    if (!st.ok()) return ReportFailure("cert issue", st);
    std::ofstream cert_out(*out + ".pem", std::ios::binary | std::ios::trunc);
    cert_out << issued->certificate_pem;
    cert_out.close();
    if (!cert_out)
      return ReportFailure("cert issue", Status::Unavailable("cannot write " + *out + ".pem"));
    ::chmod((*out + ".pem").c_str(), 0644);
    std::cout << "wrote " << *out << ".pem and " << *out << ".key (private, mode 0600)\n";
  });

  CLI::App* ca = cert->add_subcommand("ca", "Print the CA certificate (PEM)");
  ca->add_option("--dir", *dir, "Data directory")->required();
  ca->callback([=] {
    auto config = server::LoadConfig(server::AbsoluteDir(*dir));
    if (!config.ok()) return ReportFailure("cert ca", config.status());
    auto pem = ReadAll(config->tls.client_ca_file);
    if (!pem.ok()) return ReportFailure("cert ca", pem.status());
    std::cout << *pem;
  });
}

}  // namespace bastion::cli
