#include "agent/testing/process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/util/file.h"
#include "gtest/gtest.h"

extern char** environ;

namespace enlist::agent::testing {
namespace {

std::string Read(const std::string& path) {
  auto s = ReadFileCapped(path, 4 << 20);
  return s.ok() ? *s : "";
}

constexpr absl::Duration kPoll = absl::Milliseconds(10);

}  // namespace

std::string RunfilePath(absl::string_view workspace_relative) {
  return absl::StrCat(getenv("TEST_SRCDIR"), "/", getenv("TEST_WORKSPACE"), "/",
                      workspace_relative);
}

std::string NewTestDir(absl::string_view prefix) {
  std::string tmpl = absl::StrCat(getenv("TEST_TMPDIR"), "/", prefix, "-XXXXXX");
  char* dir = mkdtemp(tmpl.data());
  EXPECT_NE(dir, nullptr) << "mkdtemp " << tmpl;
  return tmpl;
}

Process::Process(const std::string& program, const std::vector<std::string>& args) {
  std::string dir = NewTestDir("proc");
  out_path_ = dir + "/stdout";
  err_path_ = dir + "/stderr";
  std::vector<std::string> argv_s = {program};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&fa, 2, err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  int rc = posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  EXPECT_EQ(rc, 0) << "spawn " << program;
  if (rc != 0) done_ = true;
}

Process::~Process() {
  if (pid_ > 0 && !done_) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

int Process::Wait(absl::Duration timeout) {
  if (!done_) {
    absl::Time deadline = absl::Now() + timeout;
    while (waitpid(pid_, &status_, WNOHANG) == 0) {
      if (absl::Now() > deadline) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status_, 0);
        done_ = true;
        return -1;
      }
      absl::SleepFor(kPoll);
    }
    done_ = true;
  }
  return WIFEXITED(status_) ? WEXITSTATUS(status_) : 128 + WTERMSIG(status_);
}

bool Process::WaitForStderr(absl::string_view needle, absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  while (!absl::StrContains(err(), needle)) {
    if (absl::Now() > deadline) return false;
    if (!done_ && waitpid(pid_, &status_, WNOHANG) == pid_) done_ = true;
    if (done_) return absl::StrContains(err(), needle);
    absl::SleepFor(kPoll);
  }
  return true;
}

void Process::Signal(int sig) {
  if (!done_) kill(pid_, sig);
}

std::string Process::out() const { return Read(out_path_); }
std::string Process::err() const { return Read(err_path_); }

int RunProcess(const std::string& program, const std::vector<std::string>& args, std::string* out,
               std::string* err) {
  Process p(program, args);
  int code = p.Wait();
  if (out != nullptr) *out = p.out();
  if (err != nullptr) *err = p.err();
  return code;
}

}  // namespace enlist::agent::testing
