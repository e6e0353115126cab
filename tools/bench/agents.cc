#include "tools/bench/agents.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "agent/keys.h"
#include "agent/public/join_client.h"
#include "core/config/yaml.h"
#include "core/http/curl_http_client.h"
#include "core/join/registry.h"
#include "core/join/solver.h"
#include "core/util/file.h"
#include "core/util/status_macros.h"
#include "grpcpp/channel.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/client_callback.h"
#include "methods/azure/agent/azure_agent_method.h"
#include "proto/join/v1/join.grpc.pb.h"
#include "tools/bench/bench_world.h"

namespace enlist::bench {
namespace {

using enlist::join::v1::JoinRequest;
using enlist::join::v1::JoinResponse;

// Caches 200 answers of IMDS token and pkiops GETs by URL: IMDS caches a
// managed identity's token (~24 h) and intermediates rarely change, so only
// the attested document (which carries the join's nonce) is signed per join.
// At most `max_in_flight` requests reach the emulator at once: every real VM
// has its own IMDS, and bursts from one process overflow the emulator's
// listen backlog (cpp-httplib's compiled-in 5), whose dropped SYNs return
// only after TCP's 1 s retransmit timeout.
class CachingHttp final : public http::HttpClient {
 public:
  CachingHttp(std::shared_ptr<http::HttpClient> next, int max_in_flight)
      : next_(std::move(next)), free_(max_in_flight) {}
  absl::StatusOr<http::HttpResponse> Get(const http::HttpRequest& request) override {
    const bool cacheable = absl::StrContains(request.url, "/metadata/identity/oauth2/token") ||
                           absl::StrContains(request.url, "/pkiops/");
    if (cacheable) {
      absl::MutexLock l(&mu_);
      auto it = cache_.find(request.url);
      if (it != cache_.end()) return it->second;
    }
    {
      absl::MutexLock l(&mu_);
      mu_.Await(absl::Condition(
          +[](int* f) { return *f > 0; }, &free_));
      --free_;
    }
    absl::StatusOr<http::HttpResponse> r = next_->Get(request);
    absl::MutexLock l(&mu_);
    ++free_;
    if (cacheable && r.ok() && r->status == 200) cache_.emplace(request.url, *r);
    return r;
  }
  absl::StatusOr<http::HttpResponse> Post(const http::HttpRequest& request) override {
    return next_->Post(request);
  }

 private:
  const std::shared_ptr<http::HttpClient> next_;
  absl::Mutex mu_;
  int free_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, http::HttpResponse> cache_ ABSL_GUARDED_BY(mu_);
};

double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t i = static_cast<size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(i, sorted.size() - 1)];
}

// One stream parked at the challenge: writes ClientInit, reads ServerInit
// and the Challenge, then holds until cancelled.
class HeldStream final : public grpc::ClientBidiReactor<JoinRequest, JoinResponse> {
 public:
  HeldStream(enlist::join::v1::JoinService::Stub* stub, const JoinRequest& init,
             std::atomic<int>* waiting, std::atomic<int>* done)
      : init_(init), waiting_(waiting), done_(done) {
    stub->async()->Join(&ctx_, this);
    StartWrite(&init_);
    StartRead(&resp_);
    StartCall();
  }
  void Cancel() { ctx_.TryCancel(); }
  void OnReadDone(bool ok) override {
    if (!ok) return;
    if (resp_.has_challenge()) {
      waiting_->fetch_add(1);
      return;  // parked: no further read until cancelled
    }
    StartRead(&resp_);
  }
  void OnWriteDone(bool) override {}
  void OnDone(const grpc::Status&) override { done_->fetch_add(1); }

 private:
  grpc::ClientContext ctx_;
  JoinRequest init_;
  JoinResponse resp_;
  std::atomic<int>* const waiting_;
  std::atomic<int>* const done_;
};

