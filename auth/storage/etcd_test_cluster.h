// A real etcd cluster for tests: N members of Debian's /usr/bin/etcd on
// loopback ports the OS picked, data in a scratch directory, stopped (and
// the data removed) when the object goes away; optionally serving clients
// over TLS only (with client-certificate auth). testonly.
#ifndef ENLIST_AUTH_STORAGE_ETCD_TEST_CLUSTER_H_
#define ENLIST_AUTH_STORAGE_ETCD_TEST_CLUSTER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "auth/storage/etcd_client.h"
#include "core/testing/subprocess.h"

namespace enlist::storage {

struct EtcdTestClusterOptions {
  int members = 3;
  // Scratch directory for data and logs (created if absent).
  std::string dir;
  // Raft timing: short, so elections after a kill take well under a second.
  int heartbeat_ms = 50;
  int election_ms = 500;
  // Longest wait for every member to serve.
  absl::Duration start_timeout = absl::Seconds(30);
  // The etcd binary; empty: $ENLIST_ETCD or /usr/bin/etcd.
  std::string etcd_binary;
  // TLS for clients (peers stay on plain loopback HTTP). With `cert_file`
  // set, members listen on https client URLs only (--cert-file, --key-file,
  // --trusted-ca-file), and with `client_cert_auth` they refuse clients
  // without a certificate issued by `trusted_ca_file`.
  struct Tls {
    std::string cert_file;
    std::string key_file;
    std::string trusted_ca_file;
    bool client_cert_auth = true;
  };
  Tls tls;
  // How the readiness probe connects (must match `tls`).
  EtcdTlsOptions probe_tls;
};

class EtcdTestCluster {
 public:
  // Starts the members and waits until each answers a read. kUnavailable
  // when etcd is missing or does not come up in time (the members' logs are
  // quoted).
  static absl::StatusOr<std::unique_ptr<EtcdTestCluster>> Start(EtcdTestClusterOptions options);
  // Stops every member (SIGKILL: the data is discarded) and removes the data.
  ~EtcdTestCluster();

  // "127.0.0.1:<port>" client endpoint of every member (killed ones too).
  const std::vector<std::string>& endpoints() const { return endpoints_; }
  // Kills member `i` at once (SIGKILL), as a crash would, and waits for it.
  void Kill(int i);
  // Starts killed member `i` again on its ports and data, and waits until it
  // serves. kUnavailable when it does not.
  absl::Status Restart(int i);
  // Compacts the key-value history up to `revision` (etcdctl compact
  // --physical): watches starting before it are cancelled with
  // compact_revision set. kUnavailable when etcdctl fails.
  absl::Status Compact(int64_t revision);
  // The index of the current Raft leader among the live members (etcdctl
  // endpoint status). kUnavailable when there is none (an election).
  absl::StatusOr<int> Leader() const;
  // The endpoints of members not killed.
  std::vector<std::string> LiveEndpoints() const;
  // Member `i`'s log so far.
  std::string Log(int i) const;

 private:
  EtcdTestCluster() = default;
  // Runs etcdctl with `args` against the live members; its output.
  absl::StatusOr<std::string> Etcdctl(const std::vector<std::string>& args) const;
  // Waits until the member at endpoint `i` answers a read.
  absl::Status WaitServing(int i);

  EtcdTestClusterOptions options_;
  std::string dir_;
  std::vector<std::string> endpoints_;
  // Each member's command line, for Restart.
  std::vector<std::vector<std::string>> argv_;
  // Null once killed.
  std::vector<std::unique_ptr<testing::Subprocess>> members_;
};

}  // namespace enlist::storage

#endif  // ENLIST_AUTH_STORAGE_ETCD_TEST_CLUSTER_H_
