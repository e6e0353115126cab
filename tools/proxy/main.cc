// enlist-proxy: accepts agents' join streams on its own TLS listener and
// forwards each to a healthy auth server, stamping the agent's address
// (docs/high-availability.md).
#include <signal.h>

#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "core/log/logger.h"
#include "core/util/cli_args.h"
#include "core/util/file.h"
#include "grpcpp/grpcpp.h"
#include "tools/proxy/join_proxy.h"
#include "tools/proxy/upstream_pool.h"

ABSL_FLAG(std::string, listen_addr, "127.0.0.1:3080", "host:port for agents; port 0 picks one");
ABSL_FLAG(std::string, auth_servers, "", "comma-separated host:port of the auth servers");
ABSL_FLAG(std::string, identity_dir, "",
          "directory with proxy.crt, proxy.key and ca.crt (an auth server's <data_dir>/proxy)");
ABSL_FLAG(std::string, log_format, "text", "text or json");
ABSL_FLAG(int, max_streams, 10000,
          "join streams open at once; more are refused (RESOURCE_EXHAUSTED)");
ABSL_FLAG(absl::Duration, max_stream_duration, absl::Seconds(60),
          "longest life of one join stream (the agent's own deadline may be shorter)");
ABSL_FLAG(int, max_message_bytes, 256 * 1024,
          "largest message accepted from an agent or auth server");
ABSL_FLAG(absl::Duration, health_interval, absl::Seconds(2),
          "longest wait between looks at a quiet upstream's connection");
ABSL_FLAG(absl::Duration, max_backoff, absl::Seconds(2),
          "cap of the reconnect backoff (from 100ms, x1.6, +-20% jitter) to a down auth server");

namespace {

int Fail(const std::string& message) {
  std::cerr << "enlist-proxy: " << message << "\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("enlist-proxy --auth-servers A,B --identity-dir DIR [flags]");
  std::vector<std::string> storage;
  std::vector<char*> args = enlist::NormalizeFlags(argc, argv, &storage);
  absl::ParseCommandLine(static_cast<int>(args.size()), args.data());

  enlist::log::Format format;
  if (!enlist::log::ParseFormat(absl::GetFlag(FLAGS_log_format), &format)) {
    return Fail("--log-format: expected text or json");
  }
  const std::string dir = absl::GetFlag(FLAGS_identity_dir);
  if (dir.empty()) return Fail("--identity-dir is required");
  enlist::proxy::UpstreamPoolOptions po;
  po.health_interval = absl::GetFlag(FLAGS_health_interval);
  po.max_backoff = absl::GetFlag(FLAGS_max_backoff);
  po.max_message_bytes = absl::GetFlag(FLAGS_max_message_bytes);
  enlist::proxy::JoinProxyOptions jo;
  jo.max_streams = absl::GetFlag(FLAGS_max_streams);
  jo.max_stream_duration = absl::GetFlag(FLAGS_max_stream_duration);
  jo.max_message_bytes = absl::GetFlag(FLAGS_max_message_bytes);
  if (jo.max_streams <= 0 || jo.max_stream_duration <= absl::ZeroDuration()) {
    return Fail("--max-streams and --max-stream-duration must be positive");
  }
  for (absl::string_view a :
       absl::StrSplit(absl::GetFlag(FLAGS_auth_servers), ',', absl::SkipEmpty())) {
    po.addresses.emplace_back(a);
  }
  for (auto [path, out] : {std::pair{"ca.crt", &po.ca_pem}, std::pair{"proxy.crt", &po.cert_pem},
                           std::pair{"proxy.key", &po.key_pem}}) {
    absl::StatusOr<std::string> pem =
        enlist::ReadFileCapped(absl::StrCat(dir, "/", path), 256 * 1024);
    if (!pem.ok()) return Fail(absl::StrCat("--identity-dir: ", pem.status().message()));
    *out = *std::move(pem);
  }

  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  enlist::log::Logger logger(format, enlist::log::Level::kInfo);
  absl::StatusOr<std::unique_ptr<enlist::proxy::UpstreamPool>> pool =
      enlist::proxy::UpstreamPool::Create(po);
  if (!pool.ok()) return Fail(std::string(pool.status().message()));
  enlist::proxy::JoinProxyService service(pool->get(), &logger, jo);
  int port = 0;
  absl::StatusOr<std::unique_ptr<grpc::Server>> server = enlist::proxy::StartJoinProxyServer(
      absl::GetFlag(FLAGS_listen_addr), po.cert_pem, po.key_pem, &service, &port);
  if (!server.ok()) return Fail(std::string(server.status().message()));
  std::string host = absl::GetFlag(FLAGS_listen_addr);
  host = host.substr(0, host.rfind(':'));
  logger.Info("Proxy started", {{"listen_addr", absl::StrCat(host, ":", port)},
                                {"auth_servers", absl::GetFlag(FLAGS_auth_servers)}});
  int sig = 0;
  sigwait(&stop, &sig);
  logger.Info("Shutting down", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
  (*server)->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  (*server)->Wait();
  logger.Info("Proxy stopped", {{"forwarded", absl::StrCat(service.forwarded())},
                                {"unavailable", absl::StrCat(service.unavailable())},
                                {"refused", absl::StrCat(service.refused())}});
  return 0;
}
