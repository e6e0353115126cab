// The join proxy's identity: a certificate issued by the cluster CA with
// the URI SAN `urn:enlist:proxy:<name>`, usable both as the proxy's TLS
// server certificate (agents pin the cluster CA through it) and as its
// client certificate towards the auth servers, which believe the agent
// address a proxy stamps into ClientInit only from such a peer.
#ifndef ENLIST_AUTH_PROXY_IDENTITY_H_
#define ENLIST_AUTH_PROXY_IDENTITY_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "auth/ca/cluster_ca.h"
#include "core/util/clock.h"
#include "grpcpp/server_context.h"

namespace enlist::auth {

// The URI SAN prefix of proxy identities.
inline constexpr char kProxyUriPrefix[] = "urn:enlist:proxy:";
// Files in a proxy identity directory (`<data_dir>/proxy/` on the auth
// server; copy it to the proxy's host).
inline constexpr char kProxyDir[] = "proxy";
inline constexpr char kProxyCertFile[] = "proxy.crt";  // leaf + CA certificate
inline constexpr char kProxyKeyFile[] = "proxy.key";
inline constexpr char kProxyCaFile[] = "ca.crt";

// Writes a proxy identity named `name` into `dir` (created 0700; key 0600)
// unless `dir` already holds one. The certificate has server and client
// auth, DNS/IP SANs for `names` plus localhost, 127.0.0.1 and ::1, and is
// valid for a year. kInvalidArgument for an empty or non-[A-Za-z0-9._-]
// name, kUnavailable for I/O errors.
absl::Status WriteProxyIdentity(const ca::ClusterCa& ca, const std::string& dir,
                                const std::string& name, const std::vector<std::string>& names,
                                const Clock& clock);

// True when the RPC's peer presented a client certificate (verified by
// gRPC against the cluster CA) with a `urn:enlist:proxy:` URI SAN.
// Thread-safe.
bool IsProxyPeer(const grpc::ServerContextBase& context);

}  // namespace enlist::auth

#endif  // ENLIST_AUTH_PROXY_IDENTITY_H_
