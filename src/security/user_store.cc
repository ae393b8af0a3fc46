#include "security/user_store.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

namespace bastion::security {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kFormat = "bastion-users";
constexpr int kVersion = 1;

bool IsNameChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '@' || c == '-';
}

Status ValidateRoleName(const std::string& role) {
  if (role.empty() || role.size() > 64) return Status::Malformed("role names are 1-64 characters");
  for (char c : role) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7F) return Status::Malformed("role name has a space or control byte");
  }
  return Status::Ok();
}

}  // namespace

std::string_view VerifyFailureName(VerifyFailure failure) {
  switch (failure) {
    case VerifyFailure::kNone:
      return "none";
    case VerifyFailure::kUnknownUser:
      return "unknown user";
    case VerifyFailure::kWrongPassword:
      return "wrong password";
    case VerifyFailure::kDisabled:
      return "account disabled";
    case VerifyFailure::kUnusableHash:
      return "stored password hash unusable";
  }
  return "unknown";
}

Status ValidateUserName(std::string_view name) {
  if (name.empty() || name.size() > 64) {
    return Status::Malformed("user names are 1 to 64 characters");
  }
  if (!std::all_of(name.begin(), name.end(), IsNameChar)) {
    return Status::Malformed("user names may contain only letters, digits and . _ @ -");
  }
  return Status::Ok();
}

Result<std::unique_ptr<UserStore>> UserStore::Load(const std::string& path,
                                                   UserStoreOptions options) {
  std::unique_ptr<UserStore> store(new UserStore(path, std::move(options)));
  // The dummy hash uses the configured parameters so that verifying it costs what verifying
  // a real account costs. Its password is random and discarded.
  BASTION_ASSIGN_OR_RETURN(std::string dummy_password, GeneratePassword());
  BASTION_ASSIGN_OR_RETURN(store->dummy_hash_,
                           HashPassword(dummy_password, store->options_.hash_params));
  BASTION_RETURN_IF_ERROR(store->store_.Load(store->options_.create_if_missing));
  return store;
}

std::shared_ptr<const UserStore::Snapshot> UserStore::snapshot() const { return store_.snapshot(); }

Result<UserStore::Snapshot> UserStore::Parse(std::string_view text) const {
  // The file is ours, but it is still input: parse without exceptions and check every type.
  Json doc = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return Status::Malformed("not a JSON object");
  auto format = doc.find("format");
  auto version = doc.find("version");
  auto users = doc.find("users");
  if (format == doc.end() || !format->is_string() || format->get<std::string>() != kFormat) {
    return Status::Malformed("\"format\" is not \"bastion-users\"");
  }
  if (version == doc.end() || !version->is_number_integer() || version->get<int>() != kVersion) {
    return Status::Unsupported("unsupported \"version\" (this build reads version 1)");
  }
  if (users == doc.end() || !users->is_array()) return Status::Malformed("\"users\" is not a list");
  if (users->size() > options_.max_users) {
    return Status::LimitExceeded("more than " + std::to_string(options_.max_users) + " users");
  }
  Snapshot out;
  for (const Json& u : *users) {
    if (!u.is_object()) return Status::Malformed("a user entry is not an object");
    auto name = u.find("name");
    auto roles = u.find("roles");
    auto hash = u.find("password_hash");
    auto created = u.find("created_unix");
    auto disabled = u.find("disabled");
    if (name == u.end() || !name->is_string()) return Status::Malformed("a user has no name");
    Stored s;
    s.user.name = name->get<std::string>();
    BASTION_RETURN_IF_ERROR(ValidateUserName(s.user.name));
    auto context = [&](Status st) { return st.WithContext("user " + s.user.name); };
    if (roles == u.end() || !roles->is_array()) return context(Status::Malformed("no roles list"));
    for (const Json& r : *roles) {
      if (!r.is_string()) return context(Status::Malformed("a role is not a string"));
      s.user.roles.push_back(r.get<std::string>());
      Status rs = ValidateRoleName(s.user.roles.back());
      if (!rs.ok()) return context(rs);
    }
    if (hash == u.end() || !hash->is_string() || hash->get_ref<const std::string&>().empty() ||
        hash->get_ref<const std::string&>().size() > 1024) {
      return context(Status::Malformed("no usable password_hash"));
    }
    s.password_hash = hash->get<std::string>();
    if (created != u.end()) {
      if (!created->is_number_integer()) return context(Status::Malformed("bad created_unix"));
      s.user.created =
          std::chrono::system_clock::time_point(std::chrono::seconds(created->get<std::int64_t>()));
    }
    if (disabled != u.end()) {
      if (!disabled->is_boolean()) return context(Status::Malformed("bad disabled flag"));
      s.user.disabled = disabled->get<bool>();
    }
    if (auto scope = u.find("scope"); scope != u.end()) {
      auto parsed = ScopeFromJson(*scope);
      if (!parsed.ok()) return context(parsed.status());
      s.user.scope = std::move(parsed).value();
    }
    std::string key = s.user.name;
    if (!out.emplace(std::move(key), std::move(s)).second) {
      return Status::Malformed("user " + name->get<std::string>() + " appears twice");
    }
  }
  return out;
}

