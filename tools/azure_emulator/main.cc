// enlist-azure-emulator: a miniature Azure on loopback for tests and the
// demo — IMDS per VM, Entra ID discovery and keys, Microsoft PKI (pkiops)
// and the ARM reads the checker makes, driven by a YAML world file.
//   enlist-azure-emulator --world testdata/emulator/world.yaml
//       --listen 127.0.0.1:0 --state-dir /tmp/emu
// With --state-dir it writes root.pem, vms.tsv, token-rewrite.sed and, last,
// url (so a script waiting for `url` finds the others). SIGTERM/SIGINT stop it.
#include <signal.h>

#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "core/log/logger.h"
#include "core/util/cli_args.h"
#include "core/util/clock.h"
#include "core/util/file.h"
#include "httplib.h"
#include "tools/azure_emulator/emulator.h"
#include "tools/azure_emulator/world.h"

ABSL_FLAG(std::string, world, "", "world file (YAML), e.g. testdata/emulator/world.yaml");
ABSL_FLAG(std::string, listen, "127.0.0.1:0", "loopback address to listen on; port 0: OS-chosen");
ABSL_FLAG(std::string, state_dir, "",
          "directory receiving url, root.pem, vms.tsv and token-rewrite.sed");
ABSL_FLAG(absl::Duration, key_grace, absl::Hours(1),
          "how long rotated-out Entra keys stay in the JWKS");
ABSL_FLAG(std::string, log_format, "text", "text or json");

namespace enlist::azure_emulator {
namespace {

// The host part must be a loopback address: the emulator hands out
// credentials-shaped artifacts and must not be reachable from elsewhere.
absl::Status ParseListen(const std::string& addr, std::string* host, int* port) {
  size_t colon = addr.rfind(':');
  if (colon == std::string::npos) return absl::InvalidArgumentError("--listen: want HOST:PORT");
  *host = addr.substr(0, colon);
  if (host->size() >= 2 && host->front() == '[' && host->back() == ']') {
    *host = host->substr(1, host->size() - 2);
  }
  if (*host != "127.0.0.1" && *host != "::1" && *host != "localhost") {
    return absl::InvalidArgumentError(
        absl::StrCat("--listen: \"", *host, "\" is not a loopback address (127.0.0.1, ::1)"));
  }
  if (*host == "localhost") *host = "127.0.0.1";
  if (!absl::SimpleAtoi(addr.substr(colon + 1), port) || *port < 0 || *port > 65535) {
    return absl::InvalidArgumentError("--listen: bad port");
  }
  return absl::OkStatus();
}

std::string Dash(const std::string& s) { return s.empty() ? "-" : s; }

// One line per VM for scripts: name, identity, client_id, subscription,
// resource group, scale set (name:orchestration), expect, reason, imds url.
std::string VmsTsv(const Emulator& e) {
  std::string out;
  for (const Vm& vm : e.world().vms) {
    std::string client_id;
    if (vm.user_assigned) client_id = e.world().FindIdentity(vm.user_identity)->client_id;
    std::string set;
    if (!vm.scale_set.empty()) {
      const ScaleSet* s = e.world().FindScaleSet(vm.scale_set);
      set = absl::StrCat(s->name, ":",
                         s->orchestration == ScaleSet::Orchestration::kUniform ? "uniform"
                                                                               : "flexible");
    }
    absl::StrAppend(&out, vm.name, "\t", vm.user_assigned ? "user" : "system", "\t",
                    Dash(client_id), "\t", vm.subscription, "\t", vm.resource_group, "\t",
                    Dash(set), "\t", vm.expect, "\t", Dash(vm.expect_reason), "\t",
                    e.ImdsUrl(vm.name), "\n");
  }
  return out;
}

std::string RewriteSed(const World& w) {
  std::string out;
  for (const auto& [from, to] : w.token_rewrite) absl::StrAppend(&out, "s/", from, "/", to, "/g\n");
  return out;
}

int Run(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "a miniature Azure (IMDS, Entra ID, pkiops, ARM) on loopback; see docs/emulator.md");
  std::vector<std::string> storage;
  std::vector<char*> args = NormalizeFlags(argc, argv, &storage);
  absl::ParseCommandLine(static_cast<int>(args.size()), args.data());
  log::Format format = log::Format::kText;
  if (!log::ParseFormat(absl::GetFlag(FLAGS_log_format), &format)) {
    std::fprintf(stderr, "enlist-azure-emulator: --log-format: text or json\n");
    return 2;
  }
  log::Logger logger(format);
  auto fail = [&](absl::string_view what, const absl::Status& s) {
    logger.Error(what, {{"error", std::string(s.message())}});
    return 1;
  };
  if (absl::GetFlag(FLAGS_world).empty()) {
    std::fprintf(stderr, "enlist-azure-emulator: --world is required\n");
    return 2;
  }
  std::string host;
  int port = 0;
  absl::Status ok = ParseListen(absl::GetFlag(FLAGS_listen), &host, &port);
  if (!ok.ok()) return fail("bad flags", ok);
  absl::StatusOr<World> world = LoadWorldFile(absl::GetFlag(FLAGS_world));
  if (!world.ok()) return fail("loading world file", world.status());

