#include "core/util/deadline_timer.h"

#include <atomic>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace enlist {
namespace {

TEST(DeadlineTimerTest, FiresOnceTheDeadlineHasPassed) {
  DeadlineTimer timer;
  const absl::Time deadline = absl::Now() + absl::Milliseconds(20);
  absl::Notification fired;
  absl::Time at;
  timer.Add(deadline, [&] {
    at = absl::Now();
    fired.Notify();
  });
  ASSERT_TRUE(fired.WaitForNotificationWithTimeout(absl::Seconds(30)));
  EXPECT_GE(at, deadline);
  EXPECT_EQ(timer.pending(), 0u);
}

TEST(DeadlineTimerTest, FiresInDeadlineOrderAlsoWhenAnEarlierOneIsAddedLater) {
  DeadlineTimer timer;
  absl::Mutex mu;
  std::vector<int> order;
  absl::Notification all;
  const absl::Time now = absl::Now();
  auto record = [&](int i) {
    return [&, i] {
      absl::MutexLock l(&mu);
      order.push_back(i);
      if (order.size() == 4) all.Notify();
    };
  };
  // The thread first waits for the far deadline; the nearer ones added
  // afterwards must wake it.
  timer.Add(now + absl::Milliseconds(400), record(4));
  timer.Add(now + absl::Milliseconds(200), record(3));
  timer.Add(now + absl::Milliseconds(100), record(2));
  timer.Add(now - absl::Seconds(1), record(1));  // already past: at once
  ASSERT_TRUE(all.WaitForNotificationWithTimeout(absl::Seconds(30)));
  absl::MutexLock l(&mu);
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3, 4}));
}

TEST(DeadlineTimerTest, ACancelledDeadlineNeverFires) {
  DeadlineTimer timer;
  std::atomic<bool> cancelled_fired{false};
  const absl::Time deadline = absl::Now() + absl::Milliseconds(50);
  DeadlineTimer::Id id = timer.Add(deadline, [&] { cancelled_fired = true; });
  EXPECT_EQ(timer.pending(), 1u);
  EXPECT_TRUE(timer.Cancel(id));
  EXPECT_FALSE(timer.Cancel(id));  // once
  EXPECT_EQ(timer.pending(), 0u);
  // A later deadline firing shows the cancelled one's time has passed.
  absl::Notification later;
  timer.Add(deadline + absl::Milliseconds(10), [&] { later.Notify(); });
  ASSERT_TRUE(later.WaitForNotificationWithTimeout(absl::Seconds(30)));
  EXPECT_FALSE(cancelled_fired);
}

TEST(DeadlineTimerTest, CancelAfterFiringSaysSo) {
  DeadlineTimer timer;
  absl::Notification fired;
  DeadlineTimer::Id id = timer.Add(absl::Now(), [&] { fired.Notify(); });
  ASSERT_TRUE(fired.WaitForNotificationWithTimeout(absl::Seconds(30)));
  EXPECT_FALSE(timer.Cancel(id));
  EXPECT_FALSE(timer.Cancel(id + 1000));  // unknown
}

TEST(DeadlineTimerTest, CallbacksMayAddAndCancel) {
  DeadlineTimer timer;
  absl::Notification second;
  DeadlineTimer::Id victim = timer.Add(absl::Now() + absl::Hours(1), [] {});
  timer.Add(absl::Now(), [&] {
    EXPECT_TRUE(timer.Cancel(victim));
    timer.Add(absl::Now(), [&] { second.Notify(); });
  });
  ASSERT_TRUE(second.WaitForNotificationWithTimeout(absl::Seconds(30)));
  EXPECT_EQ(timer.pending(), 0u);
}

TEST(DeadlineTimerTest, DestroyingDropsPendingDeadlines) {
  std::atomic<int> fired{0};
  {
    DeadlineTimer timer;
    for (int i = 0; i < 100; ++i) timer.Add(absl::Now() + absl::Hours(1), [&] { fired++; });
    EXPECT_EQ(timer.pending(), 100u);
  }
  EXPECT_EQ(fired.load(), 0);
}

}  // namespace
}  // namespace enlist