std::string UserStore::Serialize(const Snapshot& snapshot) const {
  Json users = Json::array();
  for (const auto& [name, s] : snapshot) {
    Json entry = {
        {"name", s.user.name},
        {"roles", s.user.roles},
        {"password_hash", s.password_hash},
        {"created_unix",
         std::chrono::duration_cast<std::chrono::seconds>(s.user.created.time_since_epoch())
             .count()},
        {"disabled", s.user.disabled},
    };
    if (!s.user.scope.unrestricted()) entry["scope"] = ScopeToJson(s.user.scope);
    users.push_back(std::move(entry));
  }
  Json doc = {{"format", std::string(kFormat)}, {"version", kVersion}, {"users", std::move(users)}};
  return doc.dump(2) + "\n";
}

Status UserStore::ValidateRoles(const std::vector<std::string>& roles) const {
  if (roles.empty()) return Status::Malformed("a user needs at least one role");
  for (const std::string& r : roles) {
    if (!options_.roles.Has(r)) {
      std::string known;
      for (const std::string& n : options_.roles.Names()) known += (known.empty() ? "" : ", ") + n;
      return Status::NotFound("unknown role '" + r + "' (known roles: " + known + ")");
    }
  }
  return Status::Ok();
}

Result<bool> UserStore::ReloadIfChanged() { return store_.ReloadIfChanged(); }

template <typename Change>
Status UserStore::Modify(Change&& change) {
  return store_.Modify(std::forward<Change>(change));
}

Status UserStore::Add(const std::string& name, const std::vector<std::string>& roles,
                      std::string_view password) {
  BASTION_RETURN_IF_ERROR(ValidateUserName(name));
  BASTION_RETURN_IF_ERROR(ValidateRoles(roles));
  BASTION_RETURN_IF_ERROR(CheckPasswordPolicy(password));
  if (snapshot()->count(name) != 0) return Status::Conflict("user " + name + " already exists");
  // Hash before taking any lock: it is the slow part.
  BASTION_ASSIGN_OR_RETURN(std::string hash, HashPassword(password, options_.hash_params));
  return Modify([&](Snapshot& s) -> Status {
    Stored stored;
    stored.user.name = name;
    stored.user.roles = roles;
    stored.user.created =
        std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
    stored.password_hash = std::move(hash);
    if (!s.emplace(name, std::move(stored)).second) {
      return Status::Conflict("user " + name + " already exists");
    }
    return Status::Ok();
  });
}

Status UserStore::Remove(const std::string& name) {
  return Modify([&](Snapshot& s) -> Status {
    if (s.erase(name) == 0) return Status::NotFound("no user " + name);
    return Status::Ok();
  });
}

Status UserStore::SetPassword(const std::string& name, std::string_view password) {
  BASTION_RETURN_IF_ERROR(CheckPasswordPolicy(password));
  if (snapshot()->count(name) == 0) return Status::NotFound("no user " + name);
  BASTION_ASSIGN_OR_RETURN(std::string hash, HashPassword(password, options_.hash_params));
  return Modify([&](Snapshot& s) -> Status {
    auto it = s.find(name);
    if (it == s.end()) return Status::NotFound("no user " + name);
    it->second.password_hash = std::move(hash);
    return Status::Ok();
  });
}

Status UserStore::SetRoles(const std::string& name, const std::vector<std::string>& roles) {
  BASTION_RETURN_IF_ERROR(ValidateRoles(roles));
  return Modify([&](Snapshot& s) -> Status {
    auto it = s.find(name);
    if (it == s.end()) return Status::NotFound("no user " + name);
    it->second.user.roles = roles;
    return Status::Ok();
  });
}

Status UserStore::SetScope(const std::string& name, Scope scope) {
  return Modify([&](Snapshot& s) -> Status {
    auto it = s.find(name);
    if (it == s.end()) return Status::NotFound("no user " + name);
    it->second.user.scope = std::move(scope);
    return Status::Ok();
  });
}

Status UserStore::SetDisabled(const std::string& name, bool disabled) {
  return Modify([&](Snapshot& s) -> Status {
    auto it = s.find(name);
    if (it == s.end()) return Status::NotFound("no user " + name);
    it->second.user.disabled = disabled;
    return Status::Ok();
  });
}

Status UserStore::Save() { return store_.Save(); }

Result<User> UserStore::Verify(std::string_view name, std::string_view password,
                               VerifyFailure* why) const {
  VerifyFailure reason = VerifyFailure::kNone;
  std::shared_ptr<const Snapshot> snap = snapshot();
  auto it = snap->find(name);
  if (it == snap->end()) {
    // Same work as for a real account, so timing does not reveal which names exist.
    (void)VerifyPassword(password, dummy_hash_);
    reason = VerifyFailure::kUnknownUser;
  } else {
    Status s = VerifyPassword(password, it->second.password_hash);
    if (it->second.user.disabled) {
      reason = VerifyFailure::kDisabled;
    } else if (s.code() == StatusCode::kUnauthenticated) {
      reason = VerifyFailure::kWrongPassword;
    } else if (!s.ok()) {
      reason = VerifyFailure::kUnusableHash;
    }
  }
  if (why != nullptr) *why = reason;
  if (reason != VerifyFailure::kNone) {
    return Status::Unauthenticated(std::string(kBadCredentialsMessage));
  }
  return it->second.user;
}

std::optional<User> UserStore::Find(std::string_view name) const {
  std::shared_ptr<const Snapshot> snap = snapshot();
  auto it = snap->find(name);
  if (it == snap->end()) return std::nullopt;
  return it->second.user;
}

std::vector<User> UserStore::List() const {
  std::shared_ptr<const Snapshot> snap = snapshot();
  std::vector<User> out;
  out.reserve(snap->size());
  for (const auto& [name, s] : *snap) out.push_back(s.user);
  return out;
}

std::size_t UserStore::size() const { return snapshot()->size(); }

}  // namespace bastion::security
