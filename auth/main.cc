// enlist-auth: the auth server. A thin main over the public API
// (auth/public/): config, built-in methods, AuthServer.
#include <malloc.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "auth/public/auth_server.h"
#include "auth/public/builtin_methods.h"
#include "auth/public/config.h"
#include "core/util/cli_args.h"
#include "core/util/file.h"

ABSL_FLAG(std::string, config, "", "path of the YAML config file (optional)");
ABSL_FLAG(std::string, data_dir, "", "data directory (overrides the config)");
ABSL_FLAG(std::string, listen_addr, "", "host:port to serve on, port 0 picks one (overrides the config)");
ABSL_FLAG(std::string, cluster_name, "", "cluster name (overrides the config)");
ABSL_FLAG(std::string, log_format, "", "text or json (overrides the config)");
ABSL_FLAG(std::string, log_level, "", "debug, info, warn or error (overrides the config)");
ABSL_FLAG(std::string, host_cert_ttl, "", "lifetime of issued host certificates, e.g. 8h");

namespace {

int Fail(const std::string& msg) {
  std::fprintf(stderr, "enlist-auth: %s\n", msg.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  // Debian's Abseil is built without NDEBUG, so every Mutex acquisition
  // would also update a global lock-order graph (a debugging aid; ~2-6% of
  // the server's CPU per join in tools/bench). Tests, which run the same
  // code in-process, keep the check.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  // glibc's malloc shrinks a thread arena as soon as its free top exceeds
  // 128 KiB and grows it again in small steps: in tools/bench's 1000-agent
  // run ~1.9 mprotect calls per join (~1% of the server's CPU), 0.1 with
  // these settings. Keep up to 64 MiB free per arena and grow in 8 MiB
  // steps. GLIBC_TUNABLES, when set, wins.
  if (std::getenv("GLIBC_TUNABLES") == nullptr) {
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
    mallopt(M_TOP_PAD, 8 << 20);
  }
  absl::SetProgramUsageMessage("enlist-auth [--config FILE] [flags]: the Enlist auth server");
  std::vector<std::string> storage;
  std::vector<char*> args = enlist::NormalizeFlags(argc, argv, &storage);
  absl::ParseCommandLine(static_cast<int>(args.size()), args.data());
  using enlist::auth::AuthConfig;

  AuthConfig config;
  if (!absl::GetFlag(FLAGS_config).empty()) {
    const std::string path = absl::GetFlag(FLAGS_config);
    absl::StatusOr<std::string> text = enlist::ReadFileCapped(path, 1 << 20);
    if (!text.ok()) return Fail(std::string(text.status().message()));
    absl::StatusOr<AuthConfig> parsed = enlist::auth::ParseAuthConfig(*text, path);
    if (!parsed.ok()) return Fail(std::string(parsed.status().message()));
    config = *std::move(parsed);
  }
  if (!absl::GetFlag(FLAGS_data_dir).empty()) config.data_dir = absl::GetFlag(FLAGS_data_dir);
  if (!absl::GetFlag(FLAGS_listen_addr).empty()) config.listen_addr = absl::GetFlag(FLAGS_listen_addr);
  if (!absl::GetFlag(FLAGS_cluster_name).empty()) config.cluster_name = absl::GetFlag(FLAGS_cluster_name);
  if (!absl::GetFlag(FLAGS_log_format).empty() &&
      !enlist::log::ParseFormat(absl::GetFlag(FLAGS_log_format), &config.log_format)) {
    return Fail("--log-format: expected text or json");
  }
  if (!absl::GetFlag(FLAGS_log_level).empty() &&
      !enlist::log::ParseLevel(absl::GetFlag(FLAGS_log_level), &config.log_level)) {
    return Fail("--log-level: expected debug, info, warn or error");
  }
  if (!absl::GetFlag(FLAGS_host_cert_ttl).empty() &&
      !enlist::auth::ParseDurationText(absl::GetFlag(FLAGS_host_cert_ttl), &config.host_cert_ttl)) {
    return Fail("--host-cert-ttl: expected a duration such as 8h");
  }

  // Block the stop signals before any thread starts; sigwait takes them.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  enlist::log::Logger logger(config.log_format, config.log_level);
  enlist::join::AuthRegistry methods;
  absl::Status reg = enlist::auth::RegisterBuiltinAuthMethods(methods);
  if (!reg.ok()) return Fail(std::string(reg.message()));
  absl::StatusOr<std::unique_ptr<enlist::auth::AuthServer>> server =
      enlist::auth::AuthServer::Start(config, &methods, &logger);
  if (!server.ok()) return Fail(std::string(server.status().message()));

  int sig = 0;
  sigwait(&stop, &sig);
  logger.Info("Shutting down", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
  (*server)->Shutdown(absl::Seconds(10));
  return 0;
}
