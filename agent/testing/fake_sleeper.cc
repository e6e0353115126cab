#include "agent/testing/fake_sleeper.h"

#include <utility>

namespace enlist::agent::testing {

bool FakeSleeper::Sleep(absl::Duration d) {
  std::function<void(int)> hook;
  int index;
  {
    absl::MutexLock l(&mu_);
    if (stopped_) return false;
    sleeps_.push_back(d);
    index = static_cast<int>(sleeps_.size()) - 1;
    hook = hook_;
  }
  if (clock_ != nullptr && d > absl::ZeroDuration()) clock_->Advance(d);
  if (hook) hook(index);
  return !stopped();
}

bool FakeSleeper::stopped() const {
  absl::MutexLock l(&mu_);
  return stopped_;
}

void FakeSleeper::Stop() {
  absl::MutexLock l(&mu_);
  stopped_ = true;
}

void FakeSleeper::set_hook(std::function<void(int)> hook) {
  absl::MutexLock l(&mu_);
  hook_ = std::move(hook);
}

std::vector<absl::Duration> FakeSleeper::sleeps() const {
  absl::MutexLock l(&mu_);
  return sleeps_;
}

}  // namespace enlist::agent::testing
