// Join metrics, fed by the audit stream: every attempt counted by method and
// outcome (status code name), and its latency.
#ifndef ENLIST_AUTH_JOIN_METRICS_H_
#define ENLIST_AUTH_JOIN_METRICS_H_

#include "core/join/audit.h"
#include "core/metrics/metrics.h"

namespace enlist::auth {

// An AuditSink that records metrics and forwards to `next` (may be null).
class JoinMetrics final : public join::AuditSink {
 public:
  explicit JoinMetrics(join::AuditSink* next);
  void Record(const join::JoinEvent& e) override;
  // Adds this object's metrics to `registry` (this outlives it).
  void Register(metrics::Registry* registry) const;

  const metrics::Counter& joins() const { return joins_; }

 private:
  join::AuditSink* next_;
  metrics::Counter joins_;
  metrics::Histogram latency_;
};

}  // namespace enlist::auth

#endif  // ENLIST_AUTH_JOIN_METRICS_H_
