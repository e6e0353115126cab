#include "tools/proxy/join_proxy.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "core/rpc/status.h"
#include "grpcpp/alarm.h"

namespace enlist::proxy {
namespace {

using enlist::join::v1::JoinRequest;
using enlist::join::v1::JoinResponse;
using enlist::join::v1::JoinService;

// "ipv4:1.2.3.4:5" -> "1.2.3.4:5", "ipv6:[::1]:5" -> "[::1]:5" (gRPC's peer
// string without the scheme).
std::string PeerAddress(const std::string& peer) {
  for (absl::string_view prefix : {"ipv4:", "ipv6:"}) {
    if (absl::StartsWith(peer, prefix)) return peer.substr(prefix.size());
  }
  return peer;
}

}  // namespace

class ProxyStream;

// The upstream half of one stream: a client call to one auth server. Its
// reactions only forward to the ProxyStream, which owns it and keeps it
// until the ProxyStream itself is deleted.
class UpstreamLeg final : public grpc::ClientBidiReactor<JoinRequest, JoinResponse> {
 public:
  UpstreamLeg(ProxyStream* stream, Upstream* upstream)
      : stream_(stream), upstream_(upstream), stub_(JoinService::NewStub(upstream->channel)) {}

  void OnWriteDone(bool ok) override;
  void OnReadDone(bool ok) override;
  void OnDone(const grpc::Status& status) override;

  ProxyStream* const stream_;
  Upstream* const upstream_;
  std::unique_ptr<JoinService::Stub> stub_;
  grpc::ClientContext context_;
  JoinResponse response_;
};

// One agent stream and the upstream call(s) serving it. Each direction is a
// chain of one read and then one write, so at most one read and one write
// are in flight per side. `mu_` orders the reactions of both calls (gRPC
// never runs a reaction inline from a Start* call or RemoveHold, so holding
// it there is safe). The current leg is held (AddHold) while the agent side
// may still start operations on it: without the hold its call could end and
// be freed between our reactions. Deleted when the agent side's OnDone, the
// alarm and every leg's OnDone have run.
class ProxyStream final : public grpc::ServerBidiReactor<JoinRequest, JoinResponse> {
 public:
  ProxyStream(JoinProxyService* service, grpc::CallbackServerContext* context)
      : service_(service), context_(context), peer_(PeerAddress(context->peer())) {
    const auto cap = absl::ToChronoTime(absl::Now() + service->options_.max_stream_duration);
    deadline_ = std::min(context->deadline(), cap);
    absl::MutexLock l(&mu_);
    if (service->active_.fetch_add(1) >= service->options_.max_streams) {
      service->refused_.fetch_add(1);
      FinishLocked(absl::ResourceExhaustedError("proxy: too many concurrent joins, retry later"),
                   /*log=*/false);
      return;
    }
    refs_.fetch_add(1);
    alarm_.Set(deadline_, [this](bool fired) { OnAlarm(fired); });
    agent_reading_ = true;
    StartRead(&request_);
  }

  // Agent side.
  void OnReadDone(bool ok) override {
    absl::MutexLock l(&mu_);
    agent_reading_ = false;
    if (finished_) return;
    if (!forwarding_) {
      if (!ok) {
        FinishLocked(absl::CancelledError("proxy: stream ended before ClientInit"));
        return;
      }
      if (!request_.has_init()) {
        FinishLocked(absl::FailedPreconditionError("proxy: the first message must be ClientInit"));
        return;
      }
      // Whatever the agent claims is replaced by what the proxy saw.
      request_.mutable_init()->set_proxy_remote_addr(peer_);
      first_.Swap(&request_);
      forwarding_ = true;
      candidates_ = service_->pool_->Candidates();
      TryNextLocked();
      return;
    }
    if (!ok) {
      if (context_->IsCancelled()) {
        // Gone, not half-closed: cancel the upstream call at once (OnCancel
        // may come later).
        AgentGoneLocked();
        return;
      }
      agent_writes_done_ = true;
      if (!leg_writing_) CloseLegWritesLocked();
      return;
    }
    // The upstream has more than the ClientInit now: no failover any more.
    more_than_init_ = true;
    if (!leg_held_) return;  // the upstream call is ending; its OnDone finishes
    leg_writing_ = true;
    leg_->StartWrite(&request_);
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock l(&mu_);
    agent_writing_ = false;
    if (pending_finish_.has_value()) {
      Finish(*pending_finish_);
      pending_finish_.reset();
      return;
    }
    if (finished_) return;
    if (!ok) {
      // The agent is gone; the leg's OnDone finishes the stream.
      AgentGoneLocked();
      return;
    }
    if (leg_held_) leg_->StartRead(&leg_->response_);
  }

