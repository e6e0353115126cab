// Token buckets per key (e.g. per peer IP), for admission control.
#ifndef ENLIST_CORE_UTIL_RATE_LIMITER_H_
#define ENLIST_CORE_UTIL_RATE_LIMITER_H_

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/util/clock.h"

namespace enlist {

// Allows `rate` events per second per key with bursts of `burst`. Memory is
// bounded: past `max_keys` keys, idle (refilled) buckets are dropped, and if
// none is idle new keys are refused until some are. Thread-safe.
class KeyedRateLimiter {
 public:
  KeyedRateLimiter(double rate, double burst, size_t max_keys, const Clock* clock);
  // True if an event for `key` may happen now (and counts it).
  bool Allow(absl::string_view key);
  size_t keys() const;

 private:
  struct Bucket {
    double tokens;
    absl::Time last;
  };
  void Refill(Bucket& b, absl::Time now) const;

  const double rate_, burst_;
  const size_t max_keys_;
  const Clock* clock_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Bucket> buckets_ ABSL_GUARDED_BY(mu_);
};

}  // namespace enlist

#endif  // ENLIST_CORE_UTIL_RATE_LIMITER_H_
