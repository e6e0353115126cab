// A real etcd cluster for tests: N members of Debian's /usr/bin/etcd on
// loopback ports the OS picked, data in a scratch directory, stopped (and
// the data removed) when the object goes away. testonly.
#ifndef ENLIST_AUTH_STORAGE_ETCD_TEST_CLUSTER_H_
#define ENLIST_AUTH_STORAGE_ETCD_TEST_CLUSTER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
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
  // The endpoints of members not killed.
  std::vector<std::string> LiveEndpoints() const;
  // Member `i`'s log so far.
  std::string Log(int i) const;

 private:
  EtcdTestCluster() = default;
  std::string dir_;
  std::vector<std::string> endpoints_;
  // Null once killed.
  std::vector<std::unique_ptr<testing::Subprocess>> members_;
};

}  // namespace enlist::storage

#endif  // ENLIST_AUTH_STORAGE_ETCD_TEST_CLUSTER_H_
