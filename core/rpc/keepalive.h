// HTTP/2 keepalive between enlist-proxy and enlist-auth, in one place so the
// pinging side and the side that polices pings cannot drift apart.
#ifndef ENLIST_CORE_RPC_KEEPALIVE_H_
#define ENLIST_CORE_RPC_KEEPALIVE_H_

#include "absl/time/time.h"

namespace enlist::rpc {

// How often enlist-proxy pings an auth server while a stream is open
// (GRPC_ARG_KEEPALIVE_TIME_MS), so a silent host is noticed.
inline constexpr absl::Duration kProxyKeepaliveTime = absl::Seconds(10);

// The shortest interval between pings without data that enlist-auth accepts
// (GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS). gRPC's default is
// 5 minutes: more than GRPC_ARG_HTTP2_MAX_PING_STRIKES (2) pings closer
// together end the connection with GOAWAY "too_many_pings", failing every
// stream on it. Half the proxy's interval leaves room for timer slack.
inline constexpr absl::Duration kMinPermittedPingInterval = absl::Seconds(5);

static_assert(kMinPermittedPingInterval <= kProxyKeepaliveTime,
              "enlist-auth must accept the proxy's keepalive pings");

}  // namespace enlist::rpc

#endif  // ENLIST_CORE_RPC_KEEPALIVE_H_
