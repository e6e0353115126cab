// Bounded HTTP retries with exponential backoff and jitter, honouring
// Retry-After: how the agent talks to IMDS and the checker to ARM. Retried:
// 429, 5xx, and transport errors (kUnavailable). Everything else (2xx, 3xx,
// 4xx, oversized bodies, bad URLs) is returned at once.
#ifndef ENLIST_METHODS_AZURE_COMMON_RETRY_H_
#define ENLIST_METHODS_AZURE_COMMON_RETRY_H_

#include <functional>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/http/http_client.h"
#include "core/util/clock.h"

namespace enlist::azure {

// Waits. Injected so tests never sleep. Implementations are thread-safe.
class Sleeper {
 public:
  virtual ~Sleeper() = default;
  // Blocks for `d` (returns at once for d <= 0).
  virtual void Sleep(absl::Duration d) = 0;
};

// absl::SleepFor.
class RealSleeper final : public Sleeper {
 public:
  void Sleep(absl::Duration d) override;
  // A process-wide instance; never destroyed.
  static Sleeper& Get();
};

// The retry schedule.
struct RetryPolicy {
  // Total attempts, the first included (>= 1).
  int max_attempts = 5;
  // Delay before the second attempt; doubled each time up to max_backoff.
  absl::Duration initial_backoff = absl::Milliseconds(250);
  absl::Duration max_backoff = absl::Seconds(4);
  // A server's Retry-After is honoured up to this long.
  absl::Duration max_retry_after = absl::Seconds(30);
  // Fraction of each backoff randomised away (0..1): "full jitter" lite.
  double jitter = 0.2;
};

// The delay before attempt `attempt` (1-based count of failures so far):
// min(initial * 2^(attempt-1), max) scaled by (1 - jitter * u), u = `unit`
// in [0, 1).
absl::Duration BackoffDelay(const RetryPolicy& policy, int attempt, double unit);

// What a retried call reports.
struct RetryResult {
  absl::StatusOr<http::HttpResponse> response;
  int attempts = 0;
};

// Runs `request` through `do_request` (a Get or Post on some client) until
// it returns a response that is not retryable, attempts run out, or the
// next wait would pass `deadline`. Each attempt's timeout is capped by the
// time left. The final response (possibly a 429/5xx) or the final transport
// error is returned. `random_unit` gives jitter in [0, 1).
RetryResult DoWithRetry(
    const std::function<absl::StatusOr<http::HttpResponse>(const http::HttpRequest&)>& do_request,
    http::HttpRequest request, const RetryPolicy& policy, absl::Time deadline,
    const Clock& clock, Sleeper& sleeper, const std::function<double()>& random_unit);

// True for the HTTP statuses worth another try (429 and 5xx).
bool IsRetryableStatus(int status);

}  // namespace enlist::azure

#endif  // ENLIST_METHODS_AZURE_COMMON_RETRY_H_
