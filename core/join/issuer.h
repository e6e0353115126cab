// Turns an accepted join into a host identity. The auth server's certificate
// authority implements it; the join session calls it once per accepted join.
#ifndef ENLIST_CORE_JOIN_ISSUER_H_
#define ENLIST_CORE_JOIN_ISSUER_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/join/v1/join.pb.h"

namespace enlist::join {

// Everything known about an accepted join.
struct IssueRequest {
  const enlist::join::v1::HostParams* host = nullptr;  // never null
  std::string join_method;
  std::string token_name;
  std::string role;
  std::string remote_addr;
  // Attributes the method verified, in its order.
  std::vector<std::pair<std::string, std::string>> attributes;
};

// Issues host identities. Thread-safe.
class HostIssuer {
 public:
  virtual ~HostIssuer() = default;
  // Returns the Result to send (host id, certificates, CA keys). Errors:
  // kInvalidArgument for unusable host keys or names (message names the
  // field), kUnavailable/kInternal when storage or signing fails.
  virtual absl::StatusOr<enlist::join::v1::Result> Issue(const IssueRequest& request) = 0;
};

}  // namespace enlist::join

#endif  // ENLIST_CORE_JOIN_ISSUER_H_
