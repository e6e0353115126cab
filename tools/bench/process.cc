#include "tools/bench/process.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"

namespace enlist::bench {
namespace {

pid_t Spawn(const std::vector<std::string>& argv, const std::string& log_path, int cpu) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return -1;
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid == 0) {
    // A bench that dies (a crash, SIGKILL) takes its servers with it.
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(127);
    dup2(fd, 1);
    dup2(fd, 2);
    const int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd >= 0) dup2(null_fd, 0);
    // The child starts with the default signal mask and dispositions.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    if (cpu >= 0) {
      cpu_set_t set;
      CPU_ZERO(&set);
      CPU_SET(cpu, &set);
      sched_setaffinity(0, sizeof(set), &set);
    }
    execv(args[0], args.data());
    _exit(127);
  }
  close(fd);
  return pid;
}

}  // namespace

absl::StatusOr<ProcStats> ReadProcStats(pid_t pid) {
  ProcStats s;
  std::ifstream stat(absl::StrCat("/proc/", pid, "/stat"));
  std::string line;
  if (!stat || !std::getline(stat, line)) {
    return absl::NotFoundError(absl::StrCat("proc stats: process ", pid, " is gone"));
  }
  // Fields after the command name (which may hold spaces) start at ')'.
  const size_t close = line.rfind(')');
  if (close == std::string::npos) return absl::InternalError("proc stats: bad stat line");
  std::vector<absl::string_view> f =
      absl::StrSplit(absl::string_view(line).substr(close + 2), ' ', absl::SkipEmpty());
  // f[0] is field 3 (state): utime is field 14, stime field 15.
  int64_t utime = 0, stime = 0;
  if (f.size() < 13 || !absl::SimpleAtoi(f[11], &utime) || !absl::SimpleAtoi(f[12], &stime)) {
    return absl::InternalError("proc stats: bad stat fields");
  }
  const int64_t hz = sysconf(_SC_CLK_TCK);
  s.cpu_us = (utime + stime) * 1000000 / hz;
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  while (std::getline(status, line)) {
    auto field = [&](absl::string_view name, int64_t* out) {
      if (!absl::StartsWith(line, name)) return;
      absl::string_view v = absl::StripAsciiWhitespace(absl::string_view(line).substr(name.size()));
      v = v.substr(0, v.find(' '));
      absl::SimpleAtoi(v, out);
    };
    field("VmRSS:", &s.rss_kib);
    field("VmHWM:", &s.hwm_kib);
    field("Threads:", &s.threads);
  }
  return s;
}

bool ResetPeakRss(pid_t pid) {
  std::ofstream f(absl::StrCat("/proc/", pid, "/clear_refs"));
  f << "5";
  f.flush();
  return static_cast<bool>(f);
}

absl::StatusOr<Process> Process::Start(const std::vector<std::string>& argv,
                                       const std::string& log_path, int cpu) {
  if (argv.empty()) return absl::InvalidArgumentError("process: empty argv");
  const pid_t pid = Spawn(argv, log_path, cpu);
  if (pid < 0) {
    return absl::InternalError(absl::StrCat("process: starting ", argv[0], ": ", strerror(errno)));
  }
  return Process(pid);
}

Process::Process(Process&& other) noexcept : pid_(std::exchange(other.pid_, -1)) {}

Process& Process::operator=(Process&& other) noexcept {
  if (this != &other) {
    Stop();
    pid_ = std::exchange(other.pid_, -1);
  }
  return *this;
}

Process::~Process() { Stop(); }

bool Process::Running() {
  if (pid_ < 0) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

void Process::Stop(int grace_ms) {
  if (pid_ < 0) return;
  kill(pid_, SIGTERM);
  const absl::Time deadline = absl::Now() + absl::Milliseconds(grace_ms);
  int status = 0;
  while (waitpid(pid_, &status, WNOHANG) == 0) {
    if (absl::Now() > deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      break;
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  pid_ = -1;
}

absl::StatusOr<int> RunToCompletion(const std::vector<std::string>& argv,
                                    const std::string& log_path) {
  if (argv.empty()) return absl::InvalidArgumentError("process: empty argv");
  const pid_t pid = Spawn(argv, log_path, -1);
  if (pid < 0) {
    return absl::InternalError(absl::StrCat("process: starting ", argv[0], ": ", strerror(errno)));
  }
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return absl::InternalError("process: waitpid failed");
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

int64_t RaiseFileLimit() {
  rlimit r{};
  if (getrlimit(RLIMIT_NOFILE, &r) != 0) return -1;
  if (r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    setrlimit(RLIMIT_NOFILE, &r);
    getrlimit(RLIMIT_NOFILE, &r);
  }
  return static_cast<int64_t>(r.rlim_cur);
}

}  // namespace enlist::bench
