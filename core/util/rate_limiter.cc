#include "core/util/rate_limiter.h"

#include <algorithm>

namespace enlist {

KeyedRateLimiter::KeyedRateLimiter(double rate, double burst, size_t max_keys, const Clock* clock)
    : rate_(rate), burst_(std::max(1.0, burst)), max_keys_(std::max<size_t>(1, max_keys)), clock_(clock) {}

void KeyedRateLimiter::Refill(Bucket& b, absl::Time now) const {
  double add = absl::ToDoubleSeconds(now - b.last) * rate_;
  if (add > 0) {
    b.tokens = std::min(burst_, b.tokens + add);
    b.last = now;
  }
}

bool KeyedRateLimiter::Allow(absl::string_view key) {
  absl::Time now = clock_->Now();
  absl::MutexLock l(&mu_);
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_keys_) {
      // Forget buckets that have refilled: they carry no state.
      for (auto i = buckets_.begin(); i != buckets_.end();) {
        Refill(i->second, now);
        if (i->second.tokens >= burst_) {
          buckets_.erase(i++);
        } else {
          ++i;
        }
      }
      if (buckets_.size() >= max_keys_) return false;
    }
    it = buckets_.emplace(std::string(key), Bucket{burst_, now}).first;
  }
  Bucket& b = it->second;
  Refill(b, now);
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}

size_t KeyedRateLimiter::keys() const {
  absl::MutexLock l(&mu_);
  return buckets_.size();
}

}  // namespace enlist
