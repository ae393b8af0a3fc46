// Failure tracking for authentication: slows down and then locks out repeated failures
// (SECURITY-RESEARCH 4.I: AE-title brute force, password spraying; PS3.15 A.5.3 110113
// Security Alert / 110114 User Authentication events are emitted by the caller).
//
// One FailureTracker per dimension: keyed by source address (use SourceAddressKey, which
// groups an IPv6 /64 so one host cannot rotate addresses), and a separate one keyed by
// account name. After `slow_after` failures inside `window`, every further attempt is
// delayed (exponentially, capped); after `lock_after` failures the key is locked for
// `lockout_duration`; a success clears the key. Memory is bounded: at most `max_keys` keys,
// the least recently failed evicted first. Time is passed in (steady clock); no clock inside.
// Thread-safety: all methods may be called concurrently (one internal mutex).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/status.h"

namespace bastion::security {

struct FailureTrackerConfig {
  std::size_t slow_after = 3;   // failures within `window` before attempts are delayed
  std::size_t lock_after = 10;  // failures within `window` that lock the key
  std::chrono::seconds window{15 * 60};
  std::chrono::milliseconds base_delay{500};  // first delay; doubles per further failure
  std::chrono::milliseconds max_delay{10'000};
  std::chrono::seconds lockout_duration{15 * 60};
  std::size_t max_keys = 10'000;
};

// Refuses configurations that would disable the protection or make it unbounded.
Status ValidateFailureTrackerConfig(const FailureTrackerConfig& config);

class FailureTracker {
 public:
  using Clock = std::chrono::steady_clock;
  using Duration = std::chrono::milliseconds;

  struct Decision {
    bool locked = false;  // refuse without checking credentials
    Duration delay{0};    // wait this long before answering (0 = none)
    Clock::time_point locked_until{};
  };

  struct FailureOutcome {
    Decision decision;         // what applies to the next attempt
    bool locked_now = false;   // this failure started a lockout: emit an audit event
    std::size_t failures = 0;  // failures in the window, including this one
  };

  // Config should have passed ValidateFailureTrackerConfig; out-of-range values are clamped.
  explicit FailureTracker(FailureTrackerConfig config = {});

  // Before an attempt: is the key locked, and how long should the answer be delayed?
  Decision Check(std::string_view key, Clock::time_point now) const;
  FailureOutcome RecordFailure(std::string_view key, Clock::time_point now);
  void RecordSuccess(std::string_view key);

  std::size_t tracked_keys() const;
  const FailureTrackerConfig& config() const { return config_; }

 private:
  struct Entry {
    std::deque<Clock::time_point> failures;  // newest last, at most lock_after
    Clock::time_point locked_until{};
    std::list<std::string>::iterator lru;
  };
  Decision DecisionFor(const Entry& entry, Clock::time_point now) const;
  static void Prune(Entry& entry, Clock::time_point now, std::chrono::seconds window);

  const FailureTrackerConfig config_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
  std::list<std::string> lru_;  // least recently failed first
};

// The tracking key for a source address: IPv4 (and IPv4-mapped IPv6) as written, other IPv6
// addresses reduced to their /64 prefix ("2001:db8:1:2::/64"); anything else unchanged.
std::string SourceAddressKey(std::string_view ip);

}  // namespace bastion::security
