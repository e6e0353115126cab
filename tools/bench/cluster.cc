#include "tools/bench/cluster.h"

#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "core/util/file.h"
#include "core/util/status_macros.h"
#include "tools/bench/bench_world.h"

namespace enlist::bench {
absl::StatusOr<std::string> WaitForFile(const std::string& path, Process& p, const std::string& log,
                                     const std::string& what) {
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (absl::Now() < deadline) {
    absl::StatusOr<std::string> s = ReadFileCapped(path, 1 << 20);
    if (s.ok() && !s->empty()) return std::string(absl::StripAsciiWhitespace(*s));
    if (!p.Running()) break;
    absl::SleepFor(absl::Milliseconds(20));
  }
  absl::StatusOr<std::string> tail = ReadFileCapped(log, 1 << 20);
  std::string t = tail.ok() ? *tail : "";
  if (t.size() > 2000) t = t.substr(t.size() - 2000);
  return absl::UnavailableError(absl::StrCat("cluster: ", what, " did not start: ", t));
}

absl::StatusOr<std::unique_ptr<Cluster>> Cluster::Start(const ClusterOptions& o) {
  const std::string& w = o.work_dir;
  ENLIST_RETURN_IF_ERROR(MakeDirs(w));
  ENLIST_RETURN_IF_ERROR(WriteFileAtomic(w + "/world.yaml", BenchWorldYaml(o.vms), 0644));
  ENLIST_ASSIGN_OR_RETURN(Process emu,
                          Process::Start({o.emulator_bin, "--world", w + "/world.yaml", "--listen",
                                          "127.0.0.1:0", "--state-dir", w + "/emulator"},
                                         w + "/emulator.log", o.emulator_cpu));
  ENLIST_ASSIGN_OR_RETURN(std::string url,
                          WaitForFile(w + "/emulator/url", emu, w + "/emulator.log", "emulator"));

  const std::string auth_yaml = absl::StrCat(
      "version: v1\ncluster_name: bench\nlisten_addr: 127.0.0.1:0\ndata_dir: ", w,
      "/auth\nlimits:\n  max_concurrent_joins: ", o.max_concurrent_joins,
      "\n  join_deadline: 120s\n  join_workers: ", o.join_workers, "\nmethods:\n  azure:\n",
      AzureCheckerSettingsYaml(url, w + "/emulator/root.pem", 4));
  ENLIST_RETURN_IF_ERROR(WriteFileAtomic(w + "/auth.yaml", auth_yaml, 0644));
  ENLIST_ASSIGN_OR_RETURN(Process auth, Process::Start({o.auth_bin, "--config", w + "/auth.yaml"},
                                                       w + "/auth.log", o.auth_cpu));
  ENLIST_ASSIGN_OR_RETURN(std::string addr,
                          WaitForFile(w + "/auth/admin/server", auth, w + "/auth.log", "enlist-auth"));
  ENLIST_ASSIGN_OR_RETURN(std::string ca, ReadFileCapped(w + "/auth/ca/tls-ca.crt", 1 << 20));

  ENLIST_RETURN_IF_ERROR(WriteFileAtomic(w + "/token.yaml", BenchTokenYaml(), 0644));
  ENLIST_ASSIGN_OR_RETURN(int rc, RunToCompletion({o.enlistctl_bin, "--data-dir", w + "/auth",
                                                   "create", "-f", w + "/token.yaml", "--force"},
                                                  w + "/enlistctl.log"));
  if (rc != 0) {
    absl::StatusOr<std::string> log = ReadFileCapped(w + "/enlistctl.log", 1 << 20);
    return absl::UnavailableError(
        absl::StrCat("cluster: enlistctl create failed (exit ", rc, "): ", log.ok() ? *log : ""));
  }
  std::unique_ptr<Cluster> c(new Cluster(o, std::move(emu), std::move(auth)));
  c->emulator_url_ = url;
  c->auth_addr_ = addr;
  c->ca_pem_ = ca;
  return c;
}

}  // namespace enlist::bench
