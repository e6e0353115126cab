#include "tools/hardening/azure_cluster.h"

#include <signal.h>
#include <unistd.h>

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "agent/join_client.h"
#include "agent/methods.h"
#include "auth/ca/ssh_cert.h"
#include "auth/ca/x509_issuer.h"
#include "core/config/yaml.h"
#include "core/http/curl_http_client.h"
#include "core/util/file.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace enlist::hardening {
namespace {

using testing::RunCommand;
using testing::Runfile;
using testing::Subprocess;
using testing::WaitFor;

constexpr char kTenant[] = "72f988bf-86f1-41af-91ab-2d7cd011db47";

std::string World() {
  std::string w = absl::StrCat("version: v1\nregion: eastus\ntenants:\n  - id: ", kTenant,
                               "\n    subscriptions: [", kSubscription, "]\nvms:\n");
  for (int i = 1; i <= kVms; ++i) {
    absl::StrAppend(&w, "  - name: vm-", i, "\n    vm_id: a1b2c3d4-0001-4000-8000-",
                    absl::StrFormat("%012d", i), "\n    subscription: ", kSubscription,
                    "\n    resource_group: ", kResourceGroup, "\n    identity: system\n");
  }
  return w;
}

std::string Tokens() {
  return absl::StrCat(
      "kind: token\nversion: v2\nmetadata: {name: ", kAzureToken,
      "}\nspec:\n  roles: [Node]\n  join_method: azure\n  azure:\n    allow:\n"
      "      - subscription: ",
      kSubscription, "\n---\nkind: token\nversion: v2\nmetadata: {name: ", kStrictToken,
      "}\nspec:\n  roles: [Node]\n  join_method: azure\n  azure:\n    strict: true\n"
      "    allow:\n      - subscription: ",
      kSubscription, "\n---\nkind: token\nversion: v2\nmetadata: {name: ", kSecretToken,
      "}\nspec: {roles: [Node], join_method: token, token: {secret: ", kSecret, "}}\n");
}

}  // namespace

std::string LogField(const std::string& log, const std::string& marker, const std::string& key) {
  size_t line = log.rfind(marker);
  if (line == std::string::npos) return "";
  size_t end_of_line = log.find('\n', line);
  size_t at = log.find(absl::StrCat(" ", key, "="), line);
  if (at == std::string::npos || at > end_of_line) return "";
  at += key.size() + 2;
  if (log[at] == '"') {
    size_t close = log.find('"', at + 1);
    return log.substr(at + 1, close - at - 1);
  }
  return log.substr(at, log.find_first_of(" \n", at) - at);
}

absl::StatusOr<std::unique_ptr<AzureCluster>> AzureCluster::Start(const std::string& dir) {
  std::unique_ptr<AzureCluster> c(new AzureCluster(dir));
  absl::Status s = MakeDirs(dir);
  if (!s.ok()) return s;
  s = WriteFileAtomic(dir + "/world.yaml", World());
  if (!s.ok()) return s;
  auto p = Subprocess::Start(
      {Runfile("tools/azure_emulator/enlist-azure-emulator"), "--world", dir + "/world.yaml",
       "--listen", "127.0.0.1:0", "--state-dir", dir + "/emulator"},
      dir + "/emulator.log");
  if (!p.ok()) return p.status();
  c->emulator_ = std::make_unique<Subprocess>(*std::move(p));
  const std::string url_file = dir + "/emulator/url";
  if (!WaitFor([&] { return ReadFileCapped(url_file, 200).ok(); }, absl::Seconds(30))) {
    return absl::DeadlineExceededError(
        absl::StrCat("emulator did not start: ", c->emulator_->Output()));
  }
  c->url_ = std::string(absl::StripAsciiWhitespace(*ReadFileCapped(url_file, 200)));
  return c;
}

AzureCluster::~AzureCluster() = default;  // Subprocess destructors SIGKILL.

absl::Status AzureCluster::WriteAuthConfig(const std::string& extra_yaml,
                                           const std::string& azure_extra, int port) {
  return WriteFileAtomic(
      dir_ + "/auth.yaml",
      absl::StrCat("version: v1\ncluster_name: hardening\nlisten_addr: 127.0.0.1:", port,
                   "\ndiag_addr: 127.0.0.1:0\ndata_dir: ", data_dir(), "\n", extra_yaml,
                   "methods:\n  token: {}\n  azure:\n    sts_url: ", url_,
                   "\n    login_url: ", url_, "\n    arm_endpoint: ", url_,
                   "\n    allow_http: true\n    roots_file: ", dir_,
                   "/emulator/root.pem\n    intermediate_url_prefixes: [\"", url_,
                   "/pkiops/certs/\"]\n", azure_extra));
}