// A ClientInit for the bench token with the simulated agents' host keys.
JoinRequest BenchClientInit(const agent::HostKeys& keys, const std::string& host_name) {
  JoinRequest init;
  auto* ci = init.mutable_init();
  ci->set_join_method("azure");
  ci->set_token_name(kBenchTokenName);
  ci->set_role("Node");
  ci->set_client_version("enlist-bench/0.1.0");
  ci->mutable_host()->set_tls_public_key(keys.tls_public_key_der);
  ci->mutable_host()->set_ssh_public_key(keys.ssh_public_key_line);
  ci->mutable_host()->set_host_name(host_name);
  return init;
}

// `n` TLS channels to `addr`, each its own connection, connected.
absl::StatusOr<std::vector<std::shared_ptr<grpc::Channel>>> ConnectChannels(
    const std::string& addr, const std::string& ca_pem, int n, const char* what) {
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = ca_pem;
  std::shared_ptr<grpc::ChannelCredentials> creds = grpc::SslCredentials(ssl);
  std::vector<std::shared_ptr<grpc::Channel>> out;
  for (int i = 0; i < n; ++i) {
    grpc::ChannelArguments args;
    // Distinct arguments: gRPC shares a subchannel (one connection) between
    // channels with identical arguments.
    args.SetInt("enlist.bench.channel", i);
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetMaxReceiveMessageSize(1 << 20);
    out.push_back(grpc::CreateCustomChannel(addr, creds, args));
  }
  for (auto& ch : out) {
    if (!ch->WaitForConnected(absl::ToChronoTime(absl::Now() + absl::Seconds(10)))) {
      return absl::UnavailableError(absl::StrCat("agents: cannot connect to ", what, " at ", addr));
    }
  }
  return out;
}

// One replayed join: writes the recorded ClientInit, reads ServerInit and
// Challenge, writes the recorded Solution, reads the Result. Deletes itself
// after calling `done`.
class ReplayStream final : public grpc::ClientBidiReactor<JoinRequest, JoinResponse> {
 public:
  ReplayStream(enlist::join::v1::JoinService::Stub* stub, const JoinRequest* init,
               const JoinRequest* solution, std::function<void(absl::Status)> done)
      : solution_(solution), done_(std::move(done)) {
    ctx_.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(60)));
    stub->async()->Join(&ctx_, this);
    StartWrite(init);
    StartRead(&resp_);
    StartCall();
  }
  void OnReadDone(bool ok) override {
    if (!ok) return;  // the status arrives in OnDone
    if (resp_.has_init()) {
      StartRead(&resp_);
    } else if (resp_.has_challenge()) {
      {
        // One write at a time: the Challenge can arrive before OnWriteDone
        // of the ClientInit has run; the Solution then waits for it.
        absl::MutexLock l(&mu_);
        if (init_written_) {
          StartWrite(solution_);
        } else {
          solution_due_ = true;
        }
      }
      StartRead(&resp_);
    } else if (resp_.has_result()) {
      got_result_ = true;
    }
  }
  void OnWriteDone(bool ok) override {
    absl::MutexLock l(&mu_);
    if (init_written_) return;  // the Solution
    init_written_ = true;
    if (ok && solution_due_) StartWrite(solution_);
  }
  void OnDone(const grpc::Status& s) override {
    absl::Status st = absl::OkStatus();
    if (!s.ok()) {
      st = absl::UnavailableError(absl::StrCat("replay stream: ", s.error_message()));
    } else if (!got_result_) {
      st = absl::DataLossError("replay stream: ended without a Result");
    }
    done_(st);
    delete this;
  }

 private:
  grpc::ClientContext ctx_;
  const JoinRequest* const solution_;
  JoinResponse resp_;
  std::atomic<bool> got_result_{false};
  const std::function<void(absl::Status)> done_;
  absl::Mutex mu_;
  bool init_written_ ABSL_GUARDED_BY(mu_) = false;
  bool solution_due_ ABSL_GUARDED_BY(mu_) = false;
};

absl::Status WriteMessage(const std::string& path, const google::protobuf::Message& m) {
  return WriteFileAtomic(path, m.SerializeAsString(), 0644);
}

