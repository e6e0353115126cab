// The Enlist benchmark: the crypto floor of a join, the Azure checker alone,
// end-to-end joins against enlist-auth + enlist-azure-emulator processes,
// and auth memory per waiting stream. The last line of output is one JSON
// object with every figure. See docs/performance.md:
//   bazel run --config=opt //tools/bench
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/util/file.h"
#include "core/util/status_macros.h"
#include "tools/bench/agents.h"
#include "tools/bench/checker_phase.h"
#include "tools/bench/cluster.h"
#include "tools/bench/floor.h"
#include "tools/bench/process.h"

ABSL_FLAG(std::string, phases, "floor,checker,e2e,transport,memory", "phases to run, comma-separated");
ABSL_FLAG(std::string, agents, "1,100,1000", "concurrent agents per end-to-end run");
ABSL_FLAG(int, channels, 8, "TLS connections the simulated agents share");
ABSL_FLAG(int, imds_in_flight, 4, "IMDS requests the simulated agents send the emulator at once");
ABSL_FLAG(int, held_streams, 10000, "join streams held at the challenge (memory phase)");
ABSL_FLAG(int, checker_verifications, 10000, "checks timed in the checker phase");
ABSL_FLAG(double, floor_seconds, 0.5, "seconds per floor operation");
ABSL_FLAG(int, vms, 64, "emulated VMs");
ABSL_FLAG(int, join_workers, 4, "enlist-auth limits.join_workers");
ABSL_FLAG(int, emulator_cpu, -1, "pin the emulator to this CPU (-1: no pinning)");
ABSL_FLAG(int, auth_cpu, -1, "pin enlist-auth to this CPU (-1: no pinning)");
ABSL_FLAG(std::string, auth_bin, "", "enlist-auth (default: from runfiles or bazel-bin)");
ABSL_FLAG(std::string, emulator_bin, "", "enlist-azure-emulator (default: runfiles/bazel-bin)");
ABSL_FLAG(std::string, replay_bin, "", "enlist-bench-replay-server (default: runfiles/bazel-bin)");
ABSL_FLAG(std::string, enlistctl_bin, "", "enlistctl (default: runfiles/bazel-bin)");
ABSL_FLAG(std::string, work_dir, "", "scratch directory (default: a new one under TMPDIR)");
ABSL_FLAG(bool, keep_work_dir, false, "keep the scratch directory (logs, configs)");

