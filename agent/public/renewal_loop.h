// PUBLIC API (stable): the identity renewal loop as an object of its own,
// running on its own thread.
//
//   StopSource stop;
//   auto agent = Agent::Create(options, {.methods = &methods, .sleeper = &stop});
//   RenewalLoop loop(agent->get(), &stop);
//   loop.Start([](const Identity& id) { /* reload certificates */ });
//   ...
//   loop.Stop();                      // or loop.Wait() until it ends
#ifndef ENLIST_AGENT_PUBLIC_RENEWAL_LOOP_H_
#define ENLIST_AGENT_PUBLIC_RENEWAL_LOOP_H_

#include <functional>
#include <thread>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "agent/public/agent.h"

namespace enlist::agent {

// Keeps an Agent's identity fresh: joins if there is no valid identity
// (retrying forever), then renews each time the agent's renew_fraction of
// the identity's lifetime has passed. A failed renewal keeps the current
// identity while it is valid (see agent/renewer.h for the full policy).
// Thread-safe.
class RenewalLoop {
 public:
  // `agent` and `stop` outlive the loop; `stop` must be the agent's
  // sleeper (AgentDeps::sleeper), which is how the loop is stopped.
  RenewalLoop(Agent* agent, StopSource* stop);
  // Stops the loop and waits for its thread.
  ~RenewalLoop();
  RenewalLoop(const RenewalLoop&) = delete;
  RenewalLoop& operator=(const RenewalLoop&) = delete;

  // Starts the loop's thread. `on_identity` (may be empty) is called on
  // that thread with the first valid identity and with every renewed one;
  // it must not call Stop() or Wait(). kFailedPrecondition when already
  // started.
  absl::Status Start(std::function<void(const Identity&)> on_identity = {});

  // Requests a stop (through the StopSource) and waits for the thread. A
  // join in flight finishes first, bounded by the agent's attempt timeout.
  // Returns what Wait() returns. Idempotent.
  absl::Status Stop();

  // Blocks until the loop ends: OK when it was stopped, or the error that
  // ended it (a final join error with no valid identity left).
  // kFailedPrecondition when it was never started.
  absl::Status Wait();

 private:
  Agent* const agent_;
  StopSource* const stop_;
  absl::Mutex mu_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status result_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
  absl::Mutex join_mu_;  // serialises joining the thread
};

}  // namespace enlist::agent

#endif  // ENLIST_AGENT_PUBLIC_RENEWAL_LOOP_H_
