// enlist-proxy's join service: accepts an agent's Join stream, stamps the
// agent's address into ClientInit.proxy_remote_addr (replacing whatever the
// agent put there), and forwards the stream, message for message, to a
// healthy auth server.
//
// Failover: a stream moves to the next upstream only while nothing but the
// ClientInit has been forwarded and nothing has come back, and only when
// the upstream call ends UNAVAILABLE (cannot connect, connection lost,
// refused). Once the auth server has answered, its answer — success or
// error — is the agent's answer; an UNAVAILABLE or a CANCELLED the agent
// did not cause then reaches the agent as UNAVAILABLE (retryable), prefixed
// "proxy: auth server <addr>: ".
#ifndef ENLIST_TOOLS_PROXY_JOIN_PROXY_H_
#define ENLIST_TOOLS_PROXY_JOIN_PROXY_H_

#include <atomic>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/log/logger.h"
#include "proto/join/v1/join.grpc.pb.h"
#include "tools/proxy/upstream_pool.h"

namespace enlist::proxy {

struct JoinProxyOptions {
  // Streams open at once; more are refused with RESOURCE_EXHAUSTED. Each
  // costs two gRPC calls and a few KiB, no thread.
  int max_streams = 10000;
  // Longest life of a stream: the upstream call's deadline is the agent's
  // deadline or this, whichever is sooner. A stream whose agent never sends
  // its ClientInit ends DEADLINE_EXCEEDED at this point too.
  absl::Duration max_stream_duration = absl::Seconds(60);
  // Largest message accepted from an agent (gRPC refuses bigger ones with
  // RESOURCE_EXHAUSTED before the proxy sees them). Set on the listener by
  // StartJoinProxyServer.
  int max_message_bytes = 256 * 1024;
};

// The callback-API Join service: one reactor per stream, driven by gRPC's
// threads, never blocking them. `pool` and `logger` outlive the service,
// and the service outlives the grpc::Server it is registered with.
// Thread-safe.
class JoinProxyService final : public enlist::join::v1::JoinService::CallbackService {
 public:
  JoinProxyService(UpstreamPool* pool, log::Logger* logger, JoinProxyOptions options = {})
      : pool_(pool), logger_(logger), options_(options) {}

  grpc::ServerBidiReactor<enlist::join::v1::JoinRequest, enlist::join::v1::JoinResponse>* Join(
      grpc::CallbackServerContext* context) override;

  const JoinProxyOptions& options() const { return options_; }
  // Streams forwarded to an auth server so far; refused because no
  // upstream was reachable; refused by the stream limit; open now.
  int64_t forwarded() const { return forwarded_.load(); }
  int64_t unavailable() const { return unavailable_.load(); }
  int64_t refused() const { return refused_.load(); }
  int active() const { return active_.load(); }

 private:
  friend class ProxyStream;
  UpstreamPool* pool_;
  log::Logger* logger_;
  const JoinProxyOptions options_;
  std::atomic<int64_t> forwarded_{0};
  std::atomic<int64_t> unavailable_{0};
  std::atomic<int64_t> refused_{0};
  std::atomic<int> active_{0};
};

// Starts a gRPC server for agents on `listen_addr` ("host:port", port 0:
// the OS picks; *port receives it) with TLS from `cert_pem`/`key_pem` (the
// proxy identity; no client certificate asked) and the service's message
// cap. kUnavailable when it cannot bind.
absl::StatusOr<std::unique_ptr<grpc::Server>> StartJoinProxyServer(const std::string& listen_addr,
                                                                   const std::string& cert_pem,
                                                                   const std::string& key_pem,
                                                                   JoinProxyService* service,
                                                                   int* port);

}  // namespace enlist::proxy

#endif  // ENLIST_TOOLS_PROXY_JOIN_PROXY_H_
