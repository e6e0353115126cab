// enlist-bench-replay-server: the transport baseline of the benchmark. It
// serves enlist.join.v1.JoinService over TLS exactly as enlist-auth does (a
// certificate from a cluster CA, client certificates requested, the same
// message-size limit and keepalive policy, callback API) but checks nothing:
// each stream gets the server messages of one real, recorded Azure join
// (ServerInit, Challenge, Result) in the order the protocol sends them. Its
// CPU per stream is what gRPC, HTTP/2 and TLS record processing cost for
// one join's messages, with no join work at all (docs/performance.md).
//
//   enlist-bench-replay-server --data_dir DIR --recorded DIR
//
// DIR/ca/ is created (or loaded) as enlist-auth's would be; once listening,
// "127.0.0.1:PORT" is written to DIR/addr. Stops on SIGTERM/SIGINT.
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "auth/ca/cluster_ca.h"
#include "core/rpc/keepalive.h"
#include "core/util/clock.h"
#include "core/util/file.h"
#include "core/util/status_macros.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "grpcpp/support/server_callback.h"
#include "proto/join/v1/join.grpc.pb.h"

ABSL_FLAG(std::string, data_dir, "", "directory for the CA and the addr file (created)");
ABSL_FLAG(std::string, recorded, "", "directory with the recorded join's messages");
ABSL_FLAG(int, max_message_bytes, 1 << 20, "largest message accepted (enlist-auth's default)");

namespace enlist::bench {
namespace {

using enlist::join::v1::JoinRequest;
using enlist::join::v1::JoinResponse;

constexpr size_t kMaxRecordedBytes = 1 << 20;

// The server side of one recorded join: ServerInit, Challenge, Result.
struct Script {
  JoinResponse server_init, challenge, result;
};

absl::StatusOr<JoinResponse> ReadResponse(const std::string& path) {
  ENLIST_ASSIGN_OR_RETURN(std::string bytes, ReadFileCapped(path, kMaxRecordedBytes));
  JoinResponse r;
  if (!r.ParseFromString(bytes)) {
    return absl::InvalidArgumentError(absl::StrCat("replay: ", path, ": not a JoinResponse"));
  }
  return r;
}

absl::StatusOr<Script> LoadScript(const std::string& dir) {
  Script s;
  ENLIST_ASSIGN_OR_RETURN(s.server_init, ReadResponse(dir + "/server_init.pb"));
  ENLIST_ASSIGN_OR_RETURN(s.challenge, ReadResponse(dir + "/challenge.pb"));
  ENLIST_ASSIGN_OR_RETURN(s.result, ReadResponse(dir + "/result.pb"));
  if (!s.server_init.has_init() || !s.challenge.has_challenge() || !s.result.has_result()) {
    return absl::InvalidArgumentError(
        absl::StrCat("replay: ", dir, ": expected ServerInit, Challenge and Result"));
  }
  return s;
}

// Reads ClientInit, writes ServerInit and Challenge, reads Solution, writes
// Result with an OK status. A message of the wrong kind ends the stream
// with kInvalidArgument, as enlist-auth would.
class ReplayReactor final : public grpc::ServerBidiReactor<JoinRequest, JoinResponse> {
 public:
  explicit ReplayReactor(const Script* script) : script_(script) { StartRead(&request_); }

  // Reads and writes complete on gRPC's threads, possibly at once: the step
  // and the single Finish are atomics.
  void OnReadDone(bool ok) override {
    if (!ok) return FinishOnce(grpc::Status(grpc::StatusCode::CANCELLED, "stream ended early"));
    if (step_.load() == 0) {
      if (!request_.has_init()) return FinishOnce(Refused("expected ClientInit"));
      step_ = 1;
      StartWrite(&script_->server_init);
      return;
    }
    if (!request_.has_solution()) return FinishOnce(Refused("expected Solution"));
    if (finished_.exchange(true)) return;
    StartWriteAndFinish(&script_->result, grpc::WriteOptions(), grpc::Status::OK);
  }

