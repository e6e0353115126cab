#include "agent/sleeper.h"

namespace enlist::agent {

bool StopSource::Sleep(absl::Duration d) {
  absl::MutexLock l(&mu_);
  if (d > absl::ZeroDuration()) {
    // Returns early only when stopped_ turns true.
    mu_.AwaitWithTimeout(absl::Condition(&stopped_), d);
  }
  return !stopped_;
}

bool StopSource::stopped() const {
  absl::MutexLock l(&mu_);
  return stopped_;
}

void StopSource::Stop() {
  absl::MutexLock l(&mu_);
  stopped_ = true;
}

}  // namespace enlist::agent
