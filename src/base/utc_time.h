// The current time as an ISO 8601 UTC timestamp ("2026-12-01T19:48:37Z"), for records that
// must read the same whatever the server's time zone (index rows, tombstones, audit events).
#pragma once

#include <chrono>
#include <ctime>
#include <string>

namespace bastion {

inline std::string UtcTimestamp(std::chrono::system_clock::time_point when) {
  const std::time_t t = std::chrono::system_clock::to_time_t(when);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

inline std::string UtcTimestampNow() { return UtcTimestamp(std::chrono::system_clock::now()); }

}  // namespace bastion