template <typename M>
absl::StatusOr<M> ReadMessage(const std::string& path) {
  ENLIST_ASSIGN_OR_RETURN(std::string bytes, ReadFileCapped(path, 1 << 20));
  M m;
  if (!m.ParseFromString(bytes)) {
    return absl::InvalidArgumentError(absl::StrCat("replay: ", path, ": does not parse"));
  }
  return m;
}

}  // namespace

struct Agents::State {
  Cluster* cluster = nullptr;
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  join::AgentRegistry methods;
  std::shared_ptr<const agent::HostKeys> keys;
  std::vector<config::YamlNode> vm_settings;  // enlist.azure per VM
  std::vector<std::unique_ptr<agent::JoinClient>> clients;
};

Agents::Agents(std::unique_ptr<State> state) : state_(std::move(state)) {}
Agents::~Agents() = default;

void WaitIdle(pid_t pid, double max_seconds) {
  const absl::Time deadline = absl::Now() + absl::Seconds(max_seconds);
  absl::StatusOr<ProcStats> prev = ReadProcStats(pid);
  while (prev.ok() && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(200));
    absl::StatusOr<ProcStats> now = ReadProcStats(pid);
    if (!now.ok()) return;
    if (now->cpu_us - prev->cpu_us < 2000) return;
    prev = now;
  }
}

absl::StatusOr<std::unique_ptr<Agents>> Agents::Create(Cluster* cluster, int channels,
                                                       int imds_in_flight,
                                                       const std::string& scratch_dir) {
  auto s = std::make_unique<State>();
  s->cluster = cluster;
  ENLIST_ASSIGN_OR_RETURN(s->channels, ConnectChannels(cluster->auth_addr(), cluster->ca_pem(),
                                                        channels, "enlist-auth"));
  http::CurlHttpClient::Options co;
  co.use_environment_proxy = false;
  auto http =
      std::make_shared<CachingHttp>(std::make_shared<http::CurlHttpClient>(co), imds_in_flight);
  azure::AzureAgentDeps deps;
  deps.imds_http = http;
  deps.web_http = http;
  ENLIST_RETURN_IF_ERROR(azure::RegisterAzureAgent(s->methods, deps));
  ENLIST_ASSIGN_OR_RETURN(
      agent::HostKeys keys,
      agent::LoadOrCreateHostKeys(scratch_dir + "/agent-keys", agent::TlsKeyType::kEcdsaP256));
  s->keys = std::make_shared<const agent::HostKeys>(std::move(keys));
  for (int v = 0; v < cluster->options().vms; ++v) {
    ENLIST_ASSIGN_OR_RETURN(
        config::YamlNode n,
        config::YamlNode::ParseOne(
            absl::StrCat("imds_url: ", cluster->emulator_url(), "/vm/", BenchVmName(v),
                         "\nallow_http: true\nintermediate_url_prefixes: [\"",
                         cluster->emulator_url(), "/pkiops/certs/\"]\n"),
            "bench-agent.yaml"));
    s->vm_settings.push_back(std::move(n));
  }
  for (auto& ch : s->channels) {
    agent::JoinClientOptions jo;
    jo.timeout = absl::Seconds(60);
    jo.client_version = "enlist-bench/0.1.0";
    ENLIST_ASSIGN_OR_RETURN(std::unique_ptr<agent::JoinClient> c,
                            agent::JoinClient::Create(ch, &s->methods, s->keys, jo));
    s->clients.push_back(std::move(c));
  }
  return std::unique_ptr<Agents>(new Agents(std::move(s)));
}