absl::Status AzureCluster::AwaitAuth() {
  const std::string server_file = data_dir() + "/admin/server";
  Subprocess* p = auth_.get();
  bool up = WaitFor(
      [&] {
        if (absl::StrContains(p->Output(), "Auth service started")) return true;
        return false;
      },
      absl::Seconds(30));
  if (!up)
    return absl::DeadlineExceededError(absl::StrCat("enlist-auth did not start: ", p->Output()));
  const std::string out = p->Output();
  server_ = LogField(out, "Auth service started", "listen_addr");
  pin_ = LogField(out, "Auth service started", "ca_pin");
  if (server_.empty() || pin_.empty()) {
    return absl::InternalError(absl::StrCat("no listen_addr/ca_pin in: ", out));
  }
  return absl::OkStatus();
}

absl::Status AzureCluster::StartAuth(const std::string& extra_yaml, const std::string& azure_extra,
                                     int port) {
  absl::Status s = WriteAuthConfig(extra_yaml, azure_extra, port);
  if (!s.ok()) return s;
  return StartAuthWrapped({}, port);
}

absl::Status AzureCluster::StartAuthWrapped(const std::vector<std::string>& wrapper, int port) {
  (void)port;  // the config written last carries it
  auth_.reset();
  std::vector<std::string> argv = wrapper;
  argv.push_back(Runfile("auth/enlist-auth"));
  argv.push_back("--config=" + dir_ + "/auth.yaml");
  auto p = Subprocess::Start(argv, absl::StrCat(dir_, "/auth.", ++auth_starts_, ".log"));
  if (!p.ok()) return p.status();
  auth_ = std::make_unique<Subprocess>(*std::move(p));
  return AwaitAuth();
}

absl::StatusOr<int> AzureCluster::RunAuthExpectingExit(const std::vector<std::string>& wrapper,
                                                       std::string* output,
                                                       absl::Duration timeout) {
  auth_.reset();
  std::vector<std::string> argv = wrapper;
  argv.push_back(Runfile("auth/enlist-auth"));
  argv.push_back("--config=" + dir_ + "/auth.yaml");
  return RunCommand(argv, output, timeout);
}

void AzureCluster::KillAuth() {
  if (auth_ != nullptr) {
    auth_->Signal(SIGKILL);
    (void)auth_->Wait(absl::Seconds(10));
  }
}

absl::Status AzureCluster::StopAuth() {
  if (auth_ == nullptr) return absl::OkStatus();
  auth_->Signal(SIGTERM);
  absl::StatusOr<int> rc = auth_->Wait(absl::Seconds(20));
  if (!rc.ok()) return rc.status();
  if (*rc != 0) return absl::InternalError(absl::StrCat("enlist-auth exited ", *rc));
  return absl::OkStatus();
}

std::string AzureCluster::AuthOutput() const { return auth_ != nullptr ? auth_->Output() : ""; }

int AzureCluster::port() const {
  int port = 0;
  size_t colon = server_.rfind(':');
  if (colon == std::string::npos || !absl::SimpleAtoi(server_.substr(colon + 1), &port)) return 0;
  return port;
}

int AzureCluster::Ctl(std::vector<std::string> args, std::string* out,
                      const std::string& stdin_data) {
  args.insert(args.begin(), {Runfile("tools/enlistctl/enlistctl"), "--data-dir=" + data_dir()});
  auto rc = RunCommand(args, out, absl::Seconds(30), stdin_data);
  return rc.ok() ? *rc : -1;
}

absl::Status AzureCluster::CreateTokens() {
  std::string out;
  int rc = Ctl({"create", "-f", "-"}, &out, Tokens());
  if (rc != 0) return absl::InternalError(absl::StrCat("enlistctl create: ", out));
  return absl::OkStatus();
}

