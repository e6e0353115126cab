// PUBLIC API (stable): gRPC channels for a joining host — to the auth
// server before it has an identity, and to any cluster service with the
// identity it obtained (mutual TLS).
#ifndef ENLIST_AGENT_PUBLIC_DIAL_H_
#define ENLIST_AGENT_PUBLIC_DIAL_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "agent/identity.h"
#include "agent/keys.h"
#include "agent/server_trust.h"
#include "core/log/logger.h"
#include "grpcpp/channel.h"
#include "grpcpp/security/credentials.h"

namespace enlist::agent {

// Dials `options.server` ("host:port") over TLS, trusting the server the
// way enlist-agent does (agent/server_trust.h, ServerTrustOptions: a CA
// pin, a CA file, or the system roots). A pinned CA is cached in
// `options.data_dir` when set. Errors: kUnauthenticated when the server's
// chain matches no pin (final), kUnavailable / kDeadlineExceeded when the
// server cannot be reached before `deadline` for the pin handshake,
// kInvalidArgument for a malformed address, the CA file's errors.
// `logger` may be null. Thread-safe.
absl::StatusOr<std::shared_ptr<grpc::Channel>> DialAuthServer(const ServerTrustOptions& options,
                                                              absl::Time deadline,
                                                              log::Logger* logger = nullptr);

// Mutual-TLS channel credentials from a joined identity: the host's TLS
// key and issued certificate chain as the client certificate, the cluster
// CA certificates of the Result as the only roots. A service built with
// JoinServer::ServerCredentials authorises the caller from this
// certificate (auth/public/peer_identity.h). kInvalidArgument when the
// identity or key cannot be encoded. Thread-safe.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> IdentityChannelCredentials(
    const Identity& identity, const HostKeys& keys);

}  // namespace enlist::agent

#endif  // ENLIST_AGENT_PUBLIC_DIAL_H_
