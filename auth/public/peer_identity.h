// PUBLIC API (stable): who is calling, from the host certificate Enlist
// issued. A service that shares its port with the join service (see
// join_server.h, ServerCredentials) authorises joined hosts with this.
//
// An issued host certificate (docs/decisions.md, "Identities") carries the
// URI SAN `urn:enlist:host:<host id>` and Enlist's join extension (OID
// kJoinExtensionOid, an UTF8String of compact JSON: host id, role, join
// method, token name, verified attributes). Both must be present and name
// the same host.
#ifndef ENLIST_AUTH_PUBLIC_PEER_IDENTITY_H_
#define ENLIST_AUTH_PUBLIC_PEER_IDENTITY_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "grpcpp/server_context.h"

namespace enlist::auth {

// The URI SAN prefix of host certificates.
inline constexpr char kHostUriPrefix[] = "urn:enlist:host:";

// A joined host, as its certificate says.
struct HostPeer {
  std::string host_id;
  std::string role;
  std::string join_method;
  std::string token_name;
  // The attributes the join method verified (e.g. "azure.subscription"),
  // in the certificate's order.
  std::vector<std::pair<std::string, std::string>> attributes;
};

// Reads the host identity from a PEM certificate (the first one in `pem`).
// Does not verify the certificate: the caller must have (gRPC does, for a
// server built with JoinServer::ServerCredentials). kUnauthenticated for an
// unreadable certificate; kPermissionDenied when it is not an Enlist host
// certificate (no `urn:enlist:host:` URI SAN, no or malformed join
// extension, or the two name different hosts). Thread-safe.
absl::StatusOr<HostPeer> HostPeerFromCertificatePem(absl::string_view pem);

// The calling host of an RPC, from the client certificate gRPC verified.
// kUnauthenticated when the caller sent no certificate (e.g. it has not
// joined yet), otherwise as HostPeerFromCertificatePem. Thread-safe.
absl::StatusOr<HostPeer> HostPeerFromContext(const grpc::ServerContextBase& context);

}  // namespace enlist::auth

#endif  // ENLIST_AUTH_PUBLIC_PEER_IDENTITY_H_