absl::StatusOr<JoinRunResult> Agents::RunJoins(int n) {
  State& s = *state_;
  Process& auth = s.cluster->auth();
  Process& emu = s.cluster->emulator();
  std::vector<agent::JoinParams> params(n);
  for (int i = 0; i < n; ++i) {
    const int v = i % s.cluster->options().vms;
    params[i].join_method = "azure";
    params[i].token_name = kBenchTokenName;
    params[i].host_name = absl::StrCat(BenchVmName(v), "-", i);
    params[i].method_settings = s.vm_settings[v];
  }
  std::vector<double> latency_ms(n, 0);
  std::vector<absl::Status> status(n);
  absl::Mutex mu;
  int remaining = n;

  WaitIdle(auth.pid(), 5);
  ResetPeakRss(auth.pid());
  ENLIST_ASSIGN_OR_RETURN(ProcStats a0, ReadProcStats(auth.pid()));
  ENLIST_ASSIGN_OR_RETURN(ProcStats e0, ReadProcStats(emu.pid()));
  ENLIST_ASSIGN_OR_RETURN(ProcStats b0, ReadProcStats(getpid()));
  const absl::Time start = absl::Now();
  std::vector<std::shared_ptr<agent::JoinCall>> calls;
  calls.reserve(n);
  for (int i = 0; i < n; ++i) {
    const absl::Time t0 = absl::Now();
    auto done = [&, i, t0](absl::StatusOr<agent::Identity> id) {
      const double ms = absl::ToDoubleMilliseconds(absl::Now() - t0);
      absl::MutexLock l(&mu);
      latency_ms[i] = ms;
      status[i] = id.status();
      --remaining;
    };
    absl::StatusOr<std::shared_ptr<agent::JoinCall>> c =
        s.clients[i % s.clients.size()]->Start(params[i], done);
    if (!c.ok()) {
      absl::MutexLock l(&mu);
      status[i] = c.status();
      --remaining;
      continue;
    }
    calls.push_back(*std::move(c));
  }
  {
    absl::MutexLock l(&mu);
    mu.Await(absl::Condition(
        +[](int* r) { return *r == 0; }, &remaining));
  }
  const double secs = absl::ToDoubleSeconds(absl::Now() - start);
  // The server may still be finishing its bookkeeping (audit, storage)
  // after the last Result: count that too.
  WaitIdle(auth.pid(), 5);
  ENLIST_ASSIGN_OR_RETURN(ProcStats a1, ReadProcStats(auth.pid()));
  ENLIST_ASSIGN_OR_RETURN(ProcStats e1, ReadProcStats(emu.pid()));
  ENLIST_ASSIGN_OR_RETURN(ProcStats b1, ReadProcStats(getpid()));

  JoinRunResult r;
  r.agents = n;
  r.channels = static_cast<int>(s.channels.size());
  std::vector<double> ok_ms;
  for (int i = 0; i < n; ++i) {
    if (status[i].ok()) {
      ++r.ok;
    } else {
      ++r.errors;
      if (r.first_error.empty()) r.first_error = status[i].ToString();
    }
    ok_ms.push_back(latency_ms[i]);
  }
  std::sort(ok_ms.begin(), ok_ms.end());
  r.seconds = secs;
  r.joins_per_second = r.ok / secs;
  r.p50_ms = Percentile(ok_ms, 0.50);
  r.p90_ms = Percentile(ok_ms, 0.90);
  r.p99_ms = Percentile(ok_ms, 0.99);
  r.max_ms = ok_ms.empty() ? 0 : ok_ms.back();
  r.auth_cpu_us_per_join = static_cast<double>(a1.cpu_us - a0.cpu_us) / n;
  r.emulator_cpu_us_per_join = static_cast<double>(e1.cpu_us - e0.cpu_us) / n;
  r.agents_cpu_us_per_join = static_cast<double>(b1.cpu_us - b0.cpu_us) / n;
  r.auth_peak_rss_kib = a1.hwm_kib;
  r.auth_threads = a1.threads;
  return r;
}