  void OnWriteDone(bool ok) override {
    if (!ok) return FinishOnce(grpc::Status(grpc::StatusCode::CANCELLED, "write failed"));
    int expected = 1;
    if (step_.compare_exchange_strong(expected, 2)) {
      StartWrite(&script_->challenge);
      StartRead(&request_);
    }
  }

  void OnDone() override { delete this; }

 private:
  static grpc::Status Refused(const char* why) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, why);
  }
  void FinishOnce(const grpc::Status& status) {
    if (!finished_.exchange(true)) Finish(status);
  }

  const Script* const script_;
  JoinRequest request_;
  std::atomic<int> step_{0};  // 0 reading ClientInit, 1 ServerInit sent, 2 Challenge sent
  std::atomic<bool> finished_{false};
};

class ReplayService final : public enlist::join::v1::JoinService::CallbackService {
 public:
  explicit ReplayService(Script script) : script_(std::move(script)) {}
  grpc::ServerBidiReactor<JoinRequest, JoinResponse>* Join(
      grpc::CallbackServerContext*) override {
    return new ReplayReactor(&script_);
  }

 private:
  const Script script_;
};

std::atomic<bool> g_stop{false};

int Run() {
  const std::string dir = absl::GetFlag(FLAGS_data_dir);
  const std::string recorded = absl::GetFlag(FLAGS_recorded);
  if (dir.empty() || recorded.empty()) {
    std::fprintf(stderr, "replay: --data_dir and --recorded are required\n");
    return 2;
  }
  absl::StatusOr<Script> script = LoadScript(recorded);
  if (!script.ok()) {
    std::fprintf(stderr, "%s\n", std::string(script.status().message()).c_str());
    return 1;
  }
  absl::Status made = MakeDirs(dir, 0700);
  absl::StatusOr<std::unique_ptr<ca::ClusterCa>> ca =
      made.ok() ? ca::ClusterCa::LoadOrCreate(dir, "bench", RealClock::Get()) : made;
  absl::StatusOr<ca::ServerTlsPem> tls =
      ca.ok() ? ca::IssueServerTls(**ca, "bench replay", {}, RealClock::Get()) : ca.status();
  if (!tls.ok()) {
    std::fprintf(stderr, "replay: %s\n", std::string(tls.status().message()).c_str());
    return 1;
  }
  grpc::SslServerCredentialsOptions opts(GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
  opts.pem_root_certs = (*ca)->tls_cert_pem();
  opts.pem_key_cert_pairs.push_back({tls->key_pem, tls->chain_pem});

  ReplayService service(*std::move(script));
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::SslServerCredentials(opts), &port);
  builder.SetMaxReceiveMessageSize(absl::GetFlag(FLAGS_max_message_bytes));
  builder.AddChannelArgument(
      GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
      static_cast<int>(absl::ToInt64Milliseconds(rpc::kMinPermittedPingInterval)));
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::fprintf(stderr, "replay: cannot listen on 127.0.0.1\n");
    return 1;
  }
  absl::Status wrote = WriteFileAtomic(dir + "/addr", absl::StrCat("127.0.0.1:", port, "\n"), 0644);
  if (!wrote.ok()) {
    std::fprintf(stderr, "replay: %s\n", std::string(wrote.message()).c_str());
    return 1;
  }
  std::fprintf(stderr, "replay: listening on 127.0.0.1:%d\n", port);
  signal(SIGTERM, [](int) { g_stop = true; });
  signal(SIGINT, [](int) { g_stop = true; });
  while (!g_stop) absl::SleepFor(absl::Milliseconds(50));
  server->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(2)));
  return 0;
}

}  // namespace
}  // namespace enlist::bench

int main(int argc, char** argv) {
  // As enlist-auth does: no lock-order graph on every absl::Mutex (gRPC's
  // locks included), so the two servers' gRPC costs compare.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  absl::ParseCommandLine(argc, argv);
  return enlist::bench::Run();
}
