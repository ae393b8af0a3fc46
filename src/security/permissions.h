// Roles and permissions: the one authorization vocabulary of DIMSE, DICOMweb and the web UI.
//
// A role is a named set of permissions. Four roles are built in (admin, modality, viewer,
// auditor); deployments add their own in the configuration. Deny by default: an identity
// holds exactly the permissions of its roles.
// Thread-safety: RoleCatalog is immutable after construction; share it freely.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace bastion::security {

enum class Permission : std::uint8_t {
  kEcho,
  kStore,
  kQuery,
  kRetrieve,
  kDelete,
  kAdmin,
  kAudit,
};

std::string_view PermissionName(Permission p);
std::optional<Permission> ParsePermission(std::string_view name);
std::vector<Permission> AllPermissions();

using PermissionSet = std::set<Permission>;

class RoleCatalog {
 public:
  // The built-in roles only.
  RoleCatalog();

  // Adds or replaces a custom role. Built-in roles cannot be redefined.
  Status Define(const std::string& name, PermissionSet permissions);

  bool Has(const std::string& role) const { return roles_.count(role) != 0; }
  // Union of the permissions of `roles`; unknown roles contribute nothing.
  PermissionSet PermissionsOf(const std::vector<std::string>& roles) const;
  std::vector<std::string> Names() const;

 private:
  std::map<std::string, PermissionSet> roles_;
};

}  // namespace bastion::security
