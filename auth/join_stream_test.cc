// Complete joins through an in-process gRPC channel: the real JoinService
// reactor on one side, the real agent join client on the other.
#include <chrono>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "agent/join_client.h"
#include "absl/synchronization/mutex.h"
#include "auth/join_service.h"
#include "auth/storage/backend.h"
#include "core/join/testing/fakes.h"
#include "core/token/token_resource.h"
#include "core/token/token_store.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "methods/token/agent/token_solver.h"
#include "methods/token/auth/token_checker.h"
#include "proto/token/v1/token.pb.h"

namespace enlist::auth {
namespace {

using ::testing::HasSubstr;
using enlist::join::v1::JoinRequest;
using enlist::join::v1::JoinResponse;

constexpr char kSecret[] = "correct-horse-battery-staple";

class JoinStreamTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(absl::Seconds(60), 100); }

  void Start(absl::Duration deadline, int max_streams, double per_peer_rate = 0,
             std::function<void(std::function<void(absl::Status)>)> sync = nullptr) {
    ASSERT_TRUE(token_method::RegisterTokenAuth(auth_methods_).ok());
    ASSERT_TRUE(token_method::RegisterTokenAgent(agent_methods_).ok());
    checkers_["token"] = *(*auth_methods_.Get("token"))->NewChecker(join::CheckerOptions());
    auto tokens = token::ParseTokens(
        "kind: token\nversion: v2\nmetadata: {name: boot}\n"
        "spec: {roles: [Node], join_method: token, token: {secret: correct-horse-battery-staple}}\n"
        "---\nkind: token\nversion: v2\nmetadata: {name: once}\n"
        "spec: {roles: [Node], join_method: token, token: {secret: correct-horse-battery-staple, "
        "single_use: true}}\n"
        "---\nkind: token\nversion: v2\nmetadata: {name: old, expires: \"2020-01-01T00:00:00Z\"}\n"
        "spec: {roles: [Node], join_method: token, token: {secret: correct-horse-battery-staple}}\n",
        "tokens.yaml", auth_methods_);
    ASSERT_TRUE(tokens.ok()) << tokens.status();
    for (const auto& t : *tokens) ASSERT_TRUE(store_.PutToken(t, false).ok());
    join::ServerSessionDeps deps;
    deps.methods = &auth_methods_;
    deps.checkers = &checkers_;
    deps.tokens = &store_;
    deps.issuer = &issuer_;
    deps.audit = audit_override_ != nullptr ? audit_override_ : &audit_;
    deps.limits.stream_deadline = deadline;
    JoinServiceOptions opts;
    opts.max_concurrent_streams = max_streams;
    opts.per_peer_rate = per_peer_rate;
    opts.per_peer_burst = 2;
    opts.sync = std::move(sync);
    service_ = std::make_unique<JoinService>(deps, &pool_, opts);
    grpc::ServerBuilder builder;
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    channel_ = server_->InProcessChannel(grpc::ChannelArguments());
  }

  void TearDown() override {
    if (server_) server_->Shutdown();
  }

  enlist::join::v1::ClientInit Init(const std::string& token, const std::string& method = "token") {
    enlist::join::v1::ClientInit init;
    init.set_join_method(method);
    init.set_token_name(token);
    init.set_role("Node");
    init.mutable_host()->set_tls_public_key("spki");
    init.mutable_host()->set_host_name("vm-1");
    return init;
  }

  std::unique_ptr<join::Solver> Solver(const std::string& secret) {
    join::SolverOptions o;
    o.join_params = *config::YamlNode::ParseOne("secret: " + secret + "\n", "agent.yaml");
    return *(*agent_methods_.Get("token"))->NewSolver(o);
  }

  absl::StatusOr<enlist::join::v1::Result> Join(const std::string& token,
                                                const std::string& secret = kSecret,
                                                const std::string& method = "token") {
    auto solver = Solver(secret);
    return agent::RunJoin(channel_, Init(token, method), solver.get(), absl::Seconds(10));
  }

  ThreadPool pool_{2};
  join::AuthRegistry auth_methods_;
  join::AgentRegistry agent_methods_;
  std::map<std::string, std::shared_ptr<join::Checker>> checkers_;
  token::MemoryTokenStore store_;
  join::testing::FakeIssuer issuer_;
  join::testing::RecordingAuditSink audit_;
  join::AuditSink* audit_override_ = nullptr;  // replaces audit_ when set
  std::unique_ptr<JoinService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(JoinStreamTest, TokenJoinSucceeds) {
  auto r = Join("boot");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->host_id(), "host-1");
  ASSERT_EQ(r->attributes_size(), 1);
  EXPECT_EQ(r->attributes(0).key(), "token.single_use");
  ASSERT_EQ(audit_.events().size(), 1u);
  EXPECT_TRUE(audit_.events()[0].accepted);
}

