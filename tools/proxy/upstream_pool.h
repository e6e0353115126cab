// The auth servers an enlist-proxy forwards to: one TLS channel each (the
// proxy's own identity as client certificate), health-checked in the
// background by the channel's connectivity (a TCP + TLS handshake, which
// also proves the server holds a certificate from the cluster CA).
#ifndef ENLIST_TOOLS_PROXY_UPSTREAM_POOL_H_
#define ENLIST_TOOLS_PROXY_UPSTREAM_POOL_H_

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/rpc/keepalive.h"
#include "grpcpp/grpcpp.h"

namespace enlist::proxy {

struct UpstreamPoolOptions {
  // "host:port" of each auth server's join port. At least one.
  std::vector<std::string> addresses;
  // PEM: the cluster CA (to verify the auth servers), the proxy's
  // certificate chain and key (its urn:enlist:proxy: identity).
  std::string ca_pem;
  std::string cert_pem;
  std::string key_pem;
  // Longest time the health checker waits for a connectivity change before
  // it looks again. A change (connection lost, handshake done) is seen at
  // once; this only bounds how stale a quiet upstream's state can be.
  absl::Duration health_interval = absl::Seconds(2);
  // Reconnect backoff of a down upstream: gRPC's exponential backoff
  // (x1.6 per failure, +-20% jitter) from `min_backoff`, capped at
  // `max_backoff`. New streams never wait for a down upstream: they fail
  // over on its first error.
  absl::Duration min_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(2);
  // Ping interval on an upstream connection while a stream is open. An
  // auth server accepts pings down to rpc::kMinPermittedPingInterval;
  // pinging more often gets the connection closed ("too_many_pings").
  absl::Duration keepalive_time = rpc::kProxyKeepaliveTime;
  // Largest message accepted from or sent to an auth server.
  int max_message_bytes = 256 * 1024;
};

// One auth server. `address` and `channel` never change after Create.
struct Upstream {
  std::string address;
  std::shared_ptr<grpc::Channel> channel;
  std::atomic<bool> healthy{false};
};

// The upstream channels and their health. Thread-safe.
class UpstreamPool {
 public:
  // Creates the channels (asking each to connect) and starts the health
  // checker. kInvalidArgument without addresses or TLS material.
  static absl::StatusOr<std::unique_ptr<UpstreamPool>> Create(UpstreamPoolOptions options);
  // Stops the health checker (waits for at most health_interval).
  ~UpstreamPool();

  // Upstreams in the order a new stream should try them: healthy ones first
  // (rotating, so streams spread), then the rest (their state may be stale:
  // a stream tries them rather than fail while one might answer).
  std::vector<Upstream*> Candidates();
  // Records that a stream could not be started on `u` (it stays last in
  // Candidates until its channel is seen READY again).
  void MarkDown(Upstream* u);
  // Number of upstreams currently healthy.
  int healthy_count() const;
  // Waits until exactly `n` upstreams are healthy; false after `timeout`.
  bool AwaitHealthyCount(int n, absl::Duration timeout);

 private:
  explicit UpstreamPool(absl::Duration health_interval) : health_interval_(health_interval) {}
  // Looks at `u`'s channel (asking it to connect when idle), records its
  // health and arms the next watch. Returns false once stopping.
  bool Watch(Upstream* u) ABSL_LOCKS_EXCLUDED(mu_);
  void HealthLoop();
  void SetHealthyLocked(Upstream* u, bool healthy) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const absl::Duration health_interval_;
  std::vector<std::unique_ptr<Upstream>> upstreams_;
  std::atomic<size_t> rotation_{0};
  mutable absl::Mutex mu_;
  int healthy_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // Connectivity watches (NotifyOnStateChange), one armed per upstream.
  grpc::CompletionQueue cq_;
  std::thread health_;
};

}  // namespace enlist::proxy

#endif  // ENLIST_TOOLS_PROXY_UPSTREAM_POOL_H_
