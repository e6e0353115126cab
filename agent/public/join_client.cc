#include "agent/public/join_client.h"

#include <unistd.h>

#include <set>
#include <utility>
#include <variant>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/join/client_session.h"
#include "core/rpc/status.h"
#include "core/util/status_macros.h"
#include "core/util/thread_pool.h"
#include "grpcpp/client_context.h"
#include "proto/join/v1/join.grpc.pb.h"

namespace enlist::agent {

using enlist::join::v1::JoinRequest;
using enlist::join::v1::JoinResponse;

namespace {

std::string SystemHostName() {
  char buf[256] = {};
  if (gethostname(buf, sizeof(buf) - 1) != 0) return "localhost";
  return buf;
}

}  // namespace

struct JoinClient::State {
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<enlist::join::v1::JoinService::Stub> stub;
  const join::AgentRegistry* methods = nullptr;
  std::shared_ptr<const HostKeys> keys;
  JoinClientOptions options;
  // Solvers may block (IMDS): they run here, never on gRPC's threads.
  std::unique_ptr<ThreadPool> pool;
  absl::Mutex mu;
  // Joins whose stream has not ended yet.
  std::set<Reactor*> live ABSL_GUARDED_BY(mu);
  // Joins out of `live` whose OnDone is still dropping the reactor's
  // self-reference. ~JoinClient waits for these too, so a reactor that dies
  // in OnDone (on a gRPC callback thread) never holds the last reference to
  // the channel: see Reactor::OnDone.
  int finishing ABSL_GUARDED_BY(mu) = 0;
};

// One join stream: at most one read and one write in flight; responses are
// processed (and challenges solved) on the pool, never in a gRPC callback.
// Keeps itself alive until OnDone.
class JoinClient::Reactor final
    : public grpc::ClientBidiReactor<JoinRequest, JoinResponse>,
      public JoinCall {
 public:
  Reactor(State* state, std::unique_ptr<join::Solver> solver,
          enlist::join::v1::ClientInit init, const JoinParams& params, JoinCallback done)
      : state_(state),
        solver_(std::move(solver)),
        deadline_(absl::Now() + state->options.timeout),
        session_(std::move(init), solver_.get(), deadline_),
        params_(params),
        done_cb_(std::move(done)) {
    ctx_.set_deadline(absl::ToChronoTime(deadline_));
  }

  void Begin(std::shared_ptr<Reactor> self) {
    self_ = std::move(self);
    {
      absl::MutexLock l(&state_->mu);
      state_->live.insert(this);
    }
    state_->stub->async()->Join(&ctx_, this);
    {
      absl::MutexLock l(&mu_);
      out_ = session_.Start();
      writing_ = true;
    }
    // Reactions may run inline: never start operations under mu_.
    StartWrite(&out_);
    StartRead(&in_);
    StartCall();
  }

  // JoinCall.
  void Cancel() override {
    ctx_.TryCancel();
    Complete(absl::CancelledError("join: cancelled"));
  }
  absl::StatusOr<Identity> Wait() override {
    absl::MutexLock l(&mu_);
    mu_.Await(absl::Condition(&done_));
    return outcome_;
  }
  bool WaitFor(absl::Duration timeout) override {
    absl::MutexLock l(&mu_);
    return mu_.AwaitWithTimeout(absl::Condition(&done_), timeout);
  }
  bool done() const override {
    absl::MutexLock l(&mu_);
    return done_;
  }

  // grpc::ClientBidiReactor.
  void OnWriteDone(bool ok) override {
    {
      absl::MutexLock l(&mu_);
      writing_ = false;
      if (!ok || !pending_.has_value()) return;  // a failed write: OnDone has the status
      out_ = *std::move(pending_);
      pending_.reset();
      writing_ = true;
    }
    StartWrite(&out_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) return;  // the stream ended: OnDone has the status
    // The hold keeps OnDone away while the pool works with the stream.
    AddHold();
    std::shared_ptr<Reactor> self = self_;
    state_->pool->Submit([self] { self->Process(); });
  }

  void OnDone(const grpc::Status& status) override {
    absl::StatusOr<Identity> outcome = Outcome(status);
    Complete(std::move(outcome));
    State* const state = state_;
    {
      absl::MutexLock l(&state->mu);
      state->live.erase(this);
      ++state->finishing;
    }
    // May destroy this object when the caller holds no handle, and with it
    // ctx_, which holds a reference to the grpc::Channel. That must not be
    // the channel's last reference: this runs on one of the threads of
    // gRPC's process-wide callback completion queue (the
    // CallbackAlternativeCQ of epoll1 builds such as Debian's 1.51), and
    // ~Channel drops the channel's reference to that queue; when it is the
    // last one, the queue is shut down, its threads are joined (this thread
    // cannot join itself; gRPC ignores the error) and it is deleted while
    // this thread goes on polling it: "assertion failed: prior > 0" in
    // grpc_cq_internal_unref. `finishing` keeps ~JoinClient, and so
    // State::channel, alive until the reactor is gone.
    { std::shared_ptr<Reactor> self = std::move(self_); }
    absl::MutexLock l(&state->mu);
    --state->finishing;
  }

  void TryCancelStream() { ctx_.TryCancel(); }

 private:
  void Process() {
    absl::StatusOr<join::ClientJoinSession::Next> next = session_.OnResponse(in_);
    bool write = false, read = false;
    {
      absl::MutexLock l(&mu_);
      if (!next.ok()) {
        local_error_ = next.status();
      } else if (auto* result = std::get_if<enlist::join::v1::Result>(&*next)) {
        // The server ends the stream after the Result; OnDone follows.
        result_ = std::move(*result);
      } else if (auto* request = std::get_if<JoinRequest>(&*next)) {
        if (writing_) {
          pending_ = std::move(*request);
        } else {
          out_ = std::move(*request);
          writing_ = true;
          write = true;
        }
        read = true;
      } else {
        read = true;
      }
    }
    if (!next.ok()) ctx_.TryCancel();
    if (write) StartWrite(&out_);
    if (read) StartRead(&in_);
    RemoveHold();
  }

  absl::StatusOr<Identity> Outcome(const grpc::Status& status) {
    absl::MutexLock l(&mu_);
    if (!local_error_.ok()) return local_error_;
    if (!status.ok()) return rpc::FromGrpcStatus(status);
    if (!result_.has_value()) {
      return absl::InternalError("join: server closed the stream without a result");
    }
    absl::StatusOr<Identity> id = MakeIdentity(*std::move(result_), *state_->keys, absl::Now());
    if (!id.ok()) return id.status();
    id->server = state_->options.server;
    id->join_method = params_.join_method;
    id->token_name = params_.token_name;
    id->role = params_.role;
    return id;
  }

  // Records the outcome once and runs the callback (outside the lock).
  void Complete(absl::StatusOr<Identity> outcome) {
    JoinCallback cb;
    {
      absl::MutexLock l(&mu_);
      if (done_) return;
      done_ = true;
      outcome_ = std::move(outcome);
      cb = std::move(done_cb_);
    }
    if (cb) cb(outcome_);
  }

  State* const state_;
  std::unique_ptr<join::Solver> solver_;
  const absl::Time deadline_;
  grpc::ClientContext ctx_;
  // Used only by Process (one at a time, between reads).
  join::ClientJoinSession session_;
  const JoinParams params_;
  std::shared_ptr<Reactor> self_;

  mutable absl::Mutex mu_;
  JoinRequest out_ ABSL_GUARDED_BY(mu_);
  std::optional<JoinRequest> pending_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  JoinResponse in_;
  absl::Status local_error_ ABSL_GUARDED_BY(mu_);
  std::optional<enlist::join::v1::Result> result_ ABSL_GUARDED_BY(mu_);
  JoinCallback done_cb_ ABSL_GUARDED_BY(mu_);
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  // Written once under mu_ before done_; read-only afterwards.
  absl::StatusOr<Identity> outcome_ = absl::UnknownError("join: not done");
};

JoinClient::JoinClient(std::unique_ptr<State> state) : state_(std::move(state)) {}

absl::StatusOr<std::unique_ptr<JoinClient>> JoinClient::Create(std::shared_ptr<grpc::Channel> channel,
                                                               const join::AgentRegistry* methods,
                                                               std::shared_ptr<const HostKeys> keys,
                                                               JoinClientOptions options) {
  if (channel == nullptr || methods == nullptr || keys == nullptr) {
    return absl::InvalidArgumentError("join client: channel, methods and keys are required");
  }
  if (options.timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("join client: the timeout must be positive");
  }
  auto state = std::make_unique<State>();
  state->stub = enlist::join::v1::JoinService::NewStub(channel);
  state->channel = std::move(channel);
  state->methods = methods;
  state->keys = std::move(keys);
  state->options = std::move(options);
  state->pool = std::make_unique<ThreadPool>(2);
  return std::unique_ptr<JoinClient>(new JoinClient(std::move(state)));
}

JoinClient::~JoinClient() {
  {
    absl::MutexLock l(&state_->mu);
    for (Reactor* r : state_->live) r->TryCancelStream();
    // Also waits for reactors still being destroyed in OnDone, so that the
    // channel outlives them (see Reactor::OnDone).
    state_->mu.Await(absl::Condition(
        +[](State* s) { return s->live.empty() && s->finishing == 0; }, state_.get()));
  }
  // Lets solvers still running return; their answers are dropped.
  state_->pool.reset();
}

absl::StatusOr<std::shared_ptr<JoinCall>> JoinClient::Start(const JoinParams& params,
                                                            JoinCallback done) {
  if (params.join_method.empty() || params.token_name.empty()) {
    return absl::InvalidArgumentError("join client: join_method and token_name are required");
  }
  ENLIST_ASSIGN_OR_RETURN(const join::AgentJoinMethod* method, state_->methods->Get(params.join_method));
  join::SolverOptions so;
  so.join_params = params.method_params;
  so.settings = params.method_settings;
  ENLIST_ASSIGN_OR_RETURN(std::unique_ptr<join::Solver> solver, method->NewSolver(so));

  enlist::join::v1::ClientInit init;
  init.set_join_method(params.join_method);
  init.set_token_name(params.token_name);
  init.set_role(params.role);
  init.set_client_version(state_->options.client_version);
  enlist::join::v1::HostParams* host = init.mutable_host();
  host->set_tls_public_key(state_->keys->tls_public_key_der);
  host->set_ssh_public_key(state_->keys->ssh_public_key_line);
  host->set_host_name(params.host_name.empty() ? SystemHostName() : params.host_name);
  for (const std::string& d : params.dns_names) host->add_dns_names(d);
  for (const std::string& p : params.additional_principals) host->add_additional_principals(p);
  host->set_previous_host_id(params.previous_host_id);

  auto reactor = std::make_shared<Reactor>(state_.get(), std::move(solver), std::move(init), params,
                                           std::move(done));
  reactor->Begin(reactor);
  return std::shared_ptr<JoinCall>(reactor);
}

absl::StatusOr<Identity> JoinClient::Join(const JoinParams& params) {
  ENLIST_ASSIGN_OR_RETURN(std::shared_ptr<JoinCall> call, Start(params));
  return call->Wait();
}

}  // namespace enlist::agent