TEST_F(JoinStreamTest, WrongSecret) {
  auto r = Join("boot", "this-is-not-the-secret");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(r.status().message(), "token: wrong secret");
  EXPECT_EQ(issuer_.issued(), 0u);
}

TEST_F(JoinStreamTest, ExpiredToken) {
  auto r = Join("old");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(r.status().message(),
            "join: token \"old\" is unknown, expired, or not for join method \"token\"");
  ASSERT_EQ(audit_.events().size(), 1u);
  EXPECT_EQ(audit_.events()[0].reason, "token expired");
}

TEST_F(JoinStreamTest, SingleUseTokenReused) {
  ASSERT_TRUE(Join("once").ok());
  auto r = Join("once");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(r.status().message(),
            "join: token \"once\" is unknown, expired, or not for join method \"token\"");
  EXPECT_EQ(issuer_.issued(), 1u);
}

TEST_F(JoinStreamTest, WrongMethodForToken) {
  auto r = Join("boot", kSecret, "azure");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(r.status().message(),
            "join: token \"boot\" is unknown, expired, or not for join method \"azure\"");
}

TEST_F(JoinStreamTest, OutOfOrderMessage) {
  auto stub = enlist::join::v1::JoinService::NewStub(channel_);
  grpc::ClientContext ctx;
  auto stream = stub->Join(&ctx);
  JoinRequest sol;
  sol.mutable_solution();
  ASSERT_TRUE(stream->Write(sol));
  JoinResponse resp;
  EXPECT_FALSE(stream->Read(&resp));
  grpc::Status s = stream->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(s.error_message(), "join: unexpected Solution: no challenge is outstanding");
}

TEST_F(JoinStreamTest, OversizeField) {
  auto solver = Solver(kSecret);
  auto init = Init("boot");
  init.mutable_host()->set_ssh_public_key(std::string(4096, 'k'));
  auto r = agent::RunJoin(channel_, init, solver.get(), absl::Seconds(10));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "join: host.ssh_public_key is 4096 bytes, over the limit of 2048");
  EXPECT_EQ(store_.GetToken("boot").status().code(), absl::StatusCode::kOk);
}

TEST_F(JoinStreamTest, ClientDeadlineExceeded) {
  // A server that takes longer than the agent allows: the agent gives up.
  auto solver = Solver(kSecret);
  auto r = agent::RunJoin(channel_, Init("boot"), solver.get(), absl::ZeroDuration());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded);
}

class JoinStreamDeadlineTest : public JoinStreamTest {
 protected:
  void SetUp() override { Start(absl::Milliseconds(300), 1); }
};

TEST_F(JoinStreamDeadlineTest, ServerEndsSilentStreamAtDeadline) {
  auto stub = enlist::join::v1::JoinService::NewStub(channel_);
  grpc::ClientContext ctx;
  auto stream = stub->Join(&ctx);
  JoinRequest init;
  *init.mutable_init() = Init("boot");
  ASSERT_TRUE(stream->Write(init));
  JoinResponse resp;
  ASSERT_TRUE(stream->Read(&resp));  // ServerInit
  ASSERT_TRUE(stream->Read(&resp));  // Challenge
  ASSERT_TRUE(resp.has_challenge());
  // Never answer: the server ends the stream on its own.
  EXPECT_FALSE(stream->Read(&resp));
  grpc::Status s = stream->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_EQ(s.error_message(), "join: deadline exceeded");
  ASSERT_EQ(audit_.events().size(), 1u);
  EXPECT_EQ(audit_.events()[0].code, absl::StatusCode::kDeadlineExceeded);
}

