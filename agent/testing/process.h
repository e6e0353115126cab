// Runs a program of the test's runfiles as a child process with stdout and
// stderr captured in files, for tests of the real binaries. Waits poll the
// child (and its output) against a deadline; nothing sleeps blindly.
#ifndef ENLIST_AGENT_TESTING_PROCESS_H_
#define ENLIST_AGENT_TESTING_PROCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace enlist::agent::testing {

// "$TEST_SRCDIR/$TEST_WORKSPACE/<path>": a data dependency of the test.
std::string RunfilePath(absl::string_view workspace_relative);

// A fresh directory under $TEST_TMPDIR ("<prefix>-XXXXXX").
std::string NewTestDir(absl::string_view prefix);

class Process {
 public:
  // Starts `program` with `args`. A failed spawn is a test failure.
  Process(const std::string& program, const std::vector<std::string>& args);
  // Kills the child if it is still running.
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  // Waits for the exit code (128 + signal when killed by one); after
  // `timeout` the child is killed and -1 returned.
  int Wait(absl::Duration timeout = absl::Seconds(60));
  // Waits until stderr contains `needle`; false after `timeout` or when the
  // child exited without writing it.
  bool WaitForStderr(absl::string_view needle, absl::Duration timeout = absl::Seconds(60));
  void Signal(int sig);

  std::string out() const;
  std::string err() const;

 private:
  pid_t pid_ = -1;
  bool done_ = false;
  int status_ = 0;
  std::string out_path_, err_path_;
};

// Runs to completion; returns the exit code and fills `out` / `err`.
int RunProcess(const std::string& program, const std::vector<std::string>& args,
               std::string* out = nullptr, std::string* err = nullptr);

}  // namespace enlist::agent::testing

#endif  // ENLIST_AGENT_TESTING_PROCESS_H_
