#include "auth/join_service.h"

#include <deque>
#include <memory>
#include <optional>
#include <utility>

#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "auth/storage/backend.h"
#include "core/rpc/status.h"

namespace enlist::auth {

using enlist::join::v1::JoinRequest;
using enlist::join::v1::JoinResponse;

std::string PeerAddress(const std::string& peer) {
  for (absl::string_view prefix : {"ipv4:", "ipv6:", "unix:"}) {
    if (absl::StartsWith(peer, prefix)) return peer.substr(prefix.size());
  }
  return peer;
}

// One Join stream. Flow is strictly sequential (read, process on the pool,
// write replies one by one, read again), so at most one read and one write
// are ever in flight. The deadline is the only concurrent actor; `mu_`
// orders it against the rest. The reactor deletes itself when OnDone, the
// deadline (fired or cancelled) and any task on the pool are all done.
//
// Nothing that may wait for storage runs on gRPC's threads or on the
// deadline thread: a stream that ends without a reply (closed by the agent,
// broken, past its deadline) has its audit record written by a task on the
// pool, like the steps of the join itself.
class JoinReactor final : public grpc::ServerBidiReactor<JoinRequest, JoinResponse> {
 public:
  // `refuse`: not OK when admission control turned the stream away.
  JoinReactor(JoinService* service, grpc::CallbackServerContext* ctx, bool trusted_proxy,
              const absl::Status& refuse)
      : service_(service), session_(service->deps_, PeerAddress(ctx->peer()), trusted_proxy) {
    if (!refuse.ok()) {
      // Counted, not audited: a flood must not fill the event store.
      session_.Discard();
      service->refused_.fetch_add(1);
      refs_ = 1;  // no deadline
      absl::MutexLock l(&mu_);
      FinishLocked(refuse);
      return;
    }
    // The deadline fires on the service's timer thread; it only takes the
    // lock (and, when it ends the session, records the attempt).
    absl::Duration left = session_.deadline() - service->deps_.clock->Now();
    deadline_ = service->deadlines_.Add(absl::Now() + left, [this] { OnDeadline(); });
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      absl::MutexLock l(&mu_);
      EndLocked(absl::CancelledError("join: stream closed by the agent before the join finished"),
                absl::CancelledError("join: stream closed before the join finished"));
      return;
    }
    {
      absl::MutexLock l(&mu_);
      if (finished_ || ending_) return;
      processing_ = true;
    }
    // Process is not a reaction: once it has finished the stream, OnDone may
    // run on a gRPC thread before Process has released mu_. Its own
    // reference keeps the reactor alive until it has.
    refs_.fetch_add(1);
    service_->pool_->Submit([this] { Process(); });
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock l(&mu_);
    if (!ok) {
      EndLocked(absl::CancelledError("join: stream broken while sending"),
                absl::CancelledError("join: stream broken"));
      return;
    }
    outbox_.pop_front();
    SendNextLocked();
  }

  void OnDone() override {
    service_->active_.fetch_sub(1);
    // Cancelled before it fired: its reference is ours to drop. Otherwise
    // OnDeadline has run or is running and drops it.
    if (service_->deadlines_.Cancel(deadline_)) Unref();
    Unref();
  }

 private:
  void Process() {
    const auto& sync = service_->options_.sync;
    absl::StatusOr<join::ServerJoinSession::Reply> reply;
    {
      std::optional<storage::DeferredDurability> defer;
      if (sync) defer.emplace();
      reply = session_.OnRequest(request_);
    }
    if (sync && session_.finished()) {
      // The session recorded the outcome: the agent hears it once that is
      // durable. Called on the thread that wrote, which is how a backend
      // tells this join that its deferred writes were lost. The callback
      // inherits Process's reference.
      sync([this, reply = std::move(reply)](absl::Status durable) mutable {
        if (!durable.ok()) {
          service_->deps_.logger->Error("Failed to make a join's records durable",
                                        {{"error", std::string(durable.message())}});
          // A refusal stands; an accepted join is not acknowledged.
          if (reply.ok()) {
            reply = absl::UnavailableError(
                "join: the auth server could not store the join, retry later");
          }
        }
        {
          absl::MutexLock l(&mu_);
          HandleReplyLocked(std::move(reply));
        }
        Unref();
      });
      return;
    }
    {
      absl::MutexLock l(&mu_);
      HandleReplyLocked(std::move(reply));
    }
    Unref();  // taken in OnReadDone
  }