// Records events; the first one blocks until Release (storage that hangs).
class FirstRecordBlocksSink final : public join::AuditSink {
 public:
  void Record(const join::JoinEvent& e) override {
    absl::MutexLock l(&mu_);
    events_.push_back(e);
    if (events_.size() == 1) mu_.Await(absl::Condition(&released_));
  }
  void Release() {
    absl::MutexLock l(&mu_);
    released_ = true;
  }
  size_t count() const {
    absl::MutexLock l(&mu_);
    return events_.size();
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<join::JoinEvent> events_;
  bool released_ = false;
};

class JoinStreamSlowAuditTest : public JoinStreamTest {
 protected:
  void SetUp() override {
    audit_override_ = &sink_;
    Start(absl::Milliseconds(300), 10);
  }
  void TearDown() override {
    sink_.Release();
    JoinStreamTest::TearDown();
  }
  FirstRecordBlocksSink sink_;
};

// A stream that ends without a reply has its audit record written on the
// pool: a record that hangs in storage holds neither the deadline thread
// (every other stream's deadline) nor gRPC's threads.
TEST_F(JoinStreamSlowAuditTest, AHangingAuditWriteDoesNotHoldOtherStreamsDeadlines) {
  auto stub = enlist::join::v1::JoinService::NewStub(channel_);
  auto open_silent = [&](grpc::ClientContext& ctx) {
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    auto stream = stub->Join(&ctx);
    JoinRequest init;
    *init.mutable_init() = Init("boot");
    EXPECT_TRUE(stream->Write(init));
    JoinResponse resp;
    EXPECT_TRUE(stream->Read(&resp));  // ServerInit
    EXPECT_TRUE(stream->Read(&resp));  // Challenge
    return stream;
  };
  grpc::ClientContext first_ctx;
  auto first = open_silent(first_ctx);
  // The first stream's deadline passes; its audit record hangs.
  absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (sink_.count() < 1 && absl::Now() < give_up) absl::SleepFor(absl::Milliseconds(5));
  ASSERT_EQ(sink_.count(), 1u);

  // Another silent stream still ends at its own (server) deadline.
  grpc::ClientContext second_ctx;
  auto second = open_silent(second_ctx);
  JoinResponse resp;
  EXPECT_FALSE(second->Read(&resp));
  grpc::Status s = second->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_EQ(s.error_message(), "join: deadline exceeded");
  // And a join runs to the end meanwhile.
  auto joined = Join("boot");
  EXPECT_TRUE(joined.ok()) << joined.status();

  sink_.Release();
  EXPECT_FALSE(first->Read(&resp));
  s = first->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_EQ(s.error_message(), "join: deadline exceeded");
  EXPECT_EQ(sink_.count(), 3u);
}

TEST_F(JoinStreamDeadlineTest, ConcurrentStreamLimit) {
  auto stub = enlist::join::v1::JoinService::NewStub(channel_);
  grpc::ClientContext ctx;
  auto first = stub->Join(&ctx);
  JoinRequest init;
  *init.mutable_init() = Init("boot");
  ASSERT_TRUE(first->Write(init));
  JoinResponse resp;
  ASSERT_TRUE(first->Read(&resp));  // the first stream is open and waiting
  auto r = Join("boot");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(r.status().message(), "join: too many concurrent joins, retry later");
  ctx.TryCancel();
  first->Finish();
}

class JoinStreamRateTest : public JoinStreamTest {
 protected:
  void SetUp() override { Start(absl::Seconds(60), 100, /*per_peer_rate=*/0.001); }
};

TEST_F(JoinStreamRateTest, PerPeerRateLimitRefusesWithoutAuditing) {
  EXPECT_TRUE(Join("boot").ok());
  EXPECT_TRUE(Join("boot").ok());  // the burst of 2
  auto r = Join("boot");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(r.status().message(), "join: too many joins from this address, retry later");
  EXPECT_EQ(audit_.events().size(), 2u);
  EXPECT_EQ(service_->refused_streams(), 1);
}

// A storage whose flushes the test completes by hand.
class HeldSync {
 public:
  void Add(std::function<void(absl::Status)> done) {
    absl::MutexLock l(&mu_);
    held_.push_back(std::move(done));
  }
  // False when nothing asked for a flush within `timeout`.
  bool WaitForOne(absl::Duration timeout = absl::Seconds(30)) {
    absl::MutexLock l(&mu_);
    return mu_.AwaitWithTimeout(
        absl::Condition(
            +[](std::vector<std::function<void(absl::Status)>>* h) { return !h->empty(); },
            &held_),
        timeout);
  }
  void ReleaseAll(const absl::Status& status) {
    std::vector<std::function<void(absl::Status)>> held;
    {
      absl::MutexLock l(&mu_);
      held.swap(held_);
    }
    for (auto& done : held) done(status);
  }

 private:
  absl::Mutex mu_;
  std::vector<std::function<void(absl::Status)>> held_ ABSL_GUARDED_BY(mu_);
};

// Notes whether each event was recorded with deferred durability.
class ScopeRecordingAudit final : public join::AuditSink {
 public:
  void Record(const join::JoinEvent& e) override {
    absl::MutexLock l(&mu_);
    deferred_.push_back(storage::DeferredDurability::Active());
    accepted_.push_back(e.accepted);
  }
  std::vector<bool> deferred() {
    absl::MutexLock l(&mu_);
    return deferred_;
  }
  std::vector<bool> accepted() {
    absl::MutexLock l(&mu_);
    return accepted_;
  }

