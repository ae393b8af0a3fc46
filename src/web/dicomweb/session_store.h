// Login sessions of the HTTP interface (OWASP ASVS V3): a browser that logged in with a
// password holds a random session id in an HttpOnly, Secure, SameSite=Strict cookie, and a
// separate random CSRF token that state-changing requests must echo in X-CSRF-Token.
//
// Ids and CSRF tokens are 256-bit values from OpenSSL's RAND_bytes; only their SHA-256 is kept,
// so a memory dump reveals no usable id. Sessions end after `idle` without use, after
// `absolute` in any case, at logout, and (bounded memory) the least recently used go first
// beyond `max_sessions`. Sessions live in memory: a restart logs everyone out, which is the
// safe failure. The user's roles and scope are looked up at each request, not stored here.
// Time is passed in. Thread-safety: all methods may be called concurrently.
#pragma once

#include <chrono>
#include <cstddef>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace bastion::web::dicomweb {

struct SessionLimits {
  std::chrono::seconds idle{15 * 60};
  std::chrono::seconds absolute{8 * 60 * 60};
  std::size_t max_sessions = 10'000;
};

struct NewSession {
  std::string id;          // for the cookie
  std::string csrf_token;  // for the page's script
};

struct SessionInfo {
  std::string user;
  std::string csrf_hash;  // SHA-256 of the CSRF token, hex
};

class SessionStore {
 public:
  using Clock = std::chrono::steady_clock;
  explicit SessionStore(SessionLimits limits = {}) : limits_(limits) {}

  NewSession Create(const std::string& user, Clock::time_point now);
  // The session `id` names, refreshed; nullopt when unknown or expired.
  std::optional<SessionInfo> Find(std::string_view id, Clock::time_point now);
  // Whether `token` is the CSRF token of `session` (constant time).
  static bool CsrfMatches(const SessionInfo& session, std::string_view token);
  void Remove(std::string_view id);
  std::size_t size() const;

 private:
  struct Entry {
    SessionInfo info;
    Clock::time_point created;
    Clock::time_point last_used;
    std::list<std::string>::iterator lru;
  };
  const SessionLimits limits_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> sessions_;  // by SHA-256 of the id
  std::list<std::string> lru_;                       // least recently used first
};

}  // namespace bastion::web::dicomweb