  void OnCancel() override {
    absl::MutexLock l(&mu_);
    AgentGoneLocked();
  }

  void OnDone() override {
    service_->active_.fetch_sub(1);
    alarm_.Cancel();
    Unref();
  }

  // Upstream side (called by the current leg).
  void OnLegWriteDone(bool ok) {
    absl::MutexLock l(&mu_);
    leg_writing_ = false;
    if (!ok || finished_) return;  // the leg's OnDone says why
    if (agent_writes_done_) {
      CloseLegWritesLocked();
    } else if (!agent_reading_) {
      // After a failover the ClientInit is written again while the read
      // started after its first write is still in flight: one read at a time.
      agent_reading_ = true;
      StartRead(&request_);
    }
  }

  void OnLegReadDone(bool ok) {
    absl::MutexLock l(&mu_);
    if (!ok) {
      // The upstream call is ending: let its OnDone come.
      ReleaseLegLocked();
      return;
    }
    if (finished_) return;
    if (!answered_) service_->forwarded_.fetch_add(1);
    answered_ = true;
    agent_writing_ = true;
    StartWrite(&leg_->response_);
  }

  void OnLegDone(UpstreamLeg* leg, const grpc::Status& status) {
    {
      absl::MutexLock l(&mu_);
      if (leg == leg_ && !finished_) {
        if (status.error_code() == grpc::StatusCode::UNAVAILABLE && !answered_ &&
            !more_than_init_ && !agent_gone_) {
          // The auth server never answered: the stream never started there.
          service_->pool_->MarkDown(leg->upstream_);
          absl::StrAppend(&tried_, tried_.empty() ? "" : ", ", leg->upstream_->address, " (",
                          status.error_message(), ")");
          leg_ = nullptr;
          TryNextLocked();
        } else {
          FinishLocked(UpstreamStatus(status, leg->upstream_->address));
        }
      }
    }
    Unref();
  }

 private:
  ~ProxyStream() override = default;

  // The agent's status for an upstream call that ended with `status`.
  absl::Status UpstreamStatus(const grpc::Status& status, const std::string& address)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    absl::Status s = rpc::FromGrpcStatus(status);
    if (s.code() == absl::StatusCode::kUnavailable) {
      return absl::UnavailableError(
          absl::StrCat("proxy: auth server ", address, ": ", s.message()));
    }
    if (s.code() == absl::StatusCode::kCancelled && !agent_gone_) {
      // Not the agent's doing (a server shutting down, a reset): retryable.
      return absl::UnavailableError(
          absl::StrCat("proxy: auth server ", address, ": stream cancelled: ", s.message()));
    }
    return s;  // the auth server's answer, verbatim
  }

