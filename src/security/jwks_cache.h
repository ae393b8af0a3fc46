// JwksCache: the JWK Set (RFC 7517 5) an OAuth2 / OpenID Connect issuer publishes at its
// "jwks_uri" (OpenID Connect Discovery 1.0, section 3), kept current for a JwtVerifier as the
// issuer rotates its signing keys.
//
// The cache does no I/O itself: it is given a Fetch function (server/jwks_https.h over
// HTTPS; a fake in tests) and a clock. It holds the last good set and swaps a new one in
// atomically; a failed fetch (unreachable, refused, a set ParseJwks refuses, no key for the
// issuer's algorithms) keeps the last good set and logs a warning. A set is refetched
// `refresh_interval` after the last success, `min_refresh_interval` after a failure, and on
// demand when a token names an unknown "kid" — never more often than once per
// `min_refresh_interval`, so a stream of forged kids costs the issuer one request per
// interval. Only one fetch runs at a time; callers that need one while it runs wait for it.
// JwksRefresher is the background thread that calls RefreshIfDue() on a set of caches.
// Thread-safety: every member of JwksCache may be called concurrently; Keys() takes no lock.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "security/jwks.h"
#include "security/jwt.h"

namespace bastion::security {

struct JwksRefreshPolicy {
  std::chrono::milliseconds refresh_interval = std::chrono::hours(1);
  std::chrono::milliseconds min_refresh_interval = std::chrono::minutes(1);
};

class JwksCache final : public JwtKeySource {
 public:
  using Fetch = std::function<Result<std::string>()>;  // the set's bytes, as served
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  struct Options {
    std::string name;                              // names the set in messages (its URL)
    std::vector<JwtAlgorithm> allowed_algorithms;  // keys for other algorithms are left out
    JwksLimits limits;
    JwksRefreshPolicy policy;
  };

  // Refuses intervals that are not positive or a minimum above the refresh interval, and an
  // empty algorithm list. Does not fetch: call Refresh() for the first set.
  static Result<std::shared_ptr<JwksCache>> Create(Options options, Fetch fetch,
                                                   Clock clock = &std::chrono::steady_clock::now);

  // Fetches now, whatever the time since the last fetch (start-up, an operator's request).
  // While another fetch runs, waits for it and returns its outcome instead.
  Status Refresh();
  // Fetches if the schedule says so; Ok without fetching otherwise.
  Status RefreshIfDue();
  std::chrono::steady_clock::time_point next_refresh() const;
  std::uint64_t fetch_count() const;  // attempts so far, failed or not
  bool has_keys() const { return !Keys()->empty(); }

  // JwtKeySource
  std::shared_ptr<const JwtKeyList> Keys() const override;
  std::shared_ptr<const JwtKeyList> KeysForUnknownKid() override;

  JwksCache(Options options, Fetch fetch, Clock clock);  // use Create()

 private:
  enum class Why : std::uint8_t { kForced, kScheduled, kUnknownKid };
  Status RefreshFor(Why why);
  // Fetch and parse, outside the lock.
  Result<std::shared_ptr<const JwtKeyList>> FetchAndParse(std::vector<std::string>* skipped);

  const Options options_;
  const Fetch fetch_;
  const Clock clock_;
  std::atomic<std::shared_ptr<const JwtKeyList>> keys_;

  mutable std::mutex mutex_;
  std::condition_variable fetched_;
  bool fetching_ = false;
  std::uint64_t generation_ = 0;  // completed fetches, to wake the waiters of one
  std::uint64_t attempts_ = 0;
  Status last_status_;
  std::optional<std::chrono::steady_clock::time_point> last_attempt_;
  std::chrono::steady_clock::time_point next_due_{};
};

// One thread that keeps a set of caches on schedule (RefreshIfDue), until Stop() or
// destruction. It waits on the real steady clock, whatever clock the caches were given.
class JwksRefresher {
 public:
  explicit JwksRefresher(std::vector<std::shared_ptr<JwksCache>> caches);
  ~JwksRefresher();
  JwksRefresher(const JwksRefresher&) = delete;
  JwksRefresher& operator=(const JwksRefresher&) = delete;
  void Stop();

 private:
  void Run();
  std::vector<std::shared_ptr<JwksCache>> caches_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace bastion::security
