// Many one-shot deadlines served by one thread: adding and cancelling one is
// a map insert or erase under a mutex, and the thread wakes only when the
// earliest deadline passes. For servers that give each of thousands of
// in-flight requests a deadline and almost always cancel it (a gRPC Alarm
// per request costs a timer registration and a hand-off to gRPC's executor
// thread for every cancellation).
#ifndef ENLIST_CORE_UTIL_DEADLINE_TIMER_H_
#define ENLIST_CORE_UTIL_DEADLINE_TIMER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <thread>
#include <utility>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace enlist {

class DeadlineTimer {
 public:
  // Identifies an added deadline; never 0.
  using Id = uint64_t;

  // Starts the timer thread.
  DeadlineTimer();
  // Stops the thread. Callbacks still pending never run; one that is
  // running is waited for.
  ~DeadlineTimer();
  DeadlineTimer(const DeadlineTimer&) = delete;
  DeadlineTimer& operator=(const DeadlineTimer&) = delete;

  // Runs `fire` on the timer thread once `deadline` (real time) has passed,
  // unless cancelled first; a deadline already past fires at once. Callbacks
  // run one at a time, in deadline order, and must be short: they may call
  // Add and Cancel but must not wait for other callbacks.
  Id Add(absl::Time deadline, std::function<void()> fire);

  // Forgets `id`. True when its callback will never run; false when it has
  // run, is running now, or `id` is unknown.
  bool Cancel(Id id);

  // Deadlines added and neither fired nor cancelled.
  size_t pending() const;

 private:
  void Loop();

  mutable absl::Mutex mu_;
  // By (deadline, id): ids break ties in the order deadlines were added.
  std::map<std::pair<absl::Time, Id>, std::function<void()>> pending_ ABSL_GUARDED_BY(mu_);
  std::map<Id, absl::Time> deadlines_ ABSL_GUARDED_BY(mu_);
  Id next_id_ ABSL_GUARDED_BY(mu_) = 1;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;  // last: starts once everything above is set
};

}  // namespace enlist

#endif  // ENLIST_CORE_UTIL_DEADLINE_TIMER_H_
