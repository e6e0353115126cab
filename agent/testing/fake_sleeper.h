// A Sleeper for tests: never blocks, records every requested wait, can move a
// ManualClock forward by it, and can run a hook before each wait returns
// (e.g. start a server after the first failed attempt).
#ifndef ENLIST_AGENT_TESTING_FAKE_SLEEPER_H_
#define ENLIST_AGENT_TESTING_FAKE_SLEEPER_H_

#include <functional>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "agent/sleeper.h"
#include "core/util/clock.h"

namespace enlist::agent::testing {

class FakeSleeper final : public Sleeper {
 public:
  // `clock` (may be null, not owned) is advanced by each wait.
  explicit FakeSleeper(ManualClock* clock = nullptr) : clock_(clock) {}

  // Records `d`, advances the clock, runs the hook with the 0-based index of
  // this wait; returns false once Stop() was called (also from the hook).
  bool Sleep(absl::Duration d) override;
  bool stopped() const override;
  void Stop();

  // Runs `hook(index)` inside every Sleep.
  void set_hook(std::function<void(int)> hook);
  // Every wait requested so far.
  std::vector<absl::Duration> sleeps() const;

 private:
  ManualClock* clock_;
  mutable absl::Mutex mu_;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<absl::Duration> sleeps_ ABSL_GUARDED_BY(mu_);
  std::function<void(int)> hook_ ABSL_GUARDED_BY(mu_);
};

}  // namespace enlist::agent::testing

#endif  // ENLIST_AGENT_TESTING_FAKE_SLEEPER_H_
