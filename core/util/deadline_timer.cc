#include "core/util/deadline_timer.h"

#include "absl/time/clock.h"

namespace enlist {

DeadlineTimer::DeadlineTimer() : thread_([this] { Loop(); }) {}

DeadlineTimer::~DeadlineTimer() {
  {
    absl::MutexLock l(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

DeadlineTimer::Id DeadlineTimer::Add(absl::Time deadline, std::function<void()> fire) {
  absl::MutexLock l(&mu_);
  const Id id = next_id_++;
  pending_.emplace(std::make_pair(deadline, id), std::move(fire));
  deadlines_.emplace(id, deadline);
  return id;
}

bool DeadlineTimer::Cancel(Id id) {
  absl::MutexLock l(&mu_);
  auto it = deadlines_.find(id);
  if (it == deadlines_.end()) return false;
  pending_.erase(std::make_pair(it->second, id));
  deadlines_.erase(it);
  return true;
}

size_t DeadlineTimer::pending() const {
  absl::MutexLock l(&mu_);
  return pending_.size();
}

void DeadlineTimer::Loop() {
  absl::MutexLock l(&mu_);
  while (!stopping_) {
    if (pending_.empty()) {
      // Until something is added (which may be earlier than anything
      // waited for) or the timer stops.
      mu_.Await(absl::Condition(
          +[](DeadlineTimer* t) ABSL_EXCLUSIVE_LOCKS_REQUIRED(t->mu_) {
            return t->stopping_ || !t->pending_.empty();
          },
          this));
      continue;
    }
    const absl::Time first = pending_.begin()->first.first;
    if (absl::Now() < first) {
      // Wakes at the deadline, or earlier when an earlier one is added.
      struct Wait {
        DeadlineTimer* timer;
        absl::Time first;
      } wait{this, first};
      mu_.AwaitWithDeadline(absl::Condition(
                                +[](Wait* w) ABSL_NO_THREAD_SAFETY_ANALYSIS {
                                  return w->timer->stopping_ || w->timer->pending_.empty() ||
                                         w->timer->pending_.begin()->first.first < w->first;
                                },
                                &wait),
                            first);
      continue;
    }
    auto it = pending_.begin();
    std::function<void()> fire = std::move(it->second);
    deadlines_.erase(it->first.second);
    pending_.erase(it);
    mu_.Unlock();
    fire();
    mu_.Lock();
  }
}

}  // namespace enlist
