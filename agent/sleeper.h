// Interruptible waiting. The agent never calls sleep(): every wait goes
// through a Sleeper, so SIGTERM ends it at once and tests can replace time.
#ifndef ENLIST_AGENT_SLEEPER_H_
#define ENLIST_AGENT_SLEEPER_H_

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace enlist::agent {

// Waits for a duration unless stopped. Implementations are thread-safe.
class Sleeper {
 public:
  virtual ~Sleeper() = default;
  // Waits `d` (returns at once for d <= 0). Returns false when the wait was
  // cut short (or not started) because a stop was requested; true when the
  // full duration passed.
  virtual bool Sleep(absl::Duration d) = 0;
  // True once a stop was requested.
  virtual bool stopped() const = 0;
};

// The real Sleeper: waits on a condition that Stop() signals. Stop() may be
// called from any thread (e.g. a signal-handling thread), any number of
// times; after it, every Sleep returns false immediately.
class StopSource final : public Sleeper {
 public:
  bool Sleep(absl::Duration d) override;
  bool stopped() const override;
  // Requests a stop and wakes every sleeper.
  void Stop();

 private:
  mutable absl::Mutex mu_;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace enlist::agent

#endif  // ENLIST_AGENT_SLEEPER_H_