  // Ends the stream without a reply, from a thread that must not wait for
  // storage (gRPC's, the deadline thread's): the audit record (`why`) is
  // written and the stream finished (`status`) by a task on the pool.
  // No Process is running or will start (OnReadDone starts none once
  // `ending_`), so the session is the task's alone; a read or write still in
  // flight (the deadline case) completes without starting another.
  void EndLocked(absl::Status why, absl::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_ || ending_) return;
    ending_ = true;
    // Like Process's: the task may finish the stream, after which OnDone may
    // run before the task has released mu_.
    refs_.fetch_add(1);
    service_->pool_->Submit([this, why = std::move(why), status = std::move(status)] {
      {
        absl::MutexLock l(&mu_);
        AbortLocked(why);
        FinishLocked(status);
      }
      Unref();
    });
  }

  // Ends the session without a reply (on the pool or the sync thread): its
  // audit record is written without waiting for the disk, and a flush is
  // asked for, which nobody waits on.
  void AbortLocked(const absl::Status& why) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const auto& sync = service_->options_.sync;
    if (!sync) {
      session_.Abort(why);
      return;
    }
    {
      storage::DeferredDurability defer;
      session_.Abort(why);
    }
    sync([](absl::Status) {});
  }

  void HandleReplyLocked(absl::StatusOr<join::ServerJoinSession::Reply> reply)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    processing_ = false;
    if (finished_) return;
    if (deadline_hit_) {
      // Records the attempt (unless this step already did) here, not in the
      // session's destructor, which may run on any thread.
      AbortLocked(absl::DeadlineExceededError("join: deadline exceeded"));
      FinishLocked(absl::DeadlineExceededError("join: deadline exceeded"));
      return;
    }
    if (!reply.ok()) {
      FinishLocked(reply.status());
      return;
    }
    for (JoinResponse& r : reply->send) outbox_.push_back(std::move(r));
    done_after_send_ = reply->finished;
    SendNextLocked();
  }

  void SendNextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_ || ending_) return;
    if (outbox_.size() == 1 && done_after_send_) {
      // The last message and the status in one batch (one flush, no
      // OnWriteDone); the message stays in outbox_ until OnDone.
      finished_ = true;
      StartWriteAndFinish(&outbox_.front(), grpc::WriteOptions(), grpc::Status::OK);
    } else if (!outbox_.empty()) {
      StartWrite(&outbox_.front());
    } else if (done_after_send_) {
      FinishLocked(absl::OkStatus());
    } else {
      StartRead(&request_);
    }
  }

  void OnDeadline() {
    {
      absl::MutexLock l(&mu_);
      if (!finished_) {
        if (processing_) {
          // The check in progress sees its own deadline; Process finishes.
          deadline_hit_ = true;
        } else {
          EndLocked(absl::DeadlineExceededError("join: deadline exceeded"),
                    absl::DeadlineExceededError("join: deadline exceeded"));
        }
      }
    }
    Unref();
  }

  void FinishLocked(const absl::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return;
    finished_ = true;
    Finish(rpc::ToGrpcStatus(status));
  }

  void Unref() {
    if (refs_.fetch_sub(1) == 1) delete this;
  }

  JoinService* service_;
  join::ServerJoinSession session_;
  DeadlineTimer::Id deadline_ = 0;  // 0: none (a refused stream)
  std::atomic<int> refs_{2};        // OnDone + the deadline (+ a task on the pool)
  absl::Mutex mu_;
  JoinRequest request_;
  std::deque<JoinResponse> outbox_ ABSL_GUARDED_BY(mu_);
  bool done_after_send_ ABSL_GUARDED_BY(mu_) = false;
  bool processing_ ABSL_GUARDED_BY(mu_) = false;
  bool deadline_hit_ ABSL_GUARDED_BY(mu_) = false;
  bool ending_ ABSL_GUARDED_BY(mu_) = false;  // EndLocked's task is queued
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

JoinService::JoinService(join::ServerSessionDeps deps, ThreadPool* pool, JoinServiceOptions options)
    : deps_(std::move(deps)), pool_(pool), options_(std::move(options)) {
  if (options_.per_peer_rate > 0) {
    limiter_ = std::make_unique<KeyedRateLimiter>(options_.per_peer_rate, options_.per_peer_burst,
                                                  100000, deps_.clock);
  }
}

std::string PeerIp(const std::string& grpc_peer) {
  std::string addr = PeerAddress(grpc_peer);
  if (!addr.empty() && addr[0] == '[') return addr.substr(1, addr.find(']') - 1);
  size_t colon = addr.rfind(':');
  return colon == std::string::npos ? addr : addr.substr(0, colon);
}

grpc::ServerBidiReactor<JoinRequest, JoinResponse>* JoinService::Join(
    grpc::CallbackServerContext* context) {
  bool trusted = options_.is_trusted_proxy && options_.is_trusted_proxy(*context);
  absl::Status refuse;
  if (active_.fetch_add(1) >= options_.max_concurrent_streams) {
    refuse = absl::ResourceExhaustedError("join: too many concurrent joins, retry later");
  } else if (limiter_ != nullptr && !trusted && !limiter_->Allow(PeerIp(context->peer()))) {
    refuse = absl::ResourceExhaustedError("join: too many joins from this address, retry later");
  }
  return new JoinReactor(this, context, trusted, refuse);
}

}  // namespace enlist::auth