absl::StatusOr<HeldStreamsResult> Agents::HoldStreams(int n) {
  State& s = *state_;
  Process& auth = s.cluster->auth();
  const JoinRequest init = BenchClientInit(*s.keys, "bench-held");

  std::vector<std::unique_ptr<enlist::join::v1::JoinService::Stub>> stubs;
  for (auto& ch : s.channels) stubs.push_back(enlist::join::v1::JoinService::NewStub(ch));
  WaitIdle(auth.pid(), 5);
  ENLIST_ASSIGN_OR_RETURN(ProcStats before, ReadProcStats(auth.pid()));
  std::atomic<int> waiting{0}, done{0};
  std::vector<std::unique_ptr<HeldStream>> streams;
  streams.reserve(n);
  const absl::Time start = absl::Now();
  for (int i = 0; i < n; ++i) {
    streams.push_back(
        std::make_unique<HeldStream>(stubs[i % stubs.size()].get(), init, &waiting, &done));
  }
  const absl::Time deadline = start + absl::Seconds(60);
  while (waiting.load() + done.load() < n && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  HeldStreamsResult r;
  r.seconds_to_open = absl::ToDoubleSeconds(absl::Now() - start);
  WaitIdle(auth.pid(), 5);
  ENLIST_ASSIGN_OR_RETURN(ProcStats after, ReadProcStats(auth.pid()));
  r.streams = n;
  r.waiting = waiting.load();
  r.rss_before_kib = before.rss_kib;
  r.rss_after_kib = after.rss_kib;
  r.bytes_per_stream =
      r.waiting > 0 ? static_cast<double>(after.rss_kib - before.rss_kib) * 1024 / r.waiting : 0;
  for (auto& st : streams) st->Cancel();
  const absl::Time end = absl::Now() + absl::Seconds(30);
  while (done.load() < n && absl::Now() < end) absl::SleepFor(absl::Milliseconds(20));
  if (done.load() < n) {
    return absl::DeadlineExceededError("held streams: streams did not end after cancel");
  }
  streams.clear();
  WaitIdle(auth.pid(), 30);
  return r;
}

absl::Status Agents::RecordJoin(const std::string& dir) {
  State& s = *state_;
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  ENLIST_RETURN_IF_ERROR(MakeDirs(dir));
  ENLIST_ASSIGN_OR_RETURN(const join::AgentJoinMethod* method, s.methods.Get("azure"));
  join::SolverOptions so;
  so.settings = s.vm_settings[0];
  ENLIST_ASSIGN_OR_RETURN(std::unique_ptr<join::Solver> solver, method->NewSolver(so));

  auto stub = enlist::join::v1::JoinService::NewStub(s.channels[0]);
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(deadline));
  std::unique_ptr<grpc::ClientReaderWriter<JoinRequest, JoinResponse>> stream = stub->Join(&ctx);
  const JoinRequest init = BenchClientInit(*s.keys, absl::StrCat(BenchVmName(0), "-recorded"));
  JoinResponse server_init, challenge, result;
  JoinRequest solution;
  auto fail = [&](const char* what) -> absl::Status {
    stream->WritesDone();
    grpc::Status st = stream->Finish();
    return absl::UnavailableError(absl::StrCat("record join: ", what, ": ", st.error_message()));
  };
  if (!stream->Write(init)) return fail("writing ClientInit");
  if (!stream->Read(&server_init) || !server_init.has_init()) return fail("reading ServerInit");
  if (!stream->Read(&challenge) || !challenge.has_challenge()) return fail("reading Challenge");
  absl::StatusOr<google::protobuf::Any> answer =
      solver->Solve(challenge.challenge().payload(), deadline);
  if (!answer.ok()) {
    ctx.TryCancel();
    (void)stream->Finish();
    return absl::Status(answer.status().code(),
                        absl::StrCat("record join: solving: ", answer.status().message()));
  }
  *solution.mutable_solution()->mutable_payload() = *std::move(answer);
  if (!stream->Write(solution)) return fail("writing Solution");
  if (!stream->Read(&result) || !result.has_result()) return fail("reading Result");
  stream->WritesDone();
  grpc::Status st = stream->Finish();
  if (!st.ok()) return absl::UnavailableError(absl::StrCat("record join: ", st.error_message()));
  ENLIST_RETURN_IF_ERROR(WriteMessage(dir + "/client_init.pb", init));
  ENLIST_RETURN_IF_ERROR(WriteMessage(dir + "/server_init.pb", server_init));
  ENLIST_RETURN_IF_ERROR(WriteMessage(dir + "/challenge.pb", challenge));
  ENLIST_RETURN_IF_ERROR(WriteMessage(dir + "/solution.pb", solution));
  return WriteMessage(dir + "/result.pb", result);
}

