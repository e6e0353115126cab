// Test-only pieces for the proxy's tests: a cluster CA with a proxy
// identity and an auth-server certificate (the project's CA code), and a
// fake auth server (JoinService) on 127.0.0.1 that records what it is sent.
#ifndef ENLIST_TOOLS_PROXY_FAKE_UPSTREAM_H_
#define ENLIST_TOOLS_PROXY_FAKE_UPSTREAM_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "proto/join/v1/join.grpc.pb.h"

namespace enlist::proxy::testing {

// PEM material of a fresh cluster CA under `dir`.
struct TestPki {
  std::string ca_pem;
  std::string proxy_cert_pem, proxy_key_pem;    // urn:enlist:proxy:test
  std::string server_cert_pem, server_key_pem;  // an auth server's (127.0.0.1)
};
absl::StatusOr<TestPki> MakeTestPki(const std::string& dir);

// What one upstream stream saw.
struct SeenStream {
  std::vector<enlist::join::v1::JoinRequest> received;
  bool proxy_peer = false;  // auth::IsProxyPeer on the stream
  std::chrono::system_clock::time_point deadline;
};

class FakeUpstream;

// The handler's view of one stream: reads are recorded.
class FakeStream {
 public:
  FakeStream(FakeUpstream* owner, size_t index, grpc::ServerContext* context,
             grpc::ServerReaderWriter<enlist::join::v1::JoinResponse,
                                      enlist::join::v1::JoinRequest>* stream)
      : owner_(owner), index_(index), context_(context), stream_(stream) {}
  bool Read(enlist::join::v1::JoinRequest* request);
  bool Write(const enlist::join::v1::JoinResponse& response) { return stream_->Write(response); }
  grpc::ServerContext* context() { return context_; }

 private:
  FakeUpstream* owner_;
  size_t index_;
  grpc::ServerContext* context_;
  grpc::ServerReaderWriter<enlist::join::v1::JoinResponse, enlist::join::v1::JoinRequest>* stream_;
};

// A JoinService on 127.0.0.1:<OS port> with TLS (client certificates from
// the test CA requested and verified, as an auth server does). Each stream
// is recorded, then run through `handler` (which may read and write more).
class FakeUpstream final : public enlist::join::v1::JoinService::Service {
 public:
  using Handler = std::function<grpc::Status(FakeStream&)>;
  static absl::StatusOr<std::unique_ptr<FakeUpstream>> Start(const TestPki& pki, Handler handler);
  ~FakeUpstream() override { Stop(); }

  const std::string& address() const { return address_; }
  // Stops the server: streams in flight are cancelled, new connections refused.
  void Stop();

  std::vector<SeenStream> streams() const;
  // Waits until `n` streams' handlers have returned; false after `timeout`.
  bool AwaitEnded(int n, absl::Duration timeout) const;
  // Waits until `n` streams have started; false after `timeout`.
  bool AwaitStarted(int n, absl::Duration timeout) const;

  grpc::Status Join(grpc::ServerContext* context,
                    grpc::ServerReaderWriter<enlist::join::v1::JoinResponse,
                                             enlist::join::v1::JoinRequest>* stream) override;

 private:
  friend class FakeStream;
  explicit FakeUpstream(Handler handler) : handler_(std::move(handler)) {}

  Handler handler_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
  mutable absl::Mutex mu_;
  std::vector<SeenStream> streams_ ABSL_GUARDED_BY(mu_);
  int ended_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
};

// Handlers.
// Answers ServerInit + Challenge("c1"), then Challenge("c<n+1>") for every
// Solution until `rounds` Solutions, then Result(host_id "host-1").
FakeUpstream::Handler ChallengeRounds(int rounds);
// Answers ServerInit + Challenge, then reads until the stream ends
// (cancelled or half-closed).
FakeUpstream::Handler AnswerThenHang();
// Returns `status` right after the ClientInit.
FakeUpstream::Handler Refuse(grpc::Status status);
// Answers ServerInit + a Challenge whose payload is `bytes` long.
FakeUpstream::Handler BigChallenge(size_t bytes);

}  // namespace enlist::proxy::testing

#endif  // ENLIST_TOOLS_PROXY_FAKE_UPSTREAM_H_
