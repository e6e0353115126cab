// Keeps the host's identity fresh: joins if needed, then re-joins (renewing
// the host id) each time `renew_fraction` of the identity's lifetime has
// passed, until stopped.
#ifndef ENLIST_AGENT_RENEWER_H_
#define ENLIST_AGENT_RENEWER_H_

#include <functional>

#include "absl/status/status.h"
#include "agent/agent.h"
#include "agent/identity.h"

namespace enlist::agent {

class Renewer {
 public:
  // `agent` outlives the renewer; its sleeper is what stops Run().
  explicit Renewer(Agent* agent);

  // Called with every identity Run() starts with or obtains (in Run()'s
  // thread). Set before Run().
  void set_on_identity(std::function<void(const Identity&)> f) { on_identity_ = std::move(f); }

  // Runs until the agent's sleeper is stopped (then returns OK). First
  // EnsureJoined (retrying forever); then, at each renewal time, Join with
  // the current identity as `previous`. A failed renewal leaves the identity
  // on disk untouched: retryable errors are retried with backoff; a final
  // error is logged and retried after the backoff's maximum while the
  // current identity is still valid. Returns the error when a join fails
  // with a final error and no valid identity is left. Waits only through
  // the sleeper, so Stop() ends it promptly (an attempt in flight finishes
  // first, bounded by the attempt timeout).
  absl::Status Run();

 private:
  Agent* agent_;
  std::function<void(const Identity&)> on_identity_;
};

}  // namespace enlist::agent

#endif  // ENLIST_AGENT_RENEWER_H_