absl::StatusOr<ReplayRunResult> RunReplay(const std::string& addr, const std::string& ca_pem,
                                          pid_t server_pid, int channels,
                                          const std::string& recorded_dir, int n) {
  ENLIST_ASSIGN_OR_RETURN(const JoinRequest init,
                          ReadMessage<JoinRequest>(recorded_dir + "/client_init.pb"));
  ENLIST_ASSIGN_OR_RETURN(const JoinRequest solution,
                          ReadMessage<JoinRequest>(recorded_dir + "/solution.pb"));
  ENLIST_ASSIGN_OR_RETURN(std::vector<std::shared_ptr<grpc::Channel>> chans,
                          ConnectChannels(addr, ca_pem, channels, "the replay server"));
  std::vector<std::unique_ptr<enlist::join::v1::JoinService::Stub>> stubs;
  for (auto& ch : chans) stubs.push_back(enlist::join::v1::JoinService::NewStub(ch));

  absl::Mutex mu;
  std::vector<double> latency_ms(n, 0);
  std::vector<absl::Status> status(n);
  int remaining = 0;
  auto run = [&](int count) {
    {
      absl::MutexLock l(&mu);
      remaining = count;
    }
    for (int i = 0; i < count; ++i) {
      const absl::Time t0 = absl::Now();
      new ReplayStream(stubs[i % stubs.size()].get(), &init, &solution,
                       [&, i, t0](absl::Status st) {
                         const double ms = absl::ToDoubleMilliseconds(absl::Now() - t0);
                         absl::MutexLock l(&mu);
                         latency_ms[i] = ms;
                         status[i] = std::move(st);
                         --remaining;
                       });
    }
    absl::MutexLock l(&mu);
    mu.Await(absl::Condition(
        +[](int* r) { return *r == 0; }, &remaining));
  };
  run(std::min(n, 2));  // warm-up: connections, gRPC's threads
  WaitIdle(server_pid, 5);
  ENLIST_ASSIGN_OR_RETURN(ProcStats s0, ReadProcStats(server_pid));
  ENLIST_ASSIGN_OR_RETURN(ProcStats b0, ReadProcStats(getpid()));
  const absl::Time start = absl::Now();
  run(n);
  const double secs = absl::ToDoubleSeconds(absl::Now() - start);
  WaitIdle(server_pid, 5);
  ENLIST_ASSIGN_OR_RETURN(ProcStats s1, ReadProcStats(server_pid));
  ENLIST_ASSIGN_OR_RETURN(ProcStats b1, ReadProcStats(getpid()));

  ReplayRunResult r;
  r.streams = n;
  std::vector<double> ok_ms;
  for (int i = 0; i < n; ++i) {
    if (status[i].ok()) {
      ++r.ok;
      ok_ms.push_back(latency_ms[i]);
    } else {
      ++r.errors;
      if (r.first_error.empty()) r.first_error = status[i].ToString();
    }
  }
  std::sort(ok_ms.begin(), ok_ms.end());
  r.seconds = secs;
  r.streams_per_second = r.ok / secs;
  r.p50_ms = Percentile(ok_ms, 0.50);
  r.p99_ms = Percentile(ok_ms, 0.99);
  r.server_cpu_us_per_join = static_cast<double>(s1.cpu_us - s0.cpu_us) / n;
  r.clients_cpu_us_per_join = static_cast<double>(b1.cpu_us - b0.cpu_us) / n;
  return r;
}

}  // namespace enlist::bench