namespace enlist::bench {
namespace {

bool Executable(const std::string& p) { return !p.empty() && access(p.c_str(), X_OK) == 0; }

// Finds a Bazel-built binary: $RUNFILES_DIR, <argv0>.runfiles, the current
// directory (bazel run), bazel-bin (run from the workspace).
std::string FindBinary(const std::string& flag, const std::string& rel, const char* argv0) {
  if (!flag.empty()) return flag;
  std::vector<std::string> c;
  if (const char* r = std::getenv("RUNFILES_DIR")) c.push_back(absl::StrCat(r, "/enlist/", rel));
  c.push_back(absl::StrCat(argv0, ".runfiles/enlist/", rel));
  c.push_back(rel);
  c.push_back("bazel-bin/" + rel);
  for (const std::string& p : c) {
    if (Executable(p)) {
      if (p[0] == '/') return p;
      char cwd[4096];
      return absl::StrCat(getcwd(cwd, sizeof(cwd)) ? cwd : ".", "/", p);
    }
  }
  return rel;
}

std::string Num(double v) { return absl::StrFormat("%.1f", v); }

int Run(const char* argv0) {
  const std::vector<std::string> phases = absl::StrSplit(absl::GetFlag(FLAGS_phases), ',');
  auto want = [&](const char* p) {
    for (const auto& x : phases) {
      if (x == p) return true;
    }
    return false;
  };
  std::vector<int> agent_counts;
  for (absl::string_view s : absl::StrSplit(absl::GetFlag(FLAGS_agents), ',', absl::SkipEmpty())) {
    int n = 0;
    if (!absl::SimpleAtoi(s, &n) || n <= 0) {
      std::fprintf(stderr, "bench: --agents: bad count \"%s\"\n", std::string(s).c_str());
      return 2;
    }
    agent_counts.push_back(n);
  }
  std::string work = absl::GetFlag(FLAGS_work_dir);
  if (work.empty()) {
    const char* tmp = std::getenv("TEST_TMPDIR");
    if (tmp == nullptr) tmp = std::getenv("TMPDIR");
    std::string templ = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/enlist-bench-XXXXXX");
    if (mkdtemp(templ.data()) == nullptr) {
      std::perror("bench: mkdtemp");
      return 1;
    }
    work = templ;
  }
  const int64_t nofile = RaiseFileLimit();
  std::vector<std::string> json;
  json.push_back(absl::StrCat("\"nproc\":", sysconf(_SC_NPROCESSORS_ONLN)));
  json.push_back(absl::StrCat("\"rlimit_nofile\":", nofile));
  int rc = 0;
  double floor_us = 0;
  double last_cpu = 0;  // auth CPU per join of the largest end-to-end run
  bool e2e_ran = false;

  if (want("floor")) {
    absl::StatusOr<FloorResult> f = MeasureFloor(absl::GetFlag(FLAGS_floor_seconds));
    if (!f.ok()) {
      std::fprintf(stderr, "bench: floor: %s\n", f.status().ToString().c_str());
      return 1;
    }
    std::printf("== floor (auth side of one join, OpenSSL 3, one thread)\n");
    std::vector<std::string> ops;
    for (const auto& [name, us] : f->ops) {
      std::printf("   %-28s %8.1f us\n", name.c_str(), us);
      ops.push_back(absl::StrCat("\"", name, "\":", Num(us)));
    }
    floor_us = f->floor_us;
    std::printf("   %-28s %8.1f us\n", "floor_us (sum of the first 6)", floor_us);
    json.push_back(absl::StrCat("\"floor_ops_us\":{", absl::StrJoin(ops, ","), "}"));
    json.push_back(absl::StrCat("\"floor_us\":", Num(floor_us)));
    std::fflush(stdout);
  }

  if (want("checker")) {
    absl::StatusOr<CheckerResult> c =
        RunCheckerPhase(absl::GetFlag(FLAGS_checker_verifications), absl::GetFlag(FLAGS_vms), work);
    if (!c.ok()) {
      std::fprintf(stderr, "bench: checker: %s\n", c.status().ToString().c_str());
      return 1;
    }
    std::printf(
        "== checker only (AzureChecker::Check, warm caches, fresh document each, 1 thread)\n"
        "   %d verifications in %.3f s: %.0f /s, %.1f us each (%.1f us thread CPU)\n",
        c->verifications, c->seconds, c->per_second, c->us_each, c->cpu_us_each);
    json.push_back(absl::StrCat("\"checker_verifications_per_s\":", Num(c->per_second)));
    json.push_back(absl::StrCat("\"checker_us_each\":", Num(c->us_each)));
    // Wall time suffers from other load on a shared machine; thread CPU
    // time is what one dedicated core would do.
    json.push_back(absl::StrCat("\"checker_cpu_us_each\":", Num(c->cpu_us_each)));
    json.push_back(absl::StrCat("\"checker_verifications_per_cpu_s\":", Num(1e6 / c->cpu_us_each)));
    std::fflush(stdout);
  }

  // Each of the two phases gets a fresh enlist-auth + emulator: the
  // memory phase's baseline is a server that has done one join, and the
  // end-to-end peak RSS is not the memory phase's.
  struct Running {
    std::unique_ptr<Cluster> cluster;
    std::unique_ptr<Agents> agents;
  };
  auto start = [&](const std::string& name) -> absl::StatusOr<Running> {
    ClusterOptions co;
    co.work_dir = work + "/" + name;
    co.auth_bin = FindBinary(absl::GetFlag(FLAGS_auth_bin), "auth/enlist-auth", argv0);
    co.emulator_bin = FindBinary(absl::GetFlag(FLAGS_emulator_bin),
                                 "tools/azure_emulator/enlist-azure-emulator", argv0);
    co.enlistctl_bin =
        FindBinary(absl::GetFlag(FLAGS_enlistctl_bin), "tools/enlistctl/enlistctl", argv0);
    co.vms = absl::GetFlag(FLAGS_vms);
    co.join_workers = absl::GetFlag(FLAGS_join_workers);
    co.max_concurrent_joins = std::max(20000, absl::GetFlag(FLAGS_held_streams) + 1000);
    co.emulator_cpu = absl::GetFlag(FLAGS_emulator_cpu);
    co.auth_cpu = absl::GetFlag(FLAGS_auth_cpu);
    Running r;
    ENLIST_ASSIGN_OR_RETURN(r.cluster, Cluster::Start(co));
    ENLIST_ASSIGN_OR_RETURN(r.agents,
                            Agents::Create(r.cluster.get(), absl::GetFlag(FLAGS_channels),
                                           absl::GetFlag(FLAGS_imds_in_flight), co.work_dir));
    std::printf("== cluster (%s): enlist-auth pid %d at %s (join_workers %d), emulator pid %d%s\n",
                name.c_str(), r.cluster->auth().pid(), r.cluster->auth_addr().c_str(),
                co.join_workers, r.cluster->emulator().pid(),
                co.emulator_cpu >= 0 ? absl::StrCat(" on cpu ", co.emulator_cpu).c_str() : "");
    // Warm-up: the checker's JWKS and chain caches, the connections.
    ENLIST_ASSIGN_OR_RETURN(JoinRunResult warm, r.agents->RunJoins(2));
    if (warm.errors > 0) {
      return absl::UnavailableError(absl::StrCat("warm-up join failed: ", warm.first_error));
    }
    return r;
  };
  if (want("e2e")) {
    absl::StatusOr<Running> run = start("e2e");
    if (!run.ok()) {
      std::fprintf(stderr, "bench: %s\n", run.status().ToString().c_str());
      return 1;
    }
    Agents* agents = run->agents.get();
    std::printf("== end to end (%d channels)\n", absl::GetFlag(FLAGS_channels));
    std::printf("   %6s %7s %9s %8s %8s %8s %8s %12s %11s %11s %10s\n", "agents", "errors",
                "joins/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "auth us/join", "emu us/j",
                "agents us/j", "auth HWM");
    std::vector<std::string> runs;
    for (int n : agent_counts) {
      absl::StatusOr<JoinRunResult> r = agents->RunJoins(n);
      if (!r.ok()) {
        std::fprintf(stderr, "bench: e2e %d: %s\n", n, r.status().ToString().c_str());
        return 1;
      }
      std::printf("   %6d %7d %9.0f %8.1f %8.1f %8.1f %8.1f %12.0f %11.0f %11.0f %6lld KiB\n", n,
                  r->errors, r->joins_per_second, r->p50_ms, r->p90_ms, r->p99_ms, r->max_ms,
                  r->auth_cpu_us_per_join, r->emulator_cpu_us_per_join, r->agents_cpu_us_per_join,
                  static_cast<long long>(r->auth_peak_rss_kib));
      if (r->errors > 0) {
        std::printf("   first error: %s\n", r->first_error.c_str());
        rc = 1;
      }
      std::fflush(stdout);
      runs.push_back(absl::StrCat(
          "{\"agents\":", n, ",\"errors\":", r->errors,
          ",\"joins_per_s\":", Num(r->joins_per_second), ",\"p50_ms\":", Num(r->p50_ms),
          ",\"p90_ms\":", Num(r->p90_ms), ",\"p99_ms\":", Num(r->p99_ms),
          ",\"auth_cpu_us_per_join\":", Num(r->auth_cpu_us_per_join),
          ",\"emulator_cpu_us_per_join\":", Num(r->emulator_cpu_us_per_join),
          ",\"agents_cpu_us_per_join\":", Num(r->agents_cpu_us_per_join), ",\"auth_peak_rss_kib\":",
          r->auth_peak_rss_kib, ",\"auth_threads\":", r->auth_threads, "}"));
      last_cpu = r->auth_cpu_us_per_join;
      e2e_ran = true;
    }
    json.push_back(absl::StrCat("\"channels\":", absl::GetFlag(FLAGS_channels)));
    json.push_back(absl::StrCat("\"e2e\":[", absl::StrJoin(runs, ","), "]"));
    // The headline CPU figure: the largest run (most joins, least noise).
    json.push_back(absl::StrCat("\"auth_cpu_us_per_join\":", Num(last_cpu)));
    if (floor_us > 0) {
      json.push_back(absl::StrCat("\"auth_cpu_to_floor_ratio\":",
                                  absl::StrFormat("%.2f", last_cpu / floor_us)));
    }
  }
  if (want("transport")) {
    // gRPC's own share: one real join recorded against enlist-auth, then
    // replayed by the same number of streams against a server that only
    // sends the recorded answers (same TLS, gRPC options and API).
    const int n = agent_counts.back();
    const std::string dir = work + "/transport";
    {
      absl::StatusOr<Running> run = start("transport-record");
      absl::Status recorded = run.ok() ? run->agents->RecordJoin(dir + "/recorded") : run.status();
      if (!recorded.ok()) {
        std::fprintf(stderr, "bench: transport: %s\n", recorded.ToString().c_str());
        return 1;
      }
    }  // the cluster stops here
    const std::string bin = FindBinary(absl::GetFlag(FLAGS_replay_bin),
                                       "tools/bench/enlist-bench-replay-server", argv0);
    absl::StatusOr<Process> server =
        Process::Start({bin, "--data_dir", dir + "/replay", "--recorded", dir + "/recorded"},
                       dir + "/replay.log", absl::GetFlag(FLAGS_auth_cpu));
    absl::StatusOr<std::string> addr =
        server.ok() ? WaitForFile(dir + "/replay/addr", *server, dir + "/replay.log",
                                  "enlist-bench-replay-server")
                    : server.status();
    absl::StatusOr<std::string> ca =
        addr.ok() ? ReadFileCapped(dir + "/replay/ca/tls-ca.crt", 1 << 20) : addr.status();
    absl::StatusOr<ReplayRunResult> r =
        ca.ok() ? RunReplay(*addr, *ca, server->pid(), absl::GetFlag(FLAGS_channels),
                            dir + "/recorded", n)
                : ca.status();
    if (!r.ok()) {
      std::fprintf(stderr, "bench: transport: %s\n", r.status().ToString().c_str());
      return 1;
    }
    std::printf(
        "== transport baseline (one recorded join replayed by %d streams, %d channels, no join "
        "work)\n"
        "   %d errors, %.0f streams/s, p50 %.1f ms, p99 %.1f ms; server %.0f us CPU per join "
        "(clients %.0f us)\n",
        n, absl::GetFlag(FLAGS_channels), r->errors, r->streams_per_second, r->p50_ms, r->p99_ms,
        r->server_cpu_us_per_join, r->clients_cpu_us_per_join);
    if (r->errors > 0) {
      std::printf("   first error: %s\n", r->first_error.c_str());
      rc = 1;
    }
    json.push_back(absl::StrCat(
        "\"transport\":{\"streams\":", n, ",\"errors\":", r->errors,
        ",\"streams_per_s\":", Num(r->streams_per_second), ",\"p50_ms\":", Num(r->p50_ms),
        ",\"p99_ms\":", Num(r->p99_ms), ",\"clients_cpu_us_per_join\":",
        Num(r->clients_cpu_us_per_join), "}"));
    json.push_back(
        absl::StrCat("\"transport_cpu_us_per_join\":", Num(r->server_cpu_us_per_join)));
    if (e2e_ran) {
      json.push_back(absl::StrCat("\"auth_cpu_above_transport_us\":",
                                  Num(last_cpu - r->server_cpu_us_per_join)));
    }
    if (floor_us > 0) {
      json.push_back(absl::StrCat("\"transport_to_floor_ratio\":",
                                  absl::StrFormat("%.2f", r->server_cpu_us_per_join / floor_us)));
    }
    std::fflush(stdout);
  }
  if (want("memory")) {
    absl::StatusOr<Running> run = start("memory");
    if (!run.ok()) {
      std::fprintf(stderr, "bench: %s\n", run.status().ToString().c_str());
      return 1;
    }
    Agents* agents = run->agents.get();
    absl::StatusOr<HeldStreamsResult> m = agents->HoldStreams(absl::GetFlag(FLAGS_held_streams));
    if (!m.ok()) {
      std::fprintf(stderr, "bench: memory: %s\n", m.status().ToString().c_str());
      return 1;
    }
    std::printf(
        "== memory: %d/%d streams waiting at the challenge (opened in %.2f s)\n"
        "   auth RSS %lld KiB -> %lld KiB: %.0f bytes (%.1f KiB) per stream\n",
        m->waiting, m->streams, m->seconds_to_open, static_cast<long long>(m->rss_before_kib),
        static_cast<long long>(m->rss_after_kib), m->bytes_per_stream, m->bytes_per_stream / 1024);
    json.push_back(absl::StrCat("\"held_streams\":", m->streams));
    json.push_back(absl::StrCat("\"held_streams_waiting\":", m->waiting));
    json.push_back(absl::StrCat("\"auth_rss_before_kib\":", m->rss_before_kib));
    json.push_back(absl::StrCat("\"auth_rss_held_kib\":", m->rss_after_kib));
    json.push_back(absl::StrCat("\"auth_bytes_per_waiting_stream\":", Num(m->bytes_per_stream)));
    if (m->waiting < m->streams) rc = 1;
    std::fflush(stdout);
  }
  if (!absl::GetFlag(FLAGS_keep_work_dir)) {
    (void)RunToCompletion({"/bin/rm", "-rf", work}, "/dev/null");
  } else {
    std::printf("work dir kept: %s\n", work.c_str());
  }
  std::printf("{%s}\n", absl::StrJoin(json, ",").c_str());
  return rc;
}

}  // namespace
}  // namespace enlist::bench

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("Enlist join benchmark; see docs/performance.md");
  absl::ParseCommandLine(argc, argv);
  return enlist::bench::Run(argv[0]);
}
