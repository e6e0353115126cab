// The end-to-end setup: enlist-azure-emulator and enlist-auth as separate
// processes on loopback (OS-chosen ports), configured the way
// tools/demo/run_demo.sh does, with the bench token created by enlistctl.
#ifndef ENLIST_TOOLS_BENCH_CLUSTER_H_
#define ENLIST_TOOLS_BENCH_CLUSTER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "tools/bench/process.h"

namespace enlist::bench {

// Polls until `path` exists and is non-empty and returns its trimmed text;
// kUnavailable with the tail of `log` when `p` exits or 30 s pass first.
absl::StatusOr<std::string> WaitForFile(const std::string& path, Process& p,
                                        const std::string& log, const std::string& what);

struct ClusterOptions {
  std::string auth_bin, emulator_bin, enlistctl_bin;
  // Scratch directory (created); holds the data dirs, configs and logs.
  std::string work_dir;
  int vms = 64;
  int max_concurrent_joins = 20000;
  int join_workers = 4;
  // CPU to pin the emulator / auth server to; -1: not pinned.
  int emulator_cpu = -1;
  int auth_cpu = -1;
};

// A running emulator + auth server. The destructor stops both.
class Cluster {
 public:
  // Starts both and creates the token. kUnavailable (with the log's tail)
  // when a process does not come up within 30 s.
  static absl::StatusOr<std::unique_ptr<Cluster>> Start(const ClusterOptions& options);

  // "http://127.0.0.1:PORT" of the emulator.
  const std::string& emulator_url() const { return emulator_url_; }
  // "127.0.0.1:PORT" of enlist-auth.
  const std::string& auth_addr() const { return auth_addr_; }
  // The cluster CA certificate (PEM): the agents' trust root.
  const std::string& ca_pem() const { return ca_pem_; }
  Process& auth() { return auth_; }
  Process& emulator() { return emulator_; }
  const ClusterOptions& options() const { return options_; }

 private:
  Cluster(ClusterOptions options, Process emulator, Process auth)
      : options_(std::move(options)), emulator_(std::move(emulator)), auth_(std::move(auth)) {}
  ClusterOptions options_;
  Process emulator_;
  Process auth_;
  std::string emulator_url_, auth_addr_, ca_pem_;
};

}  // namespace enlist::bench

#endif  // ENLIST_TOOLS_BENCH_CLUSTER_H_
