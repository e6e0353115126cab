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
  for (absl::string_view a : absl::StrSplit(absl::GetFlag(FLAGS_auth_servers), ',', absl::SkipEmpty())) {
    po.addresses.emplace_back(a);
  }
  for (auto [path, out] : {std::pair{"ca.crt", &po.ca_pem}, std::pair{"proxy.crt", &po.cert_pem},
                           std::pair{"proxy.key", &po.key_pem}}) {
    absl::StatusOr<std::string> pem = enlist::ReadFileCapped(absl::StrCat(dir, "/", path), 256 * 1024);
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
  enlist::proxy::JoinProxyService service(pool->get());

  // Agents join without a client certificate; the proxy's chain ends with
  // the cluster CA so they can check their pin.
  grpc::SslServerCredentialsOptions ssl(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  ssl.pem_key_cert_pairs.push_back({po.key_pem, po.cert_pem});
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(absl::GetFlag(FLAGS_listen_addr), grpc::SslServerCredentials(ssl), &port);
  builder.SetMaxReceiveMessageSize(256 * 1024);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    return Fail(absl::StrCat("listen ", absl::GetFlag(FLAGS_listen_addr), ": cannot bind"));
  }
  std::string host = absl::GetFlag(FLAGS_listen_addr);
  host = host.substr(0, host.rfind(':'));
  logger.Info("Proxy started", {{"listen_addr", absl::StrCat(host, ":", port)},
                                {"auth_servers", absl::GetFlag(FLAGS_auth_servers)}});
  int sig = 0;
  sigwait(&stop, &sig);
  logger.Info("Shutting down", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
  server->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  server->Wait();
  logger.Info("Proxy stopped",
              {{"forwarded", absl::StrCat(service.forwarded())},
               {"unavailable", absl::StrCat(service.unavailable())}});
  return 0;
}
