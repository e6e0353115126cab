// Simulated agents in this process against a running Cluster: N concurrent
// Azure joins through agent/public JoinClient (real TLS, several channels,
// IMDS answered by the emulator), and streams held open at the challenge.
#ifndef ENLIST_TOOLS_BENCH_AGENTS_H_
#define ENLIST_TOOLS_BENCH_AGENTS_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "tools/bench/cluster.h"

namespace enlist::bench {

// One end-to-end run.
struct JoinRunResult {
  int agents = 0;
  int channels = 0;
  int ok = 0;
  int errors = 0;
  std::string first_error;  // "" when none
  double seconds = 0;
  double joins_per_second = 0;
  double p50_ms = 0, p90_ms = 0, p99_ms = 0, max_ms = 0;
  double auth_cpu_us_per_join = 0;
  double emulator_cpu_us_per_join = 0;
  // This process (the simulated agents: TLS, gRPC, IMDS HTTP) per join.
  double agents_cpu_us_per_join = 0;
  int64_t auth_peak_rss_kib = 0;  // VmHWM after the run (reset before it)
  int64_t auth_threads = 0;
};

// Memory with streams parked at the challenge step.
struct HeldStreamsResult {
  int streams = 0;  // asked for
  int waiting = 0;  // that reached the challenge
  int64_t rss_before_kib = 0, rss_after_kib = 0;
  double bytes_per_stream = 0;
  double seconds_to_open = 0;
};

// The transport-baseline run: N streams replaying one recorded join's
// client messages against enlist-bench-replay-server.
struct ReplayRunResult {
  int streams = 0;
  int ok = 0;
  int errors = 0;
  std::string first_error;  // "" when none
  double seconds = 0;
  double streams_per_second = 0;
  double p50_ms = 0, p99_ms = 0;
  double server_cpu_us_per_join = 0;
  double clients_cpu_us_per_join = 0;
};

class Agents {
 public:
  // Builds `channels` TLS channels (each its own connection) to the cluster
  // and the Azure agent method whose IMDS is the emulator. IMDS token and
  // intermediate-CA answers are cached per URL in this process, as IMDS
  // and agents do (only documents are per join); at most `imds_in_flight`
  // IMDS requests run at once. `scratch_dir` holds the simulated agents'
  // host keys (one key pair shared by all).
  static absl::StatusOr<std::unique_ptr<Agents>> Create(Cluster* cluster, int channels,
                                                        int imds_in_flight,
                                                        const std::string& scratch_dir);
  ~Agents();

  // Starts `n` joins at once (agent i uses VM i % vms, channel i %
  // channels) and waits for all of them (timeout per join: 60 s).
  absl::StatusOr<JoinRunResult> RunJoins(int n);

  // Opens `n` join streams that send ClientInit and wait at the server's
  // challenge; measures the auth server's RSS; then cancels them and waits
  // until the server is idle again.
  absl::StatusOr<HeldStreamsResult> HoldStreams(int n);

  // Runs one real join through a raw stream (agent i = 0) and writes its
  // five messages, serialized, to `dir` (client_init.pb, server_init.pb,
  // challenge.pb, solution.pb, result.pb) for RunReplay and
  // enlist-bench-replay-server.
  absl::Status RecordJoin(const std::string& dir);

  struct State;

 private:
  explicit Agents(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// Starts `n` streams at once over `channels` TLS connections to the replay
// server at `addr` (trusting `ca_pem`), each sending the recorded ClientInit
// and Solution from `recorded_dir` and reading the three server messages;
// waits for all of them. Server CPU per stream is read from `server_pid`.
absl::StatusOr<ReplayRunResult> RunReplay(const std::string& addr, const std::string& ca_pem,
                                          pid_t server_pid, int channels,
                                          const std::string& recorded_dir, int n);

// Waits until `pid` used less than 2 ms of CPU over 200 ms (at most
// `max_seconds`).
void WaitIdle(pid_t pid, double max_seconds);

}  // namespace enlist::bench

#endif  // ENLIST_TOOLS_BENCH_AGENTS_H_
