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
  // How often unhealthy upstreams are probed again.
  absl::Duration health_interval = absl::Seconds(2);
  // Longest wait for one upstream's connection when picking.
  absl::Duration connect_timeout = absl::Seconds(2);
};

// One auth server.
struct Upstream {
  std::string address;
  std::shared_ptr<grpc::Channel> channel;
  std::atomic<bool> healthy{false};
};

// Thread-safe.
class UpstreamPool {
 public:
  // Creates the channels and starts the health checker. kInvalidArgument
  // without addresses or TLS material.
  static absl::StatusOr<std::unique_ptr<UpstreamPool>> Create(UpstreamPoolOptions options);
  // Stops the health checker.
  ~UpstreamPool();

  // Upstreams in the order a new stream should try them: healthy ones first
  // (rotating, so streams spread), then the rest.
  std::vector<Upstream*> Candidates();
  // Waits up to connect_timeout for `u` to be connected; records the result.
  bool Connect(Upstream& u);
  // Number of upstreams currently healthy.
  int healthy_count() const;

 private:
  explicit UpstreamPool(UpstreamPoolOptions options) : options_(std::move(options)) {}
  void HealthLoop();

  UpstreamPoolOptions options_;
  std::vector<std::unique_ptr<Upstream>> upstreams_;
  std::atomic<size_t> rotation_{0};
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread health_;
};

}  // namespace enlist::proxy

#endif  // ENLIST_TOOLS_PROXY_UPSTREAM_POOL_H_
