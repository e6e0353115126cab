#include "agent/backoff.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/random/random.h"
#include "absl/synchronization/mutex.h"

namespace enlist::agent {
namespace {

double DefaultUniform() {
  static absl::Mutex mu(absl::kConstInit);
  static absl::BitGen* gen = new absl::BitGen();
  absl::MutexLock l(&mu);
  return absl::Uniform(*gen, 0.0, 1.0);
}

}  // namespace

bool IsRetryable(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kAborted:
      return true;
    default:
      return false;
  }
}

Backoff::Backoff(BackoffPolicy policy, std::function<double()> uniform)
    : policy_(policy), uniform_(uniform ? std::move(uniform) : DefaultUniform) {}

absl::Duration Backoff::Ceiling() const {
  // Computed in seconds as a double; capped before it can overflow.
  double ceiling = absl::ToDoubleSeconds(policy_.initial) *
                   std::pow(std::max(policy_.multiplier, 1.0), std::min(attempt_, 64));
  return std::min(policy_.max, absl::Seconds(ceiling));
}

absl::Duration Backoff::Next() {
  absl::Duration ceiling = Ceiling();
  ++attempt_;
  double u = std::clamp(uniform_(), 0.0, 1.0);
  return ceiling * u;
}

}  // namespace enlist::agent