  // Starts the stream on the next candidate, or finishes it UNAVAILABLE
  // when none is left.
  void TryNextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (agent_gone_) {
      FinishLocked(absl::CancelledError("proxy: the agent went away"));
      return;
    }
    if (next_ == candidates_.size()) {
      service_->unavailable_.fetch_add(1);
      FinishLocked(
          absl::UnavailableError(absl::StrCat("proxy: no auth server reachable: ", tried_)));
      return;
    }
    legs_.push_back(std::make_unique<UpstreamLeg>(this, candidates_[next_++]));
    leg_ = legs_.back().get();
    leg_->context_.set_deadline(deadline_);
    refs_.fetch_add(1);
    leg_->stub_->async()->Join(&leg_->context_, leg_);
    leg_->AddHold();
    leg_held_ = true;
    leg_writing_ = true;
    if (agent_writes_done_) {
      leg_writes_closed_ = true;
      leg_->StartWriteLast(&first_, grpc::WriteOptions());
    } else {
      leg_writes_closed_ = false;
      leg_->StartWrite(&first_);
    }
    leg_->StartRead(&leg_->response_);
    leg_->StartCall();
  }

  // At once, not at the next message or the deadline: the auth server
  // stops working for an agent that left.
  void AgentGoneLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    agent_gone_ = true;
    if (leg_ != nullptr) leg_->context_.TryCancel();
    ReleaseLegLocked();
  }

  // No more operations will be started on the current leg.
  void ReleaseLegLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (leg_ == nullptr || !leg_held_) return;
    leg_held_ = false;
    leg_->RemoveHold();
  }

  void CloseLegWritesLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (leg_ == nullptr || !leg_held_ || leg_writes_closed_) return;
    leg_writes_closed_ = true;
    leg_->StartWritesDone();
  }

  void OnAlarm(bool fired) {
    if (fired) {
      absl::MutexLock l(&mu_);
      // Later on, the upstream call carries the same deadline.
      if (!finished_ && !forwarding_) {
        FinishLocked(absl::DeadlineExceededError("proxy: no ClientInit before the deadline"));
      }
    }
    Unref();
  }

  // Ends the agent's stream once (after the write in flight, if any).
  void FinishLocked(const absl::Status& status, bool log = true)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return;
    finished_ = true;
    if (leg_held_) {
      // Only when the alarm or the agent ends the stream first.
      leg_->context_.TryCancel();
      ReleaseLegLocked();
    }
    if (log) {
      service_->logger_->Info("Join stream finished",
                              {{"remote_addr", peer_},
                               {"auth_server", leg_ != nullptr ? leg_->upstream_->address : ""},
                               {"code", absl::StatusCodeToString(status.code())},
                               {"error", std::string(status.message())}});
    }
    if (agent_writing_) {
      pending_finish_ = rpc::ToGrpcStatus(status);
    } else {
      Finish(rpc::ToGrpcStatus(status));
    }
  }

  void Unref() {
    if (refs_.fetch_sub(1) == 1) delete this;
  }

  JoinProxyService* const service_;
  grpc::CallbackServerContext* const context_;
  const std::string peer_;
  std::chrono::system_clock::time_point deadline_;
  grpc::Alarm alarm_;
  std::atomic<int> refs_{1};  // OnDone; +1 alarm; +1 per leg

  absl::Mutex mu_;
  JoinRequest request_;  // the agent's message being read or forwarded
  JoinRequest first_;    // the stamped ClientInit, kept for failover
  std::vector<Upstream*> candidates_ ABSL_GUARDED_BY(mu_);
  size_t next_ ABSL_GUARDED_BY(mu_) = 0;
  std::string tried_ ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<UpstreamLeg>> legs_ ABSL_GUARDED_BY(mu_);
  UpstreamLeg* leg_ ABSL_GUARDED_BY(mu_) = nullptr;  // the current one
  bool forwarding_ ABSL_GUARDED_BY(mu_) = false;     // ClientInit read
  bool more_than_init_ ABSL_GUARDED_BY(mu_) = false;
  bool answered_ ABSL_GUARDED_BY(mu_) = false;  // a response came back
  bool leg_held_ ABSL_GUARDED_BY(mu_) = false;
  bool leg_writing_ ABSL_GUARDED_BY(mu_) = false;
  bool leg_writes_closed_ ABSL_GUARDED_BY(mu_) = false;
  bool agent_writing_ ABSL_GUARDED_BY(mu_) = false;
  bool agent_reading_ ABSL_GUARDED_BY(mu_) = false;
  bool agent_writes_done_ ABSL_GUARDED_BY(mu_) = false;
  bool agent_gone_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<grpc::Status> pending_finish_ ABSL_GUARDED_BY(mu_);
};

void UpstreamLeg::OnWriteDone(bool ok) { stream_->OnLegWriteDone(ok); }
void UpstreamLeg::OnReadDone(bool ok) { stream_->OnLegReadDone(ok); }
void UpstreamLeg::OnDone(const grpc::Status& status) {
  // The last reaction; the stream may delete this leg inside the call.
  stream_->OnLegDone(this, status);
}

grpc::ServerBidiReactor<JoinRequest, JoinResponse>* JoinProxyService::Join(
    grpc::CallbackServerContext* context) {
  return new ProxyStream(this, context);
}

absl::StatusOr<std::unique_ptr<grpc::Server>> StartJoinProxyServer(const std::string& listen_addr,
                                                                   const std::string& cert_pem,
                                                                   const std::string& key_pem,
                                                                   JoinProxyService* service,
                                                                   int* port) {
  // Agents join without a client certificate; the proxy's chain ends with
  // the cluster CA so they can check their pin.
  grpc::SslServerCredentialsOptions ssl(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  ssl.pem_key_cert_pairs.push_back({key_pem, cert_pem});
  *port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(listen_addr, grpc::SslServerCredentials(ssl), port);
  builder.SetMaxReceiveMessageSize(service->options().max_message_bytes);
  builder.RegisterService(service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || *port == 0) {
    return absl::UnavailableError(absl::StrCat("proxy: listen ", listen_addr, ": cannot bind"));
  }
  return server;
}

}  // namespace enlist::proxy
