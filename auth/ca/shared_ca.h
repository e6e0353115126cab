// One cluster CA for several auth servers: the storage backend (etcd) holds
// the CA, and each server mirrors it into its own `<data_dir>/ca/`, where
// ClusterCa::LoadOrCreate then finds it.
//
// Creation is race-free: a server that finds no CA in the backend makes one
// (or offers the one already in its data directory, when a single server is
// moved onto etcd) and stores it with Backend::Create on kSharedCaKey;
// exactly one offer wins, and every loser (and every later server) adopts
// the winner's CA. A data directory holding a different CA than the backend
// is an error, never silently replaced: agents pin the CA.
//
// Trust model: the backend value holds the CA's private keys (PEM, not
// encrypted). Whoever can read `<prefix>/ca/` in etcd can issue host
// certificates, exactly like whoever can read `<data_dir>/ca/*.key` on an
// auth server; etcd must therefore require TLS client certificates and give
// only the auth servers' etcd user access to the prefix
// (docs/high-availability.md).
#ifndef ENLIST_AUTH_CA_SHARED_CA_H_
#define ENLIST_AUTH_CA_SHARED_CA_H_

#include <string>

#include "absl/status/statusor.h"
#include "auth/ca/cluster_ca.h"
#include "auth/storage/backend.h"
#include "core/util/clock.h"

namespace enlist::ca {

// The backend key holding the shared CA.
inline constexpr char kSharedCaKey[] = "/ca/cluster";

// How a server came by the shared CA.
enum class SharedCaOrigin {
  kCreated,  // this server made it (it won the Create)
  kOffered,  // this server's existing local CA became the cluster's
  kAdopted,  // another server's CA was copied into the data directory
  kInSync,   // the data directory already held the backend's CA
};

// Agrees on the cluster CA through `backend` and leaves it in
// `<data_dir>/ca/`. Errors: kFailedPrecondition when the data directory
// holds a different or incomplete CA, kDataLoss when the backend's value is
// not a CA, the backend's codes (kUnavailable) otherwise.
absl::StatusOr<SharedCaOrigin> SyncSharedCa(storage::Backend& backend, const std::string& data_dir,
                                            const std::string& cluster_name, const Clock& clock);

// The backend value for `files` and back (exposed for tests).
std::string EncodeSharedCa(const ClusterCaFiles& files);
absl::StatusOr<ClusterCaFiles> DecodeSharedCa(absl::string_view value);

}  // namespace enlist::ca

#endif  // ENLIST_AUTH_CA_SHARED_CA_H_
