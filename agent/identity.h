// The host identity the agent got from its last join, and where it lives:
// `<data_dir>/identity.pb`, a binary StoredIdentity (agent/identity.proto),
// 0600, replaced with one atomic rename. Keys live beside it (keys.h) and
// are never touched by this store.
#ifndef ENLIST_AGENT_IDENTITY_H_
#define ENLIST_AGENT_IDENTITY_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "agent/keys.h"
#include "proto/join/v1/join.pb.h"

namespace enlist::agent {

inline constexpr char kIdentityFile[] = "identity.pb";

// A joined host's identity.
struct Identity {
  enlist::join::v1::Result result;
  // When the agent received the Result.
  absl::Time joined_at;
  // The host certificate's notBefore (may be backdated by the server).
  absl::Time not_before;
  // The earlier of the Result's `expires` and the host certificate's notAfter.
  absl::Time expires;
  std::string server;
  std::string join_method;
  std::string token_name;
  std::string role;

  const std::string& host_id() const { return result.host_id(); }
  // True while the certificates are still valid at `now`.
  bool Valid(absl::Time now) const { return now < expires; }
  // When to renew: `fraction` (0 < fraction < 1) of the way from joined_at
  // to expires.
  absl::Time RenewAt(double fraction) const;
};

// Checks a join Result against the host's keys and wraps it. The first
// certificate of tls_cert_chain must be a well-formed certificate (RFC 5280
// outline; names, extensions and signature are checked where it is used) for
// `keys.tls_public_key_der` (kFailedPrecondition for another key); the CA
// certificates must parse; host id and SSH certificate must be present.
// kInvalidArgument (prefix "identity: ") names what is wrong.
absl::StatusOr<Identity> MakeIdentity(enlist::join::v1::Result result, const HostKeys& keys,
                                      absl::Time joined_at);

// Reads and writes the identity file of one data directory. Thread-compatible.
class IdentityStore {
 public:
  // `ssh_host_cert_path` (may be empty): where Save also writes the SSH host
  // certificate line for sshd's HostCertificate (0644, atomic).
  explicit IdentityStore(std::string data_dir, std::string ssh_host_cert_path = "");

  // Writes `identity` atomically (0600). On error the previous file is
  // untouched. kUnavailable for I/O errors.
  absl::Status Save(const Identity& identity) const;

  // Reads the identity and checks it against `keys` (as MakeIdentity does).
  // kNotFound: no identity yet. kDataLoss: the file is corrupt (cannot be
  // parsed, unknown format, inconsistent) — re-join to replace it.
  // kFailedPrecondition: the certificate is not for the stored TLS key.
  // An expired identity loads fine; check Valid().
  absl::StatusOr<Identity> Load(const HostKeys& keys) const;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::string ssh_host_cert_path_;
};

}  // namespace enlist::agent

#endif  // ENLIST_AGENT_IDENTITY_H_
