#include "security/permissions.h"

namespace bastion::security {

std::string_view PermissionName(Permission p) {
  switch (p) {
    case Permission::kEcho:
      return "echo";
    case Permission::kStore:
      return "store";
    case Permission::kQuery:
      return "query";
    case Permission::kRetrieve:
      return "retrieve";
    case Permission::kDelete:
      return "delete";
    case Permission::kAdmin:
      return "admin";
    case Permission::kAudit:
      return "audit";
  }
  return "unknown";
}

std::vector<Permission> AllPermissions() {
  return {Permission::kEcho,   Permission::kStore, Permission::kQuery, Permission::kRetrieve,
          Permission::kDelete, Permission::kAdmin, Permission::kAudit};
}

std::optional<Permission> ParsePermission(std::string_view name) {
  for (Permission p : AllPermissions()) {
    if (PermissionName(p) == name) return p;
  }
  return std::nullopt;
}

namespace {
bool IsBuiltIn(const std::string& name) {
  return name == "admin" || name == "modality" || name == "viewer" || name == "auditor";
}
}  // namespace

RoleCatalog::RoleCatalog() {
  auto all = AllPermissions();
  roles_["admin"] = PermissionSet(all.begin(), all.end());
  roles_["modality"] = {Permission::kEcho, Permission::kStore};
  roles_["viewer"] = {Permission::kEcho, Permission::kQuery, Permission::kRetrieve};
  roles_["auditor"] = {Permission::kEcho, Permission::kAudit};
}

Status RoleCatalog::Define(const std::string& name, PermissionSet permissions) {
  if (name.empty()) return Status::Malformed("a role needs a name");
  if (IsBuiltIn(name)) {
    return Status::Conflict("role '" + name +
                            "' is built in and cannot be redefined; choose "
                            "another name for the custom role");
  }
  roles_[name] = std::move(permissions);
  return Status::Ok();
}

PermissionSet RoleCatalog::PermissionsOf(const std::vector<std::string>& roles) const {
  PermissionSet out;
  for (const std::string& r : roles) {
    auto it = roles_.find(r);
    if (it != roles_.end()) out.insert(it->second.begin(), it->second.end());
  }
  return out;
}

std::vector<std::string> RoleCatalog::Names() const {
  std::vector<std::string> names;
  for (const auto& [name, _] : roles_) names.push_back(name);
  return names;
}

}  // namespace bastion::security
