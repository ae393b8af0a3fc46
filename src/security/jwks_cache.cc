#include "security/jwks_cache.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace bastion::security {

Result<std::shared_ptr<JwksCache>> JwksCache::Create(Options options, Fetch fetch, Clock clock) {
  const std::string ctx = "JWKS " + options.name;
  const JwksRefreshPolicy& p = options.policy;
  if (p.refresh_interval.count() <= 0 || p.min_refresh_interval.count() <= 0) {
    return Status::Malformed(ctx + ": refresh intervals must be positive");
  }
  if (p.min_refresh_interval > p.refresh_interval) {
    return Status::Malformed(ctx + ": the minimum refresh interval exceeds the refresh interval");
  }
  if (options.allowed_algorithms.empty()) return Status::Malformed(ctx + ": no algorithm allowed");
  if (!fetch || !clock) return Status::Internal(ctx + ": no fetch function or clock");
  return std::make_shared<JwksCache>(std::move(options), std::move(fetch), std::move(clock));
}

JwksCache::JwksCache(Options options, Fetch fetch, Clock clock)
    : options_(std::move(options)),
      fetch_(std::move(fetch)),
      clock_(std::move(clock)),
      keys_(std::make_shared<const JwtKeyList>()) {
  next_due_ = clock_();
}

std::shared_ptr<const JwtKeyList> JwksCache::Keys() const {
  return keys_.load(std::memory_order_acquire);
}

std::uint64_t JwksCache::fetch_count() const {
  std::lock_guard lock(mutex_);
  return attempts_;
}

std::chrono::steady_clock::time_point JwksCache::next_refresh() const {
  std::lock_guard lock(mutex_);
  return next_due_;
}

Status JwksCache::Refresh() { return RefreshFor(Why::kForced); }
Status JwksCache::RefreshIfDue() { return RefreshFor(Why::kScheduled); }

std::shared_ptr<const JwtKeyList> JwksCache::KeysForUnknownKid() {
  (void)RefreshFor(Why::kUnknownKid);
  return Keys();
}

Result<std::shared_ptr<const JwtKeyList>> JwksCache::FetchAndParse(
    std::vector<std::string>* skipped) {
  BASTION_ASSIGN_OR_RETURN(std::string body, fetch_());
  BASTION_ASSIGN_OR_RETURN(JwtKeyList keys, ParseJwks(body, options_.limits, skipped));
  // The issuer publishes one set for all its clients: keys for algorithms this issuer is not
  // allowed here are left out, as for a JWKS file.
  const auto& allowed = options_.allowed_algorithms;
  std::erase_if(keys, [&](const JwtPublicKey& k) {
    return std::find(allowed.begin(), allowed.end(), k.algorithm()) == allowed.end();
  });
  if (keys.empty()) return Status::Malformed("the set has no key for the allowed algorithms");
  return std::make_shared<const JwtKeyList>(std::move(keys));
}

Status JwksCache::RefreshFor(Why why) {
  std::unique_lock lock(mutex_);
  if (fetching_) {
    // Someone is fetching: its set is at least as new as one we would fetch now.
    const std::uint64_t generation = generation_;
    fetched_.wait(lock, [&] { return generation_ != generation; });
    return last_status_;
  }
  const auto now = clock_();
  if (why == Why::kScheduled && now < next_due_) return Status::Ok();
  if (why == Why::kUnknownKid && last_attempt_ &&
      now - *last_attempt_ < options_.policy.min_refresh_interval) {
    return Status::Ok();  // rate-limited: the tokens are checked against the set we have
  }
  fetching_ = true;
  last_attempt_ = now;
  ++attempts_;
  lock.unlock();

  std::vector<std::string> skipped;
  Result<std::shared_ptr<const JwtKeyList>> fetched = Status::Internal("not fetched");
  try {
    fetched = FetchAndParse(&skipped);
  } catch (const std::exception& e) {
    fetched = Status::Internal(std::string("fetching the set failed: ") + e.what());
  } catch (...) {
    fetched = Status::Internal("fetching the set failed");
  }
  const std::size_t previous = Keys()->size();
  if (fetched.ok()) keys_.store(*fetched, std::memory_order_release);

  lock.lock();
  const auto done = clock_();
  next_due_ = done + (fetched.ok() ? options_.policy.refresh_interval
                                   : options_.policy.min_refresh_interval);
  last_status_ =
      fetched.ok() ? Status::Ok() : fetched.status().WithContext("JWKS " + options_.name);
  Status result = last_status_;
  fetching_ = false;
  ++generation_;
  lock.unlock();
  fetched_.notify_all();

  if (fetched.ok()) {
    for (const std::string& line : skipped)
      spdlog::info("JWKS {}: skipped {}", options_.name, line);
    spdlog::debug("JWKS {}: {} key(s) in use", options_.name, (*fetched)->size());
  } else if (previous > 0) {
    spdlog::warn("{}; keeping the {} key(s) of the last good set", result.message(), previous);
  } else {
    spdlog::warn("{}; no key from this set yet: its tokens are refused until a fetch succeeds",
                 result.message());
  }
  return result;
}

JwksRefresher::JwksRefresher(std::vector<std::shared_ptr<JwksCache>> caches)
    : caches_(std::move(caches)) {
  if (!caches_.empty()) thread_ = std::thread([this] { Run(); });
}

JwksRefresher::~JwksRefresher() { Stop(); }

void JwksRefresher::Stop() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void JwksRefresher::Run() {
  std::unique_lock lock(mutex_);
  while (!stop_) {
    auto due = std::chrono::steady_clock::time_point::max();
    for (const auto& cache : caches_) due = std::min(due, cache->next_refresh());
    // Wake at least once a minute: a cache given another clock keeps its own schedule.
    due = std::min(due, std::chrono::steady_clock::now() + std::chrono::minutes(1));
    wake_.wait_until(lock, due, [&] { return stop_; });
    if (stop_) break;
    lock.unlock();
    for (const auto& cache : caches_) (void)cache->RefreshIfDue();  // failures are logged
    lock.lock();
  }
}

}  // namespace bastion::security