  // Stop on SIGTERM/SIGINT: block them here (threads inherit the mask) and
  // wait for them on one thread.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);

  httplib::Server server;
  server.set_payload_max_length(kMaxBodySize);
  const int bound = port == 0 ? server.bind_to_any_port(host) : (server.bind_to_port(host, port) ? port : -1);
  if (bound <= 0) {
    return fail("listening", absl::UnavailableError(absl::StrCat(
                                 "cannot bind ", absl::GetFlag(FLAGS_listen))));
  }
  const std::string url = absl::StrCat("http://", host == "::1" ? "[::1]" : host, ":", bound);
  EmulatorOptions options;
  options.base_url = url;
  options.key_grace = absl::GetFlag(FLAGS_key_grace);
  absl::StatusOr<std::unique_ptr<Emulator>> emu =
      Emulator::Create(*std::move(world), options, &RealClock::Get());
  if (!emu.ok()) return fail("starting emulator", emu.status());
  Emulator* e = emu->get();

  auto handler = [e, &logger](const httplib::Request& req, httplib::Response& res) {
    Request r;
    r.method = req.method;
    r.path = req.path;
    for (const auto& [k, v] : req.params) r.query.emplace(k, v);
    for (const auto& [k, v] : req.headers) r.headers.emplace(absl::AsciiStrToLower(k), v);
    r.body = req.body;
    Response out = e->Handle(r);
    if (out.delay > absl::ZeroDuration()) absl::SleepFor(out.delay);
    res.status = out.status;
    for (const auto& [k, v] : out.headers) res.set_header(k, v);
    res.set_content(out.body, out.content_type);
    logger.Info("request", {{"method", req.method}, {"path", req.path.substr(0, 200)},
                            {"status", absl::StrCat(out.status)}});
  };
  server.Get(".*", handler);
  server.Post(".*", handler);
  server.Put(".*", handler);
  server.Delete(".*", handler);

  const std::string state = absl::GetFlag(FLAGS_state_dir);
  if (!state.empty()) {
    absl::Status s = MakeDirs(state);
    if (s.ok()) s = WriteFileAtomic(state + "/root.pem", e->root_pem(), 0644);
    if (s.ok()) s = WriteFileAtomic(state + "/vms.tsv", VmsTsv(*e), 0644);
    if (s.ok()) s = WriteFileAtomic(state + "/token-rewrite.sed", RewriteSed(e->world()), 0644);
    if (s.ok()) s = WriteFileAtomic(state + "/url", url + "\n", 0644);
    if (!s.ok()) return fail("writing state dir", s);
  }
  std::thread stopper([&server, sigs]() {
    int sig = 0;
    sigwait(&sigs, &sig);
    server.stop();
  });
  logger.Info("Azure emulator started",
              {{"url", url}, {"vms", absl::StrCat(e->world().vms.size())},
               {"state_dir", state}});
  std::printf("%s\n", url.c_str());
  std::fflush(stdout);
  server.listen_after_bind();
  // listen_after_bind returns after stop(); if it returned on its own, wake
  // the stopper so the process can exit.
  if (server.is_running() == false) kill(getpid(), SIGTERM);
  stopper.join();
  logger.Info("Azure emulator stopped");
  return 0;
}

}  // namespace
}  // namespace enlist::azure_emulator

int main(int argc, char** argv) { return enlist::azure_emulator::Run(argc, argv); }
