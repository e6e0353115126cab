// A record of every join attempt, accepted or denied.
#ifndef ENLIST_CORE_JOIN_AUDIT_H_
#define ENLIST_CORE_JOIN_AUDIT_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace enlist::join {

// One join attempt.
struct JoinEvent {
  absl::Time time;            // when the attempt ended
  absl::Duration duration;    // from ClientInit to the end
  std::string join_method;    // as requested by the agent
  std::string token_name;
  std::string role;
  std::string host_name;
  std::string remote_addr;
  bool accepted = false;
  std::string host_id;        // set when accepted
  // Status code name and the precise (server-side) reason when denied;
  // may be more specific than what the agent was told.
  absl::StatusCode code = absl::StatusCode::kOk;
  std::string reason;
  std::vector<std::pair<std::string, std::string>> attributes;
};

// Receives join events. Thread-safe; must not block for long.
class AuditSink {
 public:
  virtual ~AuditSink() = default;
  virtual void Record(const JoinEvent& event) = 0;
};

}  // namespace enlist::join

#endif  // ENLIST_CORE_JOIN_AUDIT_H_
