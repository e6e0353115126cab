#include "auth/join_metrics.h"

#include "absl/status/status.h"
#include "absl/strings/ascii.h"

namespace enlist::auth {

JoinMetrics::JoinMetrics(join::AuditSink* next)
    : next_(next),
      joins_("enlist_join_attempts_total", "Join attempts by method and result (ok or a status code).",
             {"method", "result"}),
      latency_("enlist_join_duration_seconds", "Time from ClientInit to the end of the join.",
               {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}, {"method"}) {}

void JoinMetrics::Record(const join::JoinEvent& e) {
  // Method names come from agents: only short [a-z0-9_-] names become labels.
  std::string method = e.join_method;
  if (method.size() > 32 || method.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_-") !=
                                std::string::npos) {
    method = "invalid";
  }
  joins_.Add({method, e.accepted ? "ok" : absl::AsciiStrToLower(absl::StatusCodeToString(e.code))});
  latency_.Observe({method}, absl::ToDoubleSeconds(e.duration));
  if (next_ != nullptr) next_->Record(e);
}

void JoinMetrics::Register(metrics::Registry* r) const {
  r->Add(&joins_);
  r->Add(&latency_);
}

}  // namespace enlist::auth
