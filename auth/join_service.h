// The gRPC face of the join protocol: one reactor per Join stream pumps
// messages through a transport-free ServerJoinSession. Checks run on a
// worker pool, never on gRPC's callback threads.
#ifndef ENLIST_AUTH_JOIN_SERVICE_H_
#define ENLIST_AUTH_JOIN_SERVICE_H_

#include <atomic>
#include <functional>
#include <string>

#include "core/join/server_session.h"
#include "core/util/deadline_timer.h"
#include "core/util/rate_limiter.h"
#include "core/util/thread_pool.h"
#include "proto/join/v1/join.grpc.pb.h"

namespace enlist::auth {

struct JoinServiceOptions {
  // Streams open at once; more are refused with kResourceExhausted.
  int max_concurrent_streams = 20000;
  // Joins per second allowed from one peer IP (token bucket), 0: no limit.
  // Trusted proxies are exempt (they carry many agents).
  double per_peer_rate = 0;
  double per_peer_burst = 100;
  // Decides whether a peer is a trusted proxy whose ClientInit
  // proxy_remote_addr is believed. Default: nobody is.
  std::function<bool(const grpc::CallbackServerContext&)> is_trusted_proxy;
  // Makes a join's writes durable before the agent hears the outcome
  // (storage::Backend::Sync). When set, the session's steps run in a
  // storage::DeferredDurability scope, so a join worker does not wait for
  // the disk; the stream's last message and status go out from the
  // callback, once everything the join recorded (host record, audit event, a
  // consumed token) is durable. Many joins then share one flush. Null:
  // writes are durable when they return and the reply goes out at once.
  std::function<void(std::function<void(absl::Status)>)> sync;
};

// Serves enlist.join.v1.JoinService. Thread-safe. `deps` (and everything
// it points to) and `pool` must outlive the service and the grpc::Server.
class JoinService final : public enlist::join::v1::JoinService::CallbackService {
 public:
  JoinService(join::ServerSessionDeps deps, ThreadPool* pool, JoinServiceOptions options = {});

  grpc::ServerBidiReactor<enlist::join::v1::JoinRequest, enlist::join::v1::JoinResponse>* Join(
      grpc::CallbackServerContext* context) override;

  // Streams currently open.
  int active_streams() const { return active_.load(); }
  // Streams refused before they started (stream limit, per-peer rate).
  int64_t refused_streams() const { return refused_.load(); }

 private:
  friend class JoinReactor;
  join::ServerSessionDeps deps_;
  ThreadPool* pool_;
  JoinServiceOptions options_;
  std::atomic<int> active_{0};
  std::atomic<int64_t> refused_{0};
  std::unique_ptr<KeyedRateLimiter> limiter_;  // null: no per-peer limit
  // Every stream's deadline: one thread for all of them instead of a gRPC
  // alarm each (whose cancellation is a hand-off to gRPC's executor).
  DeadlineTimer deadlines_;
};

// Strips gRPC's "ipv4:" / "ipv6:" prefix from a peer string.
std::string PeerAddress(const std::string& grpc_peer);
// The IP part of a gRPC peer string ("ipv4:10.0.0.5:5000" -> "10.0.0.5").
std::string PeerIp(const std::string& grpc_peer);

}  // namespace enlist::auth

#endif  // ENLIST_AUTH_JOIN_SERVICE_H_
