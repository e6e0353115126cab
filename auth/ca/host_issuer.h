// The auth server's HostIssuer: assigns the host id and issues the X.509 and
// OpenSSH host certificates for an accepted join.
#ifndef ENLIST_AUTH_CA_HOST_ISSUER_H_
#define ENLIST_AUTH_CA_HOST_ISSUER_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "auth/ca/cluster_ca.h"
#include "core/join/issuer.h"
#include "core/util/clock.h"

namespace enlist::ca {

// What was issued, for the host registry.
struct IssuedHost {
  std::string host_id;
  bool renewed = false;  // the agent kept its previous host id
  const join::IssueRequest* request = nullptr;
  std::string tls_serial;  // hex, empty if no TLS certificate
  uint64_t ssh_serial = 0;
  absl::Time expires;
};

struct HostIssuerOptions {
  absl::Duration ttl = absl::Hours(8);
  // Allowed clock skew: certificates start this much in the past.
  absl::Duration backdate = absl::Minutes(5);
  // Decides whether an agent may keep `previous_host_id` (renewal). Default:
  // never, every join gets a new id.
  std::function<absl::StatusOr<bool>(const std::string& previous_host_id,
                                     const join::IssueRequest& request)>
      may_keep_host_id;
  // Called after issuing, before the Result is sent; an error fails the
  // join (e.g. the host registry could not be written).
  std::function<absl::Status(const IssuedHost&)> on_issued;
};

class CaHostIssuer final : public join::HostIssuer {
 public:
  // `ca` and `clock` outlive the issuer. Thread-safe.
  CaHostIssuer(const ClusterCa* ca, const Clock* clock, HostIssuerOptions options);
  absl::StatusOr<enlist::join::v1::Result> Issue(const join::IssueRequest& request) override;

 private:
  const ClusterCa* ca_;
  const Clock* clock_;
  HostIssuerOptions options_;
};

// A random (version 4) UUID.
absl::StatusOr<std::string> NewUuid();

}  // namespace enlist::ca

#endif  // ENLIST_AUTH_CA_HOST_ISSUER_H_
