// Injectable time. Checks take the time from a Clock so tests can put it
// anywhere (e.g. at a real Azure document's createdOn).
#ifndef ENLIST_CORE_UTIL_CLOCK_H_
#define ENLIST_CORE_UTIL_CLOCK_H_

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace enlist {

// A source of the current time. Implementations are thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  // Returns the current time.
  virtual absl::Time Now() const = 0;
};

// The system's wall clock.
class RealClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
  // A process-wide instance; never destroyed.
  static const Clock& Get() {
    static const RealClock* const kClock = new RealClock();
    return *kClock;
  }
};

// A clock that moves only when told to. Thread-safe. For tests and tools
// that evaluate documents at a chosen time (e.g. `inspect --at`).
class ManualClock final : public Clock {
 public:
  explicit ManualClock(absl::Time t) : now_(t) {}
  absl::Time Now() const override {
    absl::MutexLock l(&mu_);
    return now_;
  }
  void Set(absl::Time t) {
    absl::MutexLock l(&mu_);
    now_ = t;
  }
  void Advance(absl::Duration d) {
    absl::MutexLock l(&mu_);
    now_ += d;
  }

 private:
  mutable absl::Mutex mu_;
  absl::Time now_;
};

}  // namespace enlist

#endif  // ENLIST_CORE_UTIL_CLOCK_H_
