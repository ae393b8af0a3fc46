// The data directory: what `bastion init` creates and every other command opens.
//
//   DIR/bastion.toml      configuration (0600)
//   DIR/tls/ca.pem        local CA certificate (give it to peers), ca.key (0600)
//   DIR/tls/server.pem    server certificate, server.key (0600)
//   DIR/users.json        user store: Argon2id hashes only (0600)
//   DIR/peers.json        registered DICOM peers (0600)
//   DIR/audit/audit.log   audit events, one JSON object per line, hash-chained (0600)
//   DIR/audit/audit.head  the last signed checkpoint (docs/formats/audit-log.md)
//
// No credential exists until init generates one; nothing here has a default password.
// Thread-safety: functions are for start-up and CLI use.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "audit/audit_event.h"
#include "base/status.h"
#include "security/peer_registry.h"
#include "security/permissions.h"
#include "security/user_store.h"
#include "server/config.h"

namespace bastion::server {

struct InitOptions {
  std::string data_dir;
  std::string ae_title;
  std::uint16_t dicom_port = 2762;
  std::uint16_t http_port = 8443;
  std::string admin_user = "admin";
  // Use these instead of generating a CA and server certificate.
  std::string certificate_file;
  std::string key_file;
  std::string ca_file;
  std::vector<std::string> extra_hostnames;  // subjectAltNames besides the host name/localhost
};

struct InitResult {
  std::string admin_user;
  std::string admin_password;  // shown once, never stored
  std::string ca_certificate_file;
};

// Creates a new data directory. Refuses to touch an existing configuration.
Result<InitResult> InitDataDir(const InitOptions& options);

// Roles built in plus the custom roles of the configuration.
Result<security::RoleCatalog> BuildRoleCatalog(const Config& config);

// Everything commands need from a data directory.
struct DataDir {
  Config config;
  security::RoleCatalog roles;
  std::unique_ptr<security::UserStore> users;
  std::unique_ptr<security::PeerRegistry> peers;
  std::unique_ptr<audit::AuditSink> audit;
};

Result<DataDir> OpenDataDir(const std::string& data_dir);

// Absolute form of a directory path given on the command line.
std::string AbsoluteDir(const std::string& dir);

}  // namespace bastion::server
