#include "core/util/rate_limiter.h"

#include "gtest/gtest.h"

namespace enlist {
namespace {

TEST(KeyedRateLimiterTest, BurstThenRate) {
  ManualClock clock(absl::UnixEpoch());
  KeyedRateLimiter l(2, 3, 100, &clock);
  EXPECT_TRUE(l.Allow("a"));
  EXPECT_TRUE(l.Allow("a"));
  EXPECT_TRUE(l.Allow("a"));
  EXPECT_FALSE(l.Allow("a"));
  EXPECT_TRUE(l.Allow("b"));  // keys are independent
  clock.Advance(absl::Milliseconds(500));
  EXPECT_TRUE(l.Allow("a"));  // one token back after 0.5 s at 2/s
  EXPECT_FALSE(l.Allow("a"));
}

TEST(KeyedRateLimiterTest, BoundedKeysDropIdleOnes) {
  ManualClock clock(absl::UnixEpoch());
  KeyedRateLimiter l(1, 1, 2, &clock);
  EXPECT_TRUE(l.Allow("a"));
  EXPECT_TRUE(l.Allow("b"));
  EXPECT_FALSE(l.Allow("c"));  // full, nobody idle
  clock.Advance(absl::Seconds(2));
  EXPECT_TRUE(l.Allow("c"));  // a and b refilled and were dropped
  EXPECT_LE(l.keys(), 2u);
}

}  // namespace
}  // namespace enlist
