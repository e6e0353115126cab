#include "methods/azure/common/retry.h"

#include <algorithm>
#include <cmath>

#include "absl/time/clock.h"

namespace enlist::azure {

void RealSleeper::Sleep(absl::Duration d) {
  if (d > absl::ZeroDuration()) absl::SleepFor(d);
}

Sleeper& RealSleeper::Get() {
  static RealSleeper* const kSleeper = new RealSleeper();
  return *kSleeper;
}

bool IsRetryableStatus(int status) { return status == 429 || (status >= 500 && status <= 599); }

absl::Duration BackoffDelay(const RetryPolicy& policy, int attempt, double unit) {
  absl::Duration d = policy.initial_backoff;
  for (int i = 1; i < attempt && d < policy.max_backoff; ++i) d *= 2;
  d = std::min(d, policy.max_backoff);
  double u = std::clamp(unit, 0.0, 1.0);
  double j = std::clamp(policy.jitter, 0.0, 1.0);
  return d * (1.0 - j * u);
}

RetryResult DoWithRetry(
    const std::function<absl::StatusOr<http::HttpResponse>(const http::HttpRequest&)>& do_request,
    http::HttpRequest request, const RetryPolicy& policy, absl::Time deadline,
    const Clock& clock, Sleeper& sleeper, const std::function<double()>& random_unit) {
  const absl::Duration per_attempt = request.timeout;
  RetryResult result;
  for (int attempt = 1;; ++attempt) {
    absl::Duration left = deadline - clock.Now();
    if (left <= absl::ZeroDuration() && attempt > 1) break;
    request.timeout = std::max(std::min(per_attempt, left), absl::Milliseconds(1));
    result.attempts = attempt;
    result.response = do_request(request);
    absl::Duration wait;
    if (result.response.ok()) {
      if (!IsRetryableStatus(result.response->status)) return result;
      wait = BackoffDelay(policy, attempt, random_unit());
      if (std::optional<absl::Duration> ra = result.response->RetryAfter(); ra.has_value()) {
        wait = std::min(std::max(*ra, wait), policy.max_retry_after);
      }
    } else {
      if (!absl::IsUnavailable(result.response.status()) &&
          !absl::IsDeadlineExceeded(result.response.status())) {
        return result;
      }
      wait = BackoffDelay(policy, attempt, random_unit());
    }
    if (attempt >= policy.max_attempts) break;
    if (clock.Now() + wait >= deadline) break;
    sleeper.Sleep(wait);
  }
  return result;
}

}  // namespace enlist::azure
