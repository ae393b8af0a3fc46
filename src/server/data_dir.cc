#include "server/data_dir.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "audit/chained_log.h"
#include "security/local_ca.h"
#include "security/password_hash.h"
#include "security/private_file.h"

namespace bastion::server {
namespace {

namespace fs = std::filesystem;

Status MakePrivateDir(const std::string& path) {
  if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
    return Status::Unavailable("cannot create " + path + ": " + std::strerror(errno));
  }
  if (::chmod(path.c_str(), 0700) != 0) {
    return Status::Unavailable("cannot restrict " + path + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

Status WritePublicFile(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << contents;
  out.close();
  if (!out) return Status::Unavailable("cannot write " + path);
  ::chmod(path.c_str(), 0644);
  return Status::Ok();
}

Result<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot read " + path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string HostName() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "localhost";
  return buf;
}

}  // namespace

std::string AbsoluteDir(const std::string& dir) {
  std::error_code ec;
  fs::path p = fs::absolute(dir, ec);
  return ec ? dir : p.lexically_normal().string();
}

Result<security::RoleCatalog> BuildRoleCatalog(const Config& config) {
  security::RoleCatalog roles;
  for (const auto& [name, permission_names] : config.custom_roles) {
    security::PermissionSet permissions;
    for (const std::string& p : permission_names) {
      auto parsed = security::ParsePermission(p);
      if (!parsed) {
        return Status::Malformed("role '" + name + "' names unknown permission '" + p +
                                 "' (known: echo, store, query, retrieve, delete, admin, audit)");
      }
      permissions.insert(*parsed);
    }
    BASTION_RETURN_IF_ERROR(roles.Define(name, permissions));
  }
  return roles;
}

Result<InitResult> InitDataDir(const InitOptions& options) {
  const std::string dir = AbsoluteDir(options.data_dir);
  const std::string config_path = dir + "/" + kConfigFileName;
  if (fs::exists(config_path)) {
    return Status::Conflict(config_path +
                            " already exists; Bastion never overwrites a "
                            "configuration. Use another --dir or remove it first.");
  }
  if (options.ae_title.empty() || options.ae_title.size() > 16) {
    return Status::Malformed("--ae-title must be 1 to 16 characters");
  }
  BASTION_RETURN_IF_ERROR(security::ValidateAeTitle(options.ae_title));
  BASTION_RETURN_IF_ERROR(security::ValidateUserName(options.admin_user));
  BASTION_RETURN_IF_ERROR(MakePrivateDir(dir));
  BASTION_RETURN_IF_ERROR(MakePrivateDir(dir + "/tls"));
  BASTION_RETURN_IF_ERROR(MakePrivateDir(dir + "/audit"));

  // Certificates: given ones, or a new local CA and a server certificate signed by it.
  InitResult result;
  result.ca_certificate_file = dir + "/tls/ca.pem";
  if (!options.certificate_file.empty()) {
    if (options.key_file.empty() || options.ca_file.empty()) {
      return Status::Malformed("--cert needs --key and --ca as well");
    }
    BASTION_ASSIGN_OR_RETURN(std::string cert, ReadWholeFile(options.certificate_file));
    BASTION_ASSIGN_OR_RETURN(std::string key, ReadWholeFile(options.key_file));
    BASTION_ASSIGN_OR_RETURN(std::string ca, ReadWholeFile(options.ca_file));
    BASTION_RETURN_IF_ERROR(WritePublicFile(dir + "/tls/server.pem", cert));
    BASTION_RETURN_IF_ERROR(
        security::WritePrivateFileAtomically(dir + "/tls/server.key", key, nullptr));
    BASTION_RETURN_IF_ERROR(WritePublicFile(result.ca_certificate_file, ca));
  } else {
    BASTION_ASSIGN_OR_RETURN(auto ca, security::CreateCertificateAuthority(
                                          "Bastion local CA (" + options.ae_title + ")", 3650));
    security::CertificateRequest request;
    request.common_name = HostName();
    request.dns_names = {HostName(), "localhost"};
    for (const std::string& h : options.extra_hostnames) request.dns_names.push_back(h);
    request.ip_addresses = {"127.0.0.1", "::1"};
    // Both uses: the server is the TLS server for its callers and the TLS client of its own
    // outgoing associations (bastion store, and C-MOVE sub-operations), under one identity.
    request.server = true;
    request.client = true;
    BASTION_ASSIGN_OR_RETURN(auto server, security::IssueCertificate(ca, request));
    BASTION_RETURN_IF_ERROR(WritePublicFile(result.ca_certificate_file, ca.certificate_pem));
    BASTION_RETURN_IF_ERROR(
        security::WritePrivateFileAtomically(dir + "/tls/ca.key", ca.key_pem, nullptr));
    BASTION_RETURN_IF_ERROR(WritePublicFile(dir + "/tls/server.pem", server.certificate_pem));
    BASTION_RETURN_IF_ERROR(
        security::WritePrivateFileAtomically(dir + "/tls/server.key", server.key_pem, nullptr));
  }

  // The only credential: a random password for the first administrator, stored as a hash.
  BASTION_ASSIGN_OR_RETURN(result.admin_password, security::GeneratePassword());
  result.admin_user = options.admin_user;
  security::UserStoreOptions user_options;
  user_options.create_if_missing = true;
  BASTION_ASSIGN_OR_RETURN(auto users,
                           security::UserStore::Load(dir + "/users.json", user_options));
  BASTION_RETURN_IF_ERROR(users->Add(options.admin_user, {"admin"}, result.admin_password));
  BASTION_RETURN_IF_ERROR(users->Save());
  security::PeerRegistryOptions peer_options;
  peer_options.create_if_missing = true;
  BASTION_ASSIGN_OR_RETURN(auto peers,
                           security::PeerRegistry::Load(dir + "/peers.json", peer_options));
  BASTION_RETURN_IF_ERROR(peers->Save());

  // The configuration last: its presence marks a complete data directory.
  BASTION_RETURN_IF_ERROR(security::WritePrivateFileAtomically(
      config_path, RenderInitialConfig(options.ae_title, options.dicom_port, options.http_port),
      nullptr));
  return result;
}

Result<DataDir> OpenDataDir(const std::string& data_dir) {
  DataDir d;
  BASTION_ASSIGN_OR_RETURN(d.config, LoadConfig(AbsoluteDir(data_dir)));
  BASTION_ASSIGN_OR_RETURN(d.roles, BuildRoleCatalog(d.config));
  security::UserStoreOptions user_options;
  user_options.roles = d.roles;
  BASTION_ASSIGN_OR_RETURN(d.users, security::UserStore::Load(d.config.users_file(), user_options));
  security::PeerRegistryOptions peer_options;
  peer_options.roles = d.roles;
  BASTION_ASSIGN_OR_RETURN(d.peers,
                           security::PeerRegistry::Load(d.config.peers_file(), peer_options));
  audit::ChainedLogOptions log_options;
  log_options.log_path = d.config.audit_log_file();
  log_options.head_path = d.config.audit_head_file();
  log_options.signing_key_file = d.config.tls.key_file;
  auto log = audit::ChainedAuditLog::Open(log_options);
  if (!log.ok()) return log.status().WithContext("cannot open the audit log");
  d.audit = std::move(log).value();
  return d;
}

}  // namespace bastion::server
