// The embeddable agent: joins the cluster with the configured method, stores
// the identity, and retries failed joins with backoff. `enlist-agent` is a
// thin command line over this; a service on the VM can embed it directly.
//
//   join::AgentRegistry methods;
//   RegisterBuiltinAgentMethods(methods);          // agent/methods.h
//   StopSource stop;
//   auto agent = Agent::Create(options, {&methods, &logger, &RealClock::Get(), &stop});
//   absl::StatusOr<Identity> id = (*agent)->EnsureJoined(options.max_attempts);
#ifndef ENLIST_AGENT_AGENT_H_
#define ENLIST_AGENT_AGENT_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "agent/backoff.h"
#include "agent/identity.h"
#include "agent/keys.h"
#include "agent/server_trust.h"
#include "agent/sleeper.h"
#include "core/config/agent_config.h"
#include "core/join/registry.h"
#include "core/join/solver.h"
#include "core/log/logger.h"
#include "core/util/clock.h"
#include "proto/join/v1/join.pb.h"

namespace enlist::agent {

// Sent as ClientInit.client_version.
inline constexpr char kClientVersion[] = "enlist-agent/0.1.0";

// Default ports when an address has none: the auth server's join port and
// the proxy's HTTPS port.
inline constexpr int kDefaultAuthPort = 3025;
inline constexpr int kDefaultProxyPort = 443;

// What the agent does; the config file plus Enlist's own settings.
struct AgentOptions {
  config::AgentConfig config;
  TlsKeyType tls_key_type = TlsKeyType::kEcdsaP256;
  // Name expected in the server's certificate instead of the address's host.
  std::string tls_server_name;
  // Renew once this fraction of the identity's lifetime has passed.
  double renew_fraction = 0.5;
  // Attempts per join before giving up; 0 retries retryable errors forever.
  int max_attempts = 0;
  BackoffPolicy backoff;
  // Deadline of one join attempt (TLS handshake + join stream).
  absl::Duration attempt_timeout = absl::Seconds(60);
  std::string client_version = kClientVersion;
};

// What the agent uses; everything outlives the Agent.
struct AgentDeps {
  // The agent halves of the join methods (never checkers). Required.
  const join::AgentRegistry* methods = nullptr;
  log::Logger* logger = &log::Logger::Discard();
  // Times identities (joined_at, renewal); deadlines of the network calls
  // themselves use the system clock.
  const Clock* clock = &RealClock::Get();
  // Every wait between attempts goes through it; stopping it ends retries.
  // Required.
  Sleeper* sleeper = nullptr;
  // Jitter source in [0, 1); null: random.
  std::function<double()> uniform;
};

class Agent {
 public:
  // Validates the options, builds the method's solver, loads or creates the
  // host keys in the data directory. kInvalidArgument for bad options,
  // kNotFound for a join method not in `deps.methods`, the solver's error for
  // bad join_params, keys.h errors for unusable key files.
  static absl::StatusOr<std::unique_ptr<Agent>> Create(AgentOptions options, AgentDeps deps);

  // The stored identity, checked against the host keys (IdentityStore::Load
  // codes: kNotFound, kDataLoss, kFailedPrecondition).
  absl::StatusOr<Identity> LoadIdentity() const;

  // Joins (renewing `previous`'s host id when given), saves the identity and
  // returns it. Retryable failures (IsRetryable) are retried after a
  // full-jitter backoff until `max_attempts` attempts were made (0: no
  // limit); a final failure returns at once. Every failed attempt logs
  //   level=ERROR msg="Failed to establish connection to cluster." identity=<role> error="..."
  // Returns the last failure, or kCancelled when the sleeper was stopped.
  // The identity on disk changes only when a join succeeds. Joins are
  // serialised (one solver, one join at a time); thread-safe.
  absl::StatusOr<Identity> Join(const Identity* previous, int max_attempts);

  // A valid identity: the stored one when it is still valid, else a join
  // (renewing the stored host id if the identity is merely expired). A
  // corrupt or mismatched identity file is logged and replaced by a fresh
  // join; the keys are kept.
  absl::StatusOr<Identity> EnsureJoined(int max_attempts);

  // The ClientInit for a join (exposed for tests).
  enlist::join::v1::ClientInit MakeClientInit(const std::string& previous_host_id) const;

  const AgentOptions& options() const { return options_; }
  const HostKeys& keys() const { return keys_; }
  const AgentDeps& deps() const { return deps_; }

 private:
  Agent(AgentOptions options, AgentDeps deps, HostKeys keys, std::unique_ptr<join::Solver> solver,
        std::string host_name);
  absl::StatusOr<Identity> JoinOnce(const std::string& previous_host_id);

  AgentOptions options_;
  AgentDeps deps_;
  HostKeys keys_;
  std::string host_name_;
  IdentityStore store_;
  ServerTrust trust_;
  absl::Mutex join_mu_;
  std::unique_ptr<join::Solver> solver_ ABSL_GUARDED_BY(join_mu_);
};

// The seed's agent log line for a failed join, as fields (exposed for tests
// and for embedders that log elsewhere).
void LogJoinFailure(log::Logger& logger, const std::string& role, const absl::Status& status);

}  // namespace enlist::agent

#endif  // ENLIST_AGENT_AGENT_H_
