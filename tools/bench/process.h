// A small child-process helper for the benchmark (core/testing/subprocess.h
// is testonly): start a program with its output in a file, read its CPU time
// and memory from /proc, stop it.
#ifndef ENLIST_TOOLS_BENCH_PROCESS_H_
#define ENLIST_TOOLS_BENCH_PROCESS_H_

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace enlist::bench {

// CPU time and memory of one process, from /proc/<pid>/stat and
// /proc/<pid>/status.
struct ProcStats {
  int64_t cpu_us = 0;   // utime + stime, in microseconds
  int64_t rss_kib = 0;  // VmRSS
  int64_t hwm_kib = 0;  // VmHWM (peak RSS)
  int64_t threads = 0;  // Threads
};

// Reads the stats of `pid`. kNotFound when the process is gone,
// kInternal when /proc cannot be parsed.
absl::StatusOr<ProcStats> ReadProcStats(pid_t pid);

// Resets the peak RSS (VmHWM) of `pid` to its current RSS by writing "5" to
// /proc/<pid>/clear_refs. Returns false when the kernel refuses.
bool ResetPeakRss(pid_t pid);

// A child process. Move-only; the destructor stops it (SIGTERM, then
// SIGKILL after 5 s) and reaps it.
class Process {
 public:
  // Starts `argv` (argv[0] a path) with stdout and stderr appended to
  // `log_path`, pinned to CPU `cpu` when it is >= 0. kInternal when fork
  // fails (exec failures show as exit code 127).
  static absl::StatusOr<Process> Start(const std::vector<std::string>& argv,
                                       const std::string& log_path, int cpu = -1);
  Process(Process&& other) noexcept;
  Process& operator=(Process&& other) noexcept;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  ~Process();

  pid_t pid() const { return pid_; }
  // True while the child has not exited (reaps it when it has).
  bool Running();
  // SIGTERM, wait up to `grace_ms`, then SIGKILL; reaps. Idempotent.
  void Stop(int grace_ms = 5000);

 private:
  explicit Process(pid_t pid) : pid_(pid) {}
  pid_t pid_ = -1;
};

// Runs `argv` to completion with output in `log_path`; returns its exit
// code (128 + signal when killed).
absl::StatusOr<int> RunToCompletion(const std::vector<std::string>& argv,
                                    const std::string& log_path);

// Raises RLIMIT_NOFILE's soft limit to the hard limit; returns the new soft
// limit.
int64_t RaiseFileLimit();

}  // namespace enlist::bench

#endif  // ENLIST_TOOLS_BENCH_PROCESS_H_
