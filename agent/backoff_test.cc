#include "agent/backoff.h"

#include <thread>

#include "agent/sleeper.h"
#include "gtest/gtest.h"

namespace enlist::agent {
namespace {

TEST(BackoffTest, RetryableCodes) {
  struct Case {
    absl::StatusCode code;
    bool retryable;
  };
  const Case kCases[] = {
      {absl::StatusCode::kUnavailable, true},       {absl::StatusCode::kDeadlineExceeded, true},
      {absl::StatusCode::kResourceExhausted, true}, {absl::StatusCode::kAborted, true},
      {absl::StatusCode::kPermissionDenied, false}, {absl::StatusCode::kUnauthenticated, false},
      {absl::StatusCode::kInvalidArgument, false},  {absl::StatusCode::kFailedPrecondition, false},
      {absl::StatusCode::kNotFound, false},         {absl::StatusCode::kInternal, false},
      {absl::StatusCode::kCancelled, false},
  };
  for (const Case& c : kCases) {
    EXPECT_EQ(IsRetryable(c.code), c.retryable) << absl::StatusCodeToString(c.code);
  }
}

TEST(BackoffTest, CeilingDoublesUpToMax) {
  Backoff b({absl::Seconds(1), absl::Seconds(60), 2.0}, [] { return 0.999999; });
  const int kExpected[] = {1, 2, 4, 8, 16, 32, 60, 60, 60};
  for (int want : kExpected) {
    EXPECT_EQ(b.Ceiling(), absl::Seconds(want));
    absl::Duration d = b.Next();
    EXPECT_LE(d, absl::Seconds(want));
    EXPECT_GT(d, absl::Seconds(want) * 0.99);
  }
  b.Reset();
  EXPECT_EQ(b.Ceiling(), absl::Seconds(1));
}

TEST(BackoffTest, FullJitterBounds) {
  double u = 0;
  Backoff b({absl::Seconds(1), absl::Seconds(60), 2.0}, [&u] { return u; });
  u = 0.0;
  EXPECT_EQ(b.Next(), absl::ZeroDuration());
  u = 0.5;
  EXPECT_EQ(b.Next(), absl::Seconds(1));  // half of 2 s
  // Out-of-range jitter values are clamped into [0, ceiling].
  u = 7.0;
  EXPECT_EQ(b.Next(), absl::Seconds(4));
  u = -1.0;
  EXPECT_EQ(b.Next(), absl::ZeroDuration());
}

TEST(BackoffTest, DefaultJitterStaysInRange) {
  Backoff b;
  for (int i = 0; i < 200; ++i) {
    absl::Duration ceiling = b.Ceiling();
    absl::Duration d = b.Next();
    EXPECT_GE(d, absl::ZeroDuration());
    EXPECT_LE(d, ceiling);
  }
}

TEST(BackoffTest, HugeExponentDoesNotOverflow) {
  Backoff b({absl::Seconds(1), absl::Seconds(60), 10.0}, [] { return 1.0; });
  for (int i = 0; i < 1000; ++i) b.Next();
  EXPECT_EQ(b.Next(), absl::Seconds(60));
}

TEST(StopSourceTest, StopEndsALongSleep) {
  StopSource stop;
  EXPECT_TRUE(stop.Sleep(absl::ZeroDuration()));
  EXPECT_TRUE(stop.Sleep(absl::Milliseconds(1)));
  std::thread t([&stop] { stop.Stop(); });
  // Would take an hour if Stop() did not wake it.
  EXPECT_FALSE(stop.Sleep(absl::Hours(1)));
  t.join();
  EXPECT_TRUE(stop.stopped());
  EXPECT_FALSE(stop.Sleep(absl::Hours(1)));
}

}  // namespace
}  // namespace enlist::agent
