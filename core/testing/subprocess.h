// Runs the project's real binaries from tests: start, wait for a condition
// with a deadline, signal, collect output. testonly.
#ifndef ENLIST_CORE_TESTING_SUBPROCESS_H_
#define ENLIST_CORE_TESTING_SUBPROCESS_H_

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace enlist::testing {

// A child process whose stdout and stderr go to one log file.
class Subprocess {
 public:
  // Starts `argv` (argv[0] is a path). `log_path` receives its output.
  static absl::StatusOr<Subprocess> Start(const std::vector<std::string>& argv,
                                          const std::string& log_path);
  Subprocess(Subprocess&& o) noexcept;
  Subprocess& operator=(Subprocess&& o) noexcept;
  // Kills (SIGKILL) a still-running child.
  ~Subprocess();

  pid_t pid() const { return pid_; }
  // Sends `sig`.
  void Signal(int sig);
  // Waits up to `timeout` for exit; returns the exit status (0..255, or
  // 128+signal), kDeadlineExceeded if still running.
  absl::StatusOr<int> Wait(absl::Duration timeout);
  // The output so far.
  std::string Output() const;

 private:
  Subprocess(pid_t pid, std::string log) : pid_(pid), log_path_(std::move(log)) {}
  pid_t pid_ = -1;
  std::string log_path_;
};

// Runs `argv` to completion (at most `timeout`) with `stdin_data`; returns
// the exit status and fills `output` with stdout+stderr.
absl::StatusOr<int> RunCommand(const std::vector<std::string>& argv, std::string* output,
                               absl::Duration timeout = absl::Seconds(30),
                               const std::string& stdin_data = "");

// Polls `condition` every 20 ms until it holds or `timeout` passes.
bool WaitFor(const std::function<bool()>& condition, absl::Duration timeout);

// Path of a runfile (a `data` dependency), e.g. "auth/enlist-auth".
std::string Runfile(const std::string& workspace_relative);

}  // namespace enlist::testing

#endif  // ENLIST_CORE_TESTING_SUBPROCESS_H_