absl::Status AzureCluster::SetFaults(const std::string& target, const std::string& json) {
  http::CurlHttpClient http;
  http::HttpRequest req;
  req.url = absl::StrCat(url_, "/admin/faults/", target);
  req.body = json;
  req.headers = {{"Content-Type", "application/json"}};
  absl::StatusOr<http::HttpResponse> r = http.Post(req);
  if (!r.ok()) return r.status();
  if (r->status != 200) {
    return absl::InternalError(
        absl::StrCat("admin faults ", target, ": HTTP ", r->status, " ", r->body));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> AzureCluster::EmulatorState() {
  http::CurlHttpClient http;
  http::HttpRequest req;
  req.url = absl::StrCat(url_, "/admin/state");
  absl::StatusOr<http::HttpResponse> r = http.Get(req);
  if (!r.ok()) return r.status();
  return r->body;
}

std::string AzureCluster::AgentConfig(const std::string& vm, const std::string& token,
                                      const std::string& azure_extra) {
  const std::string path = absl::StrCat(dir_, "/vms/", vm, ".yaml");
  (void)MakeDirs(dir_ + "/vms");
  (void)WriteFileAtomic(
      path, absl::StrCat("version: v3\nteleport:\n  nodename: ", vm, "\n  data_dir: ",
                         AgentDataDir(vm), "\n  join_params:\n    token_name: ", token,
                         "\n    method: azure\n  auth_server: ", server_,
                         "\nenlist:\n  ca_pin: ", pin_, "\n  azure:\n    imds_url: ", url_, "/vm/",
                         vm, "\n    allow_http: true\n    intermediate_url_prefixes: [\"", url_,
                         "/pkiops/certs/\"]\n", azure_extra));
  return path;
}

int AzureCluster::AgentJoin(const std::string& vm, const std::vector<std::string>& args,
                            std::string* out, absl::Duration timeout) {
  std::vector<std::string> argv = {Runfile("agent/enlist-agent"), "join", "--config",
                                   absl::StrCat(dir_, "/vms/", vm, ".yaml")};
  argv.insert(argv.end(), args.begin(), args.end());
  auto rc = RunCommand(argv, out, timeout);
  return rc.ok() ? *rc : -1;
}

absl::StatusOr<std::unique_ptr<Subprocess>> AzureCluster::StartAgent(
    const std::string& vm, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {Runfile("agent/enlist-agent"), "join", "--config",
                                   absl::StrCat(dir_, "/vms/", vm, ".yaml")};
  argv.insert(argv.end(), args.begin(), args.end());
  auto p = Subprocess::Start(argv, absl::StrCat(dir_, "/vms/", vm, ".log"));
  if (!p.ok()) return p.status();
  return std::make_unique<Subprocess>(*std::move(p));
}

int AzureCluster::AgentStatus(const std::string& vm, std::string* out) {
  auto rc = RunCommand(
      {Runfile("agent/enlist-agent"), "status", "--data-dir", AgentDataDir(vm), "--format", "json"},
      out);
  return rc.ok() ? *rc : -1;
}

std::shared_ptr<grpc::Channel> AzureCluster::Channel(const std::string& tag) const {
  grpc::SslCredentialsOptions o;
  o.pem_root_certs = ReadFileCapped(data_dir() + "/admin/ca.crt", 65536).value_or("");
  grpc::ChannelArguments args;
  // A distinct argument gives a distinct connection per tag.
  args.SetString("enlist.test.connection", tag);
  args.SetMaxReceiveMessageSize(16 << 20);
  args.SetMaxSendMessageSize(16 << 20);
  return grpc::CreateCustomChannel(server_, grpc::SslCredentials(o), args);
}

absl::StatusOr<std::string> AzureCluster::Metrics() const {
  const std::string diag = LogField(AuthOutput(), "Diagnostics listening", "diag_addr");
  if (diag.empty()) return absl::FailedPreconditionError("no diagnostics listener");
  http::CurlHttpClient http;
  http::HttpRequest req;
  req.url = absl::StrCat("http://", diag, "/metrics");
  absl::StatusOr<http::HttpResponse> r = http.Get(req);
  if (!r.ok()) return r.status();
  return r->body;
}

join::v1::ClientInit AzureCluster::Init(const std::string& vm, const std::string& token,
                                        const std::string& method) {
  crypto::EvpPkeyPtr tls = *ca::GenerateP256Key();
  crypto::EvpPkeyPtr ssh = *ca::GenerateEd25519Key();
  join::v1::ClientInit init;
  init.set_join_method(method);
  init.set_token_name(token);
  init.set_role("Node");
  init.mutable_host()->set_host_name(vm);
  init.mutable_host()->set_tls_public_key(*ca::PublicKeyDer(*tls));
  init.mutable_host()->set_ssh_public_key(*ca::SshPublicKeyLine(*ssh, vm));
  return init;
}

std::unique_ptr<join::Solver> AzureCluster::AzureSolver(const std::string& vm,
                                                        const std::string& extra_settings) const {
  static join::AgentRegistry* const kMethods = [] {
    auto* r = new join::AgentRegistry();
    (void)agent::RegisterBuiltinAgentMethods(*r);
    return r;
  }();
  join::SolverOptions o;
  o.settings =
      *config::YamlNode::ParseOne(absl::StrCat("imds_url: ", url_, "/vm/", vm,
                                               "\nallow_http: true\n"
                                               "intermediate_url_prefixes: [\"",
                                               url_, "/pkiops/certs/\"]\n", extra_settings),
                                  "agent.yaml");
  auto solver = (*kMethods->Get("azure"))->NewSolver(o);
  return solver.ok() ? *std::move(solver) : nullptr;
}

absl::StatusOr<join::v1::Result> AzureCluster::Join(const std::string& vm,
                                                    const std::string& token) {
  std::unique_ptr<join::Solver> solver = AzureSolver(vm);
  if (solver == nullptr) return absl::InternalError("no azure solver");
  return agent::RunJoin(Channel(), Init(vm, token), solver.get(), absl::Seconds(30));
}

}  // namespace enlist::hardening
