// PUBLIC API (stable): one join, asynchronous and cancellable, over a gRPC
// channel the caller provides (see dial.h for one dialled with Enlist's
// server-trust rules). For a daemon that wants its host identity without
// running `enlist-agent`:
//
//   join::AgentRegistry methods;
//   RegisterBuiltinAgentMethods(methods);                // builtin_methods.h
//   auto keys = LoadOrCreateHostKeys(data_dir, TlsKeyType::kEcdsaP256);  // agent.h
//   auto client = JoinClient::Create(channel, &methods,
//                                    std::make_shared<HostKeys>(*std::move(keys)));
//   JoinParams params{.join_method = "token", .token_name = "boot"};
//   auto call = (*client)->Start(params, [](absl::StatusOr<Identity> id) { ... });
//   ...
//   (*call)->Cancel();              // or (*call)->Wait() for the result
//
// No retries and no storage here: the caller decides (Agent in agent.h
// retries with backoff and keeps the identity in a data directory;
// RenewalLoop in renewal_loop.h renews it).
#ifndef ENLIST_AGENT_PUBLIC_JOIN_CLIENT_H_
#define ENLIST_AGENT_PUBLIC_JOIN_CLIENT_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "agent/identity.h"
#include "agent/keys.h"
#include "core/config/yaml.h"
#include "core/join/registry.h"
#include "grpcpp/channel.h"

namespace enlist::agent {

// What to ask for in one join.
struct JoinParams {
  // The join method (a name in the registry) and the token to join with.
  // Required.
  std::string join_method;
  std::string token_name;
  // The role to join as.
  std::string role = "Node";
  // The method's parameters (`teleport.join_params.<method>` of an agent
  // config) and Enlist's settings for it (`enlist.<method>`), if any.
  std::optional<config::YamlNode> method_params;
  std::optional<config::YamlNode> method_settings;
  // Host name for the certificates; empty: the system's host name.
  std::string host_name;
  // Extra DNS names (TLS certificate) and SSH principals.
  std::vector<std::string> dns_names;
  std::vector<std::string> additional_principals;
  // The host id of an earlier identity, asking to keep it (renewal).
  std::string previous_host_id;
};

// How a JoinClient behaves.
struct JoinClientOptions {
  // Deadline of one join, from Start to the Result.
  absl::Duration timeout = absl::Seconds(60);
  // Sent as ClientInit.client_version.
  std::string client_version = "enlist-embedded/0.1.0";
  // Recorded as Identity::server (informational).
  std::string server;
};

// The receiver of a join's outcome.
using JoinCallback = std::function<void(absl::StatusOr<Identity>)>;

// One join in flight. Thread-safe. Obtained from JoinClient::Start; the
// caller may drop its handle at any time (the join goes on unless
// cancelled). A handle that outlives its JoinClient keeps a reference to
// the channel: do not drop such a handle on a gRPC callback thread if it
// may be the channel's last reference (see Reactor::OnDone in
// join_client.cc for why).
class JoinCall {
 public:
  virtual ~JoinCall() = default;
  // Ends the join with kCancelled unless it has already completed. The
  // callback has run (on this thread) when Cancel returns, unless another
  // thread is running it. The network stream is cancelled at once; a
  // solver busy in a blocking call (e.g. IMDS) finishes in the background
  // and its answer is dropped. Idempotent.
  virtual void Cancel() = 0;
  // Blocks until the join completes and returns its outcome (the same the
  // callback received).
  virtual absl::StatusOr<Identity> Wait() = 0;
  // Waits up to `timeout`; true when the join has completed.
  virtual bool WaitFor(absl::Duration timeout) = 0;
  // True once the join has completed.
  virtual bool done() const = 0;
};

// Runs joins through one channel. Thread-safe; any number of joins may run
// at once.
class JoinClient {
 public:
  // `channel` leads to a server offering enlist.join.v1.JoinService (TLS:
  // the caller's choice). `methods` (agent halves) outlives the client;
  // `keys` are the host keys whose public halves are sent and that the
  // issued certificate is checked against. kInvalidArgument when a
  // required argument is null or the timeout is not positive.
  static absl::StatusOr<std::unique_ptr<JoinClient>> Create(std::shared_ptr<grpc::Channel> channel,
                                                            const join::AgentRegistry* methods,
                                                            std::shared_ptr<const HostKeys> keys,
                                                            JoinClientOptions options = {});
  // Cancels the joins still in flight and waits for their gRPC streams and
  // solvers to finish.
  ~JoinClient();
  JoinClient(const JoinClient&) = delete;
  JoinClient& operator=(const JoinClient&) = delete;

  // Starts a join and returns at once. `done` (may be empty) is called
  // exactly once with the identity or the failure: the server's status
  // unchanged when it ended the join (e.g. kPermissionDenied, with its
  // message), kUnavailable when it cannot be reached, kDeadlineExceeded
  // after `timeout`, kCancelled after Cancel(), the solver's error, or
  // kInvalidArgument ("identity: ...") when the Result does not fit the
  // host keys. It runs on a gRPC or worker thread (or in Cancel()): it must
  // not block for long and must not destroy this client.
  // Errors returned here (nothing was started, `done` is not called):
  // kInvalidArgument for missing join_method or token_name, kNotFound for
  // a method not in the registry, the method's error for bad parameters.
  absl::StatusOr<std::shared_ptr<JoinCall>> Start(const JoinParams& params, JoinCallback done = {});

  // Start + Wait: one blocking join.
  absl::StatusOr<Identity> Join(const JoinParams& params);

  class Reactor;
  struct State;

 private:
  explicit JoinClient(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace enlist::agent

#endif  // ENLIST_AGENT_PUBLIC_JOIN_CLIENT_H_
