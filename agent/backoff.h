// Retry policy for joins: which failures are worth retrying, and how long to
// wait between attempts (exponential backoff with full jitter).
#ifndef ENLIST_AGENT_BACKOFF_H_
#define ENLIST_AGENT_BACKOFF_H_

#include <functional>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace enlist::agent {

// True for failures a later attempt may not see: kUnavailable,
// kDeadlineExceeded, kResourceExhausted, kAborted. Everything else
// (kPermissionDenied, kUnauthenticated, kInvalidArgument,
// kFailedPrecondition, kNotFound, ...) is final: retrying cannot help.
bool IsRetryable(absl::StatusCode code);

// Bounds of the backoff.
struct BackoffPolicy {
  absl::Duration initial = absl::Seconds(1);
  absl::Duration max = absl::Seconds(60);
  double multiplier = 2.0;
};

// Full-jitter exponential backoff: the n-th delay (n from 0) is uniform in
// [0, min(max, initial * multiplier^n)]. Not thread-safe.
class Backoff {
 public:
  // `uniform` returns a number in [0, 1); it is injected so tests can pin
  // the jitter. Default: a process-wide absl::BitGen.
  explicit Backoff(BackoffPolicy policy = {}, std::function<double()> uniform = nullptr);

  // The delay before the next attempt; advances the exponent.
  absl::Duration Next();
  // The upper bound Next() will draw from next time.
  absl::Duration Ceiling() const;
  // Starts over from `initial` (after a success).
  void Reset() { attempt_ = 0; }

 private:
  BackoffPolicy policy_;
  std::function<double()> uniform_;
  int attempt_ = 0;
};

}  // namespace enlist::agent

#endif  // ENLIST_AGENT_BACKOFF_H_
