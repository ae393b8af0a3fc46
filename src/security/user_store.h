// The user store: local accounts for User Identity Negotiation type 2 (PS3.7 D.3.3.7,
// username + passcode), and later for DICOMweb and the web UI.
//
// Accounts live in a JSON file (DIR/users.json, mode 0600) holding Argon2id hashes only;
// every change rewrites it atomically under an advisory lock, so `bastion user add` and a
// running server can share it, and ReloadIfChanged() lets the server pick changes up without
// a restart. Verify() answers unknown users and wrong passwords with the same message after
// the same work (a dummy hash is verified for unknown names), so neither the message nor the
// timing tells a caller whether an account exists; the detailed reason goes to the audit log
// only, through `VerifyFailure`.
// File format: {"format": "bastion-users", "version": 1, "users": [{"name", "roles",
// "password_hash", "created_unix", "disabled"}]}.
// Thread-safety: all methods may be called concurrently. Readers work on an immutable
// snapshot; writers are serialised and swap in a new snapshot.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "security/password_hash.h"
#include "security/permissions.h"
#include "security/private_file.h"
#include "security/private_store.h"
#include "security/scope.h"

namespace bastion::security {

struct User {
  std::string name;
  std::vector<std::string> roles;
  Scope scope;  // the studies this user may see; unrestricted when empty
  std::chrono::system_clock::time_point created{};
  bool disabled = false;
};

// Why Verify() failed, for the audit trail only; never send it to the peer.
enum class VerifyFailure : std::uint8_t {
  kNone,
  kUnknownUser,
  kWrongPassword,
  kDisabled,
  kUnusableHash,  // the stored hash is damaged or out of bounds
};
std::string_view VerifyFailureName(VerifyFailure failure);

// The one message Verify() returns for every failure.
inline constexpr std::string_view kBadCredentialsMessage = "unknown user or wrong password";

// 1 to 64 characters from [A-Za-z0-9._@-].
Status ValidateUserName(std::string_view name);

struct UserStoreOptions {
  Argon2Params hash_params;  // for new hashes and for the dummy hash
  RoleCatalog roles;         // roles Add() and SetRoles() accept
  bool create_if_missing = false;
  std::size_t max_file_bytes = 16 * 1024 * 1024;
  std::size_t max_users = 100000;
};

class UserStore {
 public:
  // Reads `path`. A missing file is NotFound unless options.create_if_missing, in which case
  // the store starts empty and the file is written by the first change or Save().
  static Result<std::unique_ptr<UserStore>> Load(const std::string& path,
                                                 UserStoreOptions options = {});

  UserStore(const UserStore&) = delete;
  UserStore& operator=(const UserStore&) = delete;

  // Changes are written to the file before they return (after merging any newer version of
  // the file written by another process). Passwords must pass CheckPasswordPolicy().
  Status Add(const std::string& name, const std::vector<std::string>& roles,
             std::string_view password);   // Conflict if the name exists
  Status Remove(const std::string& name);  // NotFound if absent
  Status SetPassword(const std::string& name, std::string_view password);
  Status SetRoles(const std::string& name, const std::vector<std::string>& roles);
  Status SetDisabled(const std::string& name, bool disabled);
  Status SetScope(const std::string& name, Scope scope);

  // Rewrites the file from the current state (creates it when it does not exist yet).
  Status Save();

  // Re-reads the file when it changed since the last read or write. true when reloaded. On
  // error the previous state stays in force.
  Result<bool> ReloadIfChanged();

  // Ok with the account when `password` matches an enabled account; otherwise
  // Unauthenticated(kBadCredentialsMessage). `why` (optional) receives the reason.
  Result<User> Verify(std::string_view name, std::string_view password,
                      VerifyFailure* why = nullptr) const;

  std::optional<User> Find(std::string_view name) const;
  std::vector<User> List() const;  // sorted by name
  std::size_t size() const;
  const std::string& path() const { return path_; }

 private:
  struct Stored {
    User user;
    std::string password_hash;
  };
  using Snapshot = std::map<std::string, Stored, std::less<>>;

  UserStore(std::string path, UserStoreOptions options)
      : path_(std::move(path)),
        options_(std::move(options)),
        store_(
            path_, options_.max_file_bytes, options_.max_users, "users",
            [this](std::string_view text) { return Parse(text); },
            [this](const Snapshot& snapshot) { return Serialize(snapshot); }) {}

  std::shared_ptr<const Snapshot> snapshot() const;
  Result<Snapshot> Parse(std::string_view text) const;
  std::string Serialize(const Snapshot& snapshot) const;
  Status ValidateRoles(const std::vector<std::string>& roles) const;
  // Locks the file, merges, applies `change` to a copy, writes and swaps it in.
  template <typename Change>
  Status Modify(Change&& change);

  const std::string path_;
  const UserStoreOptions options_;
  std::string dummy_hash_;
  PrivateStore<Snapshot> store_;  // after options_: built from it
};

}  // namespace bastion::security
