#include "security/lockout.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

namespace bastion::security {

Status ValidateFailureTrackerConfig(const FailureTrackerConfig& c) {
  if (c.lock_after < 1 || c.lock_after > 1000)
    return Status::Malformed("lock_after must be 1..1000");
  if (c.slow_after > c.lock_after)
    return Status::Malformed("slow_after must not exceed lock_after");
  if (c.window <= std::chrono::seconds(0)) return Status::Malformed("window must be positive");
  if (c.lockout_duration <= std::chrono::seconds(0)) {
    return Status::Malformed("lockout duration must be positive");
  }
  if (c.base_delay < std::chrono::milliseconds(0) || c.max_delay < c.base_delay) {
    return Status::Malformed("delays must satisfy 0 <= base_delay <= max_delay");
  }
  if (c.max_keys < 1) return Status::Malformed("max_keys must be positive");
  return Status::Ok();
}

namespace {
FailureTrackerConfig Clamp(FailureTrackerConfig c) {
  c.lock_after = std::clamp<std::size_t>(c.lock_after, 1, 1000);
  c.slow_after = std::min(c.slow_after, c.lock_after);
  c.window = std::max(c.window, std::chrono::seconds(1));
  c.lockout_duration = std::max(c.lockout_duration, std::chrono::seconds(1));
  c.base_delay = std::max(c.base_delay, std::chrono::milliseconds(0));
  c.max_delay = std::max(c.max_delay, c.base_delay);
  c.max_keys = std::max<std::size_t>(c.max_keys, 1);
  return c;
}
}  // namespace

FailureTracker::FailureTracker(FailureTrackerConfig config) : config_(Clamp(config)) {}

void FailureTracker::Prune(Entry& entry, Clock::time_point now, std::chrono::seconds window) {
  while (!entry.failures.empty() && entry.failures.front() <= now - window) {
    entry.failures.pop_front();
  }
}

FailureTracker::Decision FailureTracker::DecisionFor(const Entry& entry,
                                                     Clock::time_point now) const {
  Decision d;
  if (entry.locked_until > now) {
    d.locked = true;
    d.locked_until = entry.locked_until;
    return d;
  }
  if (entry.locked_until != Clock::time_point{}) return d;  // lockout over: fresh start
  auto recent = static_cast<std::size_t>(
      std::count_if(entry.failures.begin(), entry.failures.end(),
                    [&](Clock::time_point t) { return t > now - config_.window; }));
  if (recent >= config_.slow_after && recent > 0) {
    std::size_t doublings = std::min<std::size_t>(recent - config_.slow_after, 30);
    auto delay = config_.base_delay * (std::int64_t{1} << doublings);
    d.delay = std::min<Duration>(delay, config_.max_delay);
  }
  return d;
}

FailureTracker::Decision FailureTracker::Check(std::string_view key, Clock::time_point now) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = entries_.find(std::string(key));
  if (it == entries_.end()) return {};
  return DecisionFor(it->second, now);
}

FailureTracker::FailureOutcome FailureTracker::RecordFailure(std::string_view key,
                                                             Clock::time_point now) {
  std::lock_guard<std::mutex> lock(mutex_);
  FailureOutcome out;
  auto [it, inserted] = entries_.try_emplace(std::string(key));
  Entry& e = it->second;
  if (inserted) {
    e.lru = lru_.insert(lru_.end(), it->first);
  } else {
    lru_.splice(lru_.end(), lru_, e.lru);
  }
  if (e.locked_until > now) {
    // Attempts during a lockout are refused unchecked; they neither count nor extend it.
    out.decision = DecisionFor(e, now);
    out.failures = e.failures.size();
    return out;
  }
  if (e.locked_until != Clock::time_point{}) {
    e.locked_until = {};
    e.failures.clear();
  }
  Prune(e, now, config_.window);
  e.failures.push_back(now);
  while (e.failures.size() > config_.lock_after) e.failures.pop_front();
  out.failures = e.failures.size();
  if (e.failures.size() >= config_.lock_after) {
    e.locked_until = now + config_.lockout_duration;
    out.locked_now = true;
  }
  out.decision = DecisionFor(e, now);
  while (entries_.size() > config_.max_keys) {
    const std::string& oldest = lru_.front();
    entries_.erase(oldest);
    lru_.pop_front();
  }
  return out;
}

void FailureTracker::RecordSuccess(std::string_view key) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = entries_.find(std::string(key));
  if (it == entries_.end()) return;
  lru_.erase(it->second.lru);
  entries_.erase(it);
}

std::size_t FailureTracker::tracked_keys() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return entries_.size();
}

std::string SourceAddressKey(std::string_view ip) {
  std::string s(ip.substr(0, 64));
  std::size_t zone = s.find('%');
  if (zone != std::string::npos) s.resize(zone);
  in_addr v4{};
  char text[INET6_ADDRSTRLEN] = {};
  if (inet_pton(AF_INET, s.c_str(), &v4) == 1) {
    inet_ntop(AF_INET, &v4, text, sizeof text);
    return text;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, s.c_str(), &v6) != 1) return std::string(ip);
  static constexpr unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
  if (std::memcmp(v6.s6_addr, kMapped, 12) == 0) {
    std::memcpy(&v4, v6.s6_addr + 12, 4);
    inet_ntop(AF_INET, &v4, text, sizeof text);
    return text;
  }
  std::memset(v6.s6_addr + 8, 0, 8);
  inet_ntop(AF_INET6, &v6, text, sizeof text);
  return std::string(text) + "/64";
}

}  // namespace bastion::security
