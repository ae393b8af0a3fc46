// The token store: personal and service bearer tokens for DICOMweb (PS3.18 via HTTP
// "Authorization: Bearer", RFC 6750 2.1) that an administrator creates with `bastion token
// create`, for clients that cannot run an OAuth2 flow (scripts, other archives).
//
// A token is "bst_" + id + "_" + base64url(32 random bytes): the id (12 hex digits) is public,
// shown by `bastion token list` and in the audit trail, and names the record; the random part
// is the secret, shown once at creation and never stored. The store keeps the SHA-256 of the
// whole token only: a 256-bit random secret cannot be guessed or brute-forced from its hash,
// so the slow, salted hash passwords need (Argon2id, password_hash.h) would only cost time on
// every request. Verify() compares hashes in constant time (CRYPTO_memcmp).
// A token is bound to a user name, not to roles: the caller looks the user up in the
// UserStore at each request for its roles and scope, so a role change applies at once and the
// tokens of a disabled or removed user stop working with it. This store does not check that
// the user exists (the CLI does, at creation); Verify() returns the user name.
// Records live in DIR/tokens.json (mode 0600), written atomically under an advisory lock
// (PrivateStore, like users.json), so `bastion token revoke` and a running server share it;
// ReloadIfChanged() picks changes up. No clock inside: times are passed in.
// File format: {"format": "bastion-tokens", "version": 1, "tokens": [{"id", "sha256", "user",
// "description", "created_unix", "expires_unix", "revoked"}]}.
// Thread-safety: all methods may be called concurrently (immutable snapshots, serialised
// writers).
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "security/private_store.h"

namespace bastion::security {

struct TokenInfo {
  std::string id;  // public: 12 lower-case hex digits
  std::string user;
  std::string description;
  std::chrono::system_clock::time_point created{};
  std::chrono::system_clock::time_point expires{};
  bool revoked = false;
};

// Why Verify() failed, for the audit trail only; never send it to the client.
enum class TokenFailure : std::uint8_t {
  kNone,
  kMalformed,  // not of our token syntax, or longer than kMaxTokenBytes
  kUnknownId,
  kWrongSecret,  // the id exists but the secret does not match: a guess or a damaged token
  kRevoked,
  kExpired,
};
std::string_view TokenFailureName(TokenFailure failure);

// The one message Verify() returns for every failure.
inline constexpr std::string_view kBadTokenMessage = "invalid or expired bearer token";

inline constexpr std::string_view kTokenPrefix = "bst_";
inline constexpr std::size_t kTokenIdHexDigits = 12;
inline constexpr std::size_t kTokenSecretBytes = 32;
// Longer inputs are refused before any other work (ours are 60 characters).
inline constexpr std::size_t kMaxTokenBytes = 256;
inline constexpr std::chrono::seconds kMinTokenTtl = std::chrono::minutes(1);
inline constexpr std::chrono::seconds kMaxTokenTtl = std::chrono::hours(24 * 365 * 2);
inline constexpr std::size_t kMaxTokenDescriptionBytes = 200;

inline constexpr std::chrono::seconds kExpiredTokenRetention = std::chrono::hours(24 * 30);

struct TokenStoreOptions {
  bool create_if_missing = false;
  std::size_t max_file_bytes = 64 * 1024 * 1024;
  std::size_t max_tokens = 100000;
};

class TokenStore {
 public:
  // Reads `path`. A missing file is NotFound unless options.create_if_missing, in which case
  // the store starts empty and the file is written by the first change.
  static Result<std::unique_ptr<TokenStore>> Load(const std::string& path,
                                                  TokenStoreOptions options = {});

  TokenStore(const TokenStore&) = delete;
  TokenStore& operator=(const TokenStore&) = delete;

  // A new token for `user` valid from `now` for `ttl` (kMinTokenTtl..kMaxTokenTtl, else
  // Malformed); `description` is printable ASCII of at most kMaxTokenDescriptionBytes. Returns
  // the record and the token text, which exists nowhere else: show it once, then forget it.
  // Written to the file before it returns. LimitExceeded at max_tokens. Records expired for
  // more than kExpiredTokenRetention are dropped in the same write, so the file stays bounded
  // without a chore, while recently expired ones still show in List (why a client stopped).
  Result<std::pair<TokenInfo, std::string>> Create(const std::string& user,
                                                   std::chrono::seconds ttl,
                                                   const std::string& description,
                                                   std::chrono::system_clock::time_point now);

  // The record of a valid token (not revoked, now < expires), or
  // Unauthenticated(kBadTokenMessage) whatever the reason; `why` (optional) receives it.
  Result<TokenInfo> Verify(std::string_view token, std::chrono::system_clock::time_point now,
                           TokenFailure* why = nullptr) const;

  Status Revoke(std::string_view id);  // NotFound if absent; revoking twice is not an error
  // Drops the records whose expiry has passed (revoked or not) and, with `revoked_too`, the
  // revoked ones; writes the file only when there is something to drop. The number dropped.
  Result<std::size_t> RemoveExpired(std::chrono::system_clock::time_point now,
                                    bool revoked_too = false);

  // Re-reads the file when it changed since the last read or write. true when reloaded. On
  // error the previous state stays in force.
  Result<bool> ReloadIfChanged();

  std::optional<TokenInfo> Find(std::string_view id) const;
  // Sorted by creation time, then id; only `user`'s when given. Never holds a secret or hash.
  std::vector<TokenInfo> List(std::optional<std::string_view> user = std::nullopt) const;
  std::size_t size() const;
  const std::string& path() const { return path_; }

 private:
  struct Stored {
    TokenInfo info;
    std::array<unsigned char, 32> sha256{};
  };
  using Snapshot = std::map<std::string, Stored, std::less<>>;

  TokenStore(std::string path, TokenStoreOptions options)
      : path_(std::move(path)),
        options_(options),
        store_(
            path_, options_.max_file_bytes, options_.max_tokens, "tokens",
            [this](std::string_view text) { return Parse(text); },
            [](const Snapshot& snapshot) { return Serialize(snapshot); }) {}

  Result<Snapshot> Parse(std::string_view text) const;
  static std::string Serialize(const Snapshot& snapshot);

  const std::string path_;
  const TokenStoreOptions options_;
  PrivateStore<Snapshot> store_;  // after options_: built from it
};

}  // namespace bastion::security
