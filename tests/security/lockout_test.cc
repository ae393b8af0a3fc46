#include "security/lockout.h"

#include <gtest/gtest.h>

namespace bastion::security {
namespace {

using namespace std::chrono_literals;
using Clock = FailureTracker::Clock;

FailureTrackerConfig SmallConfig() {
  FailureTrackerConfig c;
  c.slow_after = 2;
  c.lock_after = 5;
  c.window = 60s;
  c.base_delay = 100ms;
  c.max_delay = 300ms;
  c.lockout_duration = 120s;
  c.max_keys = 100;
  return c;
}

TEST(FailureTrackerTest, DefaultsAreValidAndProtective) {
  FailureTrackerConfig d;
  EXPECT_TRUE(ValidateFailureTrackerConfig(d).ok());
  EXPECT_LE(d.lock_after, 10u);
  EXPECT_GE(d.lockout_duration, 5min);
}

TEST(FailureTrackerTest, ValidateRefusesDisablingConfigs) {
  FailureTrackerConfig c;
  c.lock_after = 0;
  EXPECT_FALSE(ValidateFailureTrackerConfig(c).ok());
  c = {};
  c.slow_after = c.lock_after + 1;
  EXPECT_FALSE(ValidateFailureTrackerConfig(c).ok());
  c = {};
  c.lockout_duration = 0s;
  EXPECT_FALSE(ValidateFailureTrackerConfig(c).ok());
  c = {};
  c.max_delay = c.base_delay - 1ms;
  EXPECT_FALSE(ValidateFailureTrackerConfig(c).ok());
}

TEST(FailureTrackerTest, UnknownKeyIsNeitherDelayedNorLocked) {
  FailureTracker t(SmallConfig());
  auto d = t.Check("10.0.0.1", Clock::time_point{} + 1h);
  EXPECT_FALSE(d.locked);
  EXPECT_EQ(d.delay, 0ms);
}

TEST(FailureTrackerTest, SlowsDownThenLocksOut) {
  FailureTracker t(SmallConfig());
  const auto t0 = Clock::time_point{} + 1h;
  auto f1 = t.RecordFailure("ip", t0);
  EXPECT_EQ(f1.decision.delay, 0ms);
  EXPECT_EQ(f1.failures, 1u);
  auto f2 = t.RecordFailure("ip", t0 + 1s);
  EXPECT_EQ(f2.decision.delay, 100ms);  // slow_after reached: next attempt waits
  EXPECT_EQ(t.Check("ip", t0 + 2s).delay, 100ms);
  EXPECT_EQ(t.RecordFailure("ip", t0 + 2s).decision.delay, 200ms);
  EXPECT_EQ(t.RecordFailure("ip", t0 + 3s).decision.delay, 300ms);  // capped
  auto f5 = t.RecordFailure("ip", t0 + 4s);
  EXPECT_TRUE(f5.locked_now);
  EXPECT_TRUE(f5.decision.locked);
  EXPECT_EQ(f5.decision.locked_until, t0 + 4s + 120s);
  auto during = t.Check("ip", t0 + 100s);
  EXPECT_TRUE(during.locked);
  // Attempts during the lockout neither count nor restart it.
  auto again = t.RecordFailure("ip", t0 + 110s);
  EXPECT_FALSE(again.locked_now);
  EXPECT_EQ(again.decision.locked_until, t0 + 4s + 120s);
  auto after = t.Check("ip", t0 + 125s);
  EXPECT_FALSE(after.locked);
  EXPECT_EQ(after.delay, 0ms);
  EXPECT_EQ(t.RecordFailure("ip", t0 + 126s).failures, 1u);  // fresh start after lockout
}

TEST(FailureTrackerTest, FailuresOutsideTheWindowAreForgotten) {
  FailureTracker t(SmallConfig());
  const auto t0 = Clock::time_point{} + 1h;
  for (int i = 0; i < 4; ++i) t.RecordFailure("ip", t0 + std::chrono::seconds(i));
  EXPECT_GT(t.Check("ip", t0 + 10s).delay, 0ms);
  EXPECT_EQ(t.Check("ip", t0 + 120s).delay, 0ms);
  auto f = t.RecordFailure("ip", t0 + 120s);
  EXPECT_EQ(f.failures, 1u);
  EXPECT_FALSE(f.locked_now);
}

TEST(FailureTrackerTest, SuccessResets) {
  FailureTracker t(SmallConfig());
  const auto t0 = Clock::time_point{} + 1h;
  for (int i = 0; i < 4; ++i) t.RecordFailure("user:alice", t0);
  EXPECT_GT(t.Check("user:alice", t0).delay, 0ms);
  t.RecordSuccess("user:alice");
  EXPECT_EQ(t.Check("user:alice", t0).delay, 0ms);
  EXPECT_EQ(t.tracked_keys(), 0u);
  EXPECT_EQ(t.RecordFailure("user:alice", t0).failures, 1u);
}

TEST(FailureTrackerTest, KeysAreIndependent) {
  FailureTracker t(SmallConfig());
  const auto t0 = Clock::time_point{} + 1h;
  for (int i = 0; i < 5; ++i) t.RecordFailure("a", t0);
  EXPECT_TRUE(t.Check("a", t0).locked);
  EXPECT_FALSE(t.Check("b", t0).locked);
}

TEST(FailureTrackerTest, MemoryIsBoundedByEvictingTheOldest) {
  FailureTrackerConfig c = SmallConfig();
  c.max_keys = 10;
  FailureTracker t(c);
  const auto t0 = Clock::time_point{} + 1h;
  for (int i = 0; i < 5; ++i) t.RecordFailure("locked", t0);
  for (int i = 0; i < 9; ++i) t.RecordFailure("k" + std::to_string(i), t0 + 1s);
  EXPECT_EQ(t.tracked_keys(), 10u);
  EXPECT_TRUE(t.Check("locked", t0 + 2s).locked);
  for (int i = 0; i < 1000; ++i) t.RecordFailure("flood" + std::to_string(i), t0 + 2s);
  EXPECT_EQ(t.tracked_keys(), 10u);
  EXPECT_TRUE(t.Check("flood999", t0 + 2s).delay == 0ms);
}

TEST(SourceAddressKeyTest, GroupsIpv6By64AndUnmapsIpv4) {
  EXPECT_EQ(SourceAddressKey("192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(SourceAddressKey("::ffff:192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(SourceAddressKey("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "2001:db8:1:2::/64");
  EXPECT_EQ(SourceAddressKey("2001:db8:1:2::1"), SourceAddressKey("2001:db8:1:2:ffff::9"));
  EXPECT_NE(SourceAddressKey("2001:db8:1:2::1"), SourceAddressKey("2001:db8:1:3::1"));
  EXPECT_EQ(SourceAddressKey("fe80::1%eth0"), "fe80::/64");
  EXPECT_EQ(SourceAddressKey("not-an-ip"), "not-an-ip");
}

}  // namespace
}  // namespace bastion::security