 private:
  absl::Mutex mu_;
  std::vector<bool> deferred_ ABSL_GUARDED_BY(mu_);
  std::vector<bool> accepted_ ABSL_GUARDED_BY(mu_);
};

class JoinStreamSyncTest : public JoinStreamTest {
 protected:
  void SetUp() override {
    audit_override_ = &scoped_audit_;
    Start(absl::Seconds(60), 100, 0,
          [this](std::function<void(absl::Status)> done) { sync_.Add(std::move(done)); });
  }
  void TearDown() override {
    // A stream still waiting for its flush would hold up the shutdown.
    sync_.ReleaseAll(absl::CancelledError("test over"));
    JoinStreamTest::TearDown();
  }
  // Starts a join on another thread.
  std::future<absl::StatusOr<enlist::join::v1::Result>> JoinAsync(const std::string& secret) {
    return std::async(std::launch::async, [this, secret] { return Join("boot", secret); });
  }

  HeldSync sync_;
  ScopeRecordingAudit scoped_audit_;
};

TEST_F(JoinStreamSyncTest, ResultWaitsUntilTheJoinsRecordsAreDurable) {
  auto joined = JoinAsync(kSecret);
  ASSERT_TRUE(sync_.WaitForOne());
  // Issued and recorded (in a DeferredDurability scope: the worker does not
  // wait for the disk), not yet told.
  EXPECT_EQ(issuer_.issued(), 1u);
  EXPECT_THAT(scoped_audit_.accepted(), ::testing::ElementsAre(true));
  EXPECT_THAT(scoped_audit_.deferred(), ::testing::ElementsAre(true));
  EXPECT_EQ(joined.wait_for(std::chrono::milliseconds(300)), std::future_status::timeout);
  sync_.ReleaseAll(absl::OkStatus());
  auto r = joined.get();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->host_id(), "host-1");
}

TEST_F(JoinStreamSyncTest, AnAcceptedJoinIsNotAcknowledgedWhenTheFlushFails) {
  auto joined = JoinAsync(kSecret);
  ASSERT_TRUE(sync_.WaitForOne());
  sync_.ReleaseAll(absl::UnavailableError("storage: sqlite: sync /d/enlist.db-wal: I/O error"));
  auto r = joined.get();
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  // The agent is not shown the server's storage details.
  EXPECT_EQ(r.status().message(), "join: the auth server could not store the join, retry later");
}

TEST_F(JoinStreamSyncTest, ARefusalStandsWhenTheFlushFails) {
  auto joined = JoinAsync("this-is-not-the-secret");
  ASSERT_TRUE(sync_.WaitForOne());
  sync_.ReleaseAll(absl::UnavailableError("storage: sqlite: sync: I/O error"));
  auto r = joined.get();
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(r.status().message(), "token: wrong secret");
}

TEST_F(JoinStreamSyncTest, AStreamTheAgentAbandonsIsRecordedWithoutWaitingForTheDisk) {
  auto stub = enlist::join::v1::JoinService::NewStub(channel_);
  grpc::ClientContext ctx;
  auto stream = stub->Join(&ctx);
  JoinRequest req;
  *req.mutable_init() = Init("boot");
  ASSERT_TRUE(stream->Write(req));
  JoinResponse resp;
  ASSERT_TRUE(stream->Read(&resp));
  ASSERT_TRUE(resp.has_init());
  ASSERT_TRUE(stream->Read(&resp));
  ASSERT_TRUE(resp.has_challenge());
  ctx.TryCancel();
  // The abort (on a gRPC thread) recorded the attempt in a deferred scope
  // and asked for a flush that nobody waits for.
  ASSERT_TRUE(sync_.WaitForOne());
  EXPECT_THAT(scoped_audit_.accepted(), ::testing::ElementsAre(false));
  EXPECT_THAT(scoped_audit_.deferred(), ::testing::ElementsAre(true));
}

TEST(PeerIpTest, StripsSchemeAndPort) {
  EXPECT_EQ(PeerIp("ipv4:10.0.0.5:5000"), "10.0.0.5");
  EXPECT_EQ(PeerIp("ipv6:[::1]:443"), "::1");
  EXPECT_EQ(PeerAddress("ipv4:10.0.0.5:5000"), "10.0.0.5:5000");
}

}  // namespace
}  // namespace enlist::auth
