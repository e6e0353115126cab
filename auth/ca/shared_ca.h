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

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "auth/ca/cluster_ca.h"
#include "auth/storage/backend.h"
#include "auth/storage/watch.h"
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

// Watches kSharedCaKey under a running server and says whether the CA it
// issues from is still the one storage holds. There is no CA rotation: the
// value changes only when someone edits or deletes it in etcd, and a server
// must then not keep issuing from a CA the cluster no longer holds (agents
// pinning the new CA would reject it; a new server would create or adopt a
// different one). The server does not reload in place — its TLS
// credentials, admin and proxy identities all chain to the CA it started
// with — it refuses joins (see Check) until it is restarted, and restarting
// runs SyncSharedCa, which stops with both pins when they differ.
//
// Thread-safe. Destroying it stops the watch first.
class SharedCaMonitor {
 public:
  // `backend` (not owned, outlives the monitor) is read when the watch is
  // not established; `issuing` is the CA this server loaded.
  SharedCaMonitor(storage::Backend* backend, const ClusterCaFiles& issuing);
  ~SharedCaMonitor();
  SharedCaMonitor(const SharedCaMonitor&) = delete;
  SharedCaMonitor& operator=(const SharedCaMonitor&) = delete;

  // Starts a snapshot watch on kSharedCaKey. Call once, before Check is
  // shared. The factory's errors.
  absl::Status Start(const storage::WatchFactory& watches);
  // Waits until the watch is established; false after `timeout`.
  bool WaitUntilWatching(absl::Duration timeout);

  // OK while storage holds exactly the CA this server issues from.
  // kFailedPrecondition when it does not, naming both pins:
  //   "ca: the cluster CA in storage (/ca/cluster) is sha256:B, not sha256:A
  //    this server issues from; refusing joins until the server is restarted"
  //   "ca: the cluster CA sha256:A this server issues from is no longer in
  //    storage (/ca/cluster was deleted); refusing joins until the server is
  //    restarted (it then stores its CA again)"
  //   "ca: the cluster CA in storage (/ca/cluster) is unreadable: ...;
  //    refusing joins"
  // Answers from the watch while it is established (a change is seen
  // within the watch's lag); otherwise reads storage, failing with its code
  // (kUnavailable) prefixed "ca: checking the cluster CA in storage: ".
  absl::Status Check() const;

 private:
  // The verdict for storage holding `value` (null: nothing).
  absl::Status Verdict(const std::string* value) const;
  void OnEvent(const storage::WatchEvent& e);

  storage::Backend* const backend_;
  const std::string issuing_value_;
  const std::string issuing_pin_;
  mutable absl::Mutex mu_;
  // What the watch last reported for kSharedCaKey (after a snapshot).
  bool present_ ABSL_GUARDED_BY(mu_) = false;
  std::string value_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<storage::Watch> watch_;
};

// The backend value for `files` and back (exposed for tests).
std::string EncodeSharedCa(const ClusterCaFiles& files);
absl::StatusOr<ClusterCaFiles> DecodeSharedCa(absl::string_view value);

}  // namespace enlist::ca

#endif  // ENLIST_AUTH_CA_SHARED_CA_H_
