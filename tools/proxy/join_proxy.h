// enlist-proxy's join service: accepts an agent's Join stream, stamps the
// agent's address into ClientInit.proxy_remote_addr (replacing whatever the
// agent put there), and forwards the stream, message for message, to a
// healthy auth server. Failover happens only before the stream starts (no
// upstream connects, or the first write fails); once the auth server has
// the ClientInit, its answer — success or error — is the agent's answer.
#ifndef ENLIST_TOOLS_PROXY_JOIN_PROXY_H_
#define ENLIST_TOOLS_PROXY_JOIN_PROXY_H_

#include <atomic>
#include <string>

#include "proto/join/v1/join.grpc.pb.h"
#include "tools/proxy/upstream_pool.h"

namespace enlist::proxy {

// Synchronous gRPC service: each stream holds one server thread for its
// life (bounded by the agent's deadline, at most 60 s). An agent that goes
// away mid-stream is noticed at the next message. `pool` outlives the
// service.
class JoinProxyService final : public enlist::join::v1::JoinService::Service {
 public:
  explicit JoinProxyService(UpstreamPool* pool) : pool_(pool) {}

  grpc::Status Join(grpc::ServerContext* context,
                    grpc::ServerReaderWriter<enlist::join::v1::JoinResponse,
                                             enlist::join::v1::JoinRequest>* stream) override;

  // Streams forwarded so far, and refused because no upstream was reachable.
  int64_t forwarded() const { return forwarded_.load(); }
  int64_t unavailable() const { return unavailable_.load(); }

 private:
  UpstreamPool* pool_;
  std::atomic<int64_t> forwarded_{0};
  std::atomic<int64_t> unavailable_{0};
};

}  // namespace enlist::proxy

#endif  // ENLIST_TOOLS_PROXY_JOIN_PROXY_H_
