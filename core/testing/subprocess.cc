#include "core/testing/subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace enlist::testing {
namespace {

int DecodeStatus(int st) {
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
  return -1;
}

std::vector<char*> Argv(const std::vector<std::string>& argv) {
  std::vector<char*> out;
  for (const auto& a : argv) out.push_back(const_cast<char*>(a.c_str()));
  out.push_back(nullptr);
  return out;
}

}  // namespace

absl::StatusOr<Subprocess> Subprocess::Start(const std::vector<std::string>& argv,
                                             const std::string& log_path) {
  int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return absl::UnavailableError(absl::StrCat("open ", log_path, ": ", std::strerror(errno)));
  std::vector<char*> args = Argv(argv);
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fd);
    return absl::UnavailableError("fork failed");
  }
  if (pid == 0) {
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, 0);
    // The child must not inherit the test's blocked signals.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execv(args[0], args.data());
    std::fprintf(stderr, "exec %s: %s\n", args[0], std::strerror(errno));
    ::_exit(127);
  }
  ::close(fd);
  return Subprocess(pid, log_path);
}

Subprocess::Subprocess(Subprocess&& o) noexcept : pid_(o.pid_), log_path_(std::move(o.log_path_)) {
  o.pid_ = -1;
}

Subprocess& Subprocess::operator=(Subprocess&& o) noexcept {
  if (this != &o) {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    pid_ = o.pid_;
    log_path_ = std::move(o.log_path_);
    o.pid_ = -1;
  }
  return *this;
}

Subprocess::~Subprocess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

void Subprocess::Signal(int sig) {
  if (pid_ > 0) ::kill(pid_, sig);
}

absl::StatusOr<int> Subprocess::Wait(absl::Duration timeout) {
  if (pid_ <= 0) return absl::FailedPreconditionError("subprocess: not running");
  absl::Time end = absl::Now() + timeout;
  for (;;) {
    int st = 0;
    pid_t r = ::waitpid(pid_, &st, WNOHANG);
    if (r == pid_) {
      pid_ = -1;
      return DecodeStatus(st);
    }
    if (absl::Now() >= end) return absl::DeadlineExceededError("subprocess: still running");
    absl::SleepFor(absl::Milliseconds(10));
  }
}

std::string Subprocess::Output() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

absl::StatusOr<int> RunCommand(const std::vector<std::string>& argv, std::string* output,
                               absl::Duration timeout, const std::string& stdin_data) {
  int in_pipe[2], out_pipe[2];
  if (::pipe2(in_pipe, O_CLOEXEC) != 0 || ::pipe2(out_pipe, O_CLOEXEC) != 0) {
    return absl::UnavailableError("pipe failed");
  }
  std::vector<char*> args = Argv(argv);
  pid_t pid = ::fork();
  if (pid < 0) return absl::UnavailableError("fork failed");
  if (pid == 0) {
    ::dup2(in_pipe[0], 0);
    ::dup2(out_pipe[1], 1);
    ::dup2(out_pipe[1], 2);
    ::execv(args[0], args.data());
    std::fprintf(stderr, "exec %s: %s\n", args[0], std::strerror(errno));
    ::_exit(127);
  }
  ::close(in_pipe[0]);
  ::close(out_pipe[1]);
  if (!stdin_data.empty()) {
    // A child may exit before reading all of it (a size cap): the write then
    // fails with EPIPE, and the SIGPIPE it raises must not end this process.
    sigset_t pipe_set, old_set;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
    size_t done = 0;
    while (done < stdin_data.size()) {
      ssize_t n = ::write(in_pipe[1], stdin_data.data() + done, stdin_data.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    const timespec zero = {0, 0};
    while (sigtimedwait(&pipe_set, nullptr, &zero) == SIGPIPE) {
    }
    pthread_sigmask(SIG_SETMASK, &old_set, nullptr);
  }
  ::close(in_pipe[1]);
  std::string out;
  char buf[4096];
  absl::Time end = absl::Now() + timeout;
  ::fcntl(out_pipe[0], F_SETFL, O_NONBLOCK);
  int st = 0;
  bool exited = false;
  for (;;) {
    ssize_t n = ::read(out_pipe[0], buf, sizeof(buf));
    if (n > 0) {
      out.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n == 0 && exited) break;
    if (!exited && ::waitpid(pid, &st, WNOHANG) == pid) {
      exited = true;
      continue;
    }
    if (n == 0) break;
    if (absl::Now() > end) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &st, 0);
      ::close(out_pipe[0]);
      *output = out;
      return absl::DeadlineExceededError(absl::StrCat(argv[0], ": timed out"));
    }
    absl::SleepFor(absl::Milliseconds(5));
  }
  ::close(out_pipe[0]);
  if (!exited) ::waitpid(pid, &st, 0);
  *output = out;
  return DecodeStatus(st);
}

bool WaitFor(const std::function<bool()>& condition, absl::Duration timeout) {
  absl::Time end = absl::Now() + timeout;
  while (!condition()) {
    if (absl::Now() > end) return false;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return true;
}

std::string Runfile(const std::string& rel) {
  const char* dir = std::getenv("TEST_SRCDIR");
  const char* ws = std::getenv("TEST_WORKSPACE");
  if (dir == nullptr) return rel;
  return absl::StrCat(dir, "/", ws != nullptr ? ws : "enlist", "/", rel);
}

}  // namespace enlist::testing
