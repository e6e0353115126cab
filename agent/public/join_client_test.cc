// JoinClient against an in-process JoinServer (public API on both sides)
// over TLS on 127.0.0.1: callbacks, Wait, cancellation while a solver
// blocks, the join deadline, and start-time errors.
#include "agent/public/join_client.h"

#include <atomic>
#include <cstdlib>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "agent/public/agent.h"
#include "auth/public/join_server.h"
#include "core/util/file.h"
#include "gtest/gtest.h"
#include "grpcpp/grpcpp.h"
#include "methods/token/agent/token_solver.h"
#include "methods/token/auth/token_checker.h"

namespace enlist::agent {
namespace {

constexpr char kTokens[] =
    "kind: token\nversion: v2\nmetadata: {name: boot}\n"
    "spec: {roles: [Node], join_method: token, token: {secret: correct-horse-battery-staple}}\n";

// A solver that blocks until released or until its deadline.
struct Gate {
  absl::Notification entered;
  absl::Notification release;
  std::atomic<int> returned{0};
};

class BlockingSolver final : public join::Solver {
 public:
  explicit BlockingSolver(Gate* gate) : gate_(gate) {}
  absl::StatusOr<google::protobuf::Any> Solve(const google::protobuf::Any&, absl::Time deadline) override {
    gate_->entered.Notify();
    bool released = gate_->release.WaitForNotificationWithDeadline(deadline);
    gate_->returned++;
    if (!released) return absl::DeadlineExceededError("blocking solver: deadline");
    return absl::UnavailableError("blocking solver: released");
  }

 private:
  Gate* gate_;
};

// Registered as "token" on the agent side, so the real token checker
// challenges it.
class BlockingMethod final : public join::AgentJoinMethod {
 public:
  explicit BlockingMethod(Gate* gate) : gate_(gate) {}
  absl::string_view name() const override { return "token"; }
  absl::StatusOr<std::unique_ptr<join::Solver>> NewSolver(const join::SolverOptions&) const override {
    return std::unique_ptr<join::Solver>(new BlockingSolver(gate_));
  }

 private:
  Gate* gate_;
};

class JoinClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = absl::StrCat(std::getenv("TEST_TMPDIR"), "/",
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    ASSERT_TRUE(token_method::RegisterTokenAuth(auth_methods_).ok());
    auth::AuthConfig config;
    config.data_dir = dir_ + "/auth";
    auth::JoinServerDeps deps;
    deps.methods = &auth_methods_;
    absl::StatusOr<std::unique_ptr<auth::JoinServer>> join = auth::JoinServer::Create(config, deps);
    ASSERT_TRUE(join.ok()) << join.status();
    join_ = *std::move(join);
    ASSERT_TRUE(join_->PutTokens(kTokens, "test").ok());
    auto creds = join_->ServerCredentials({});
    ASSERT_TRUE(creds.ok()) << creds.status();
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", *creds, &port_);
    join_->Register(builder);
    server_ = builder.BuildAndStart();
    ASSERT_NE(port_, 0);

    grpc::SslCredentialsOptions so;
    so.pem_root_certs = join_->ca_cert_pem();
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port_), grpc::SslCredentials(so));
    absl::StatusOr<HostKeys> keys = LoadOrCreateHostKeys(dir_ + "/agent", TlsKeyType::kEcdsaP256);
    ASSERT_TRUE(keys.ok()) << keys.status();
    keys_ = std::make_shared<HostKeys>(*std::move(keys));
    ASSERT_TRUE(token_method::RegisterTokenAgent(agent_methods_).ok());
    ASSERT_TRUE(blocking_methods_.Register(std::make_unique<BlockingMethod>(&gate_)).ok());
  }

  void TearDown() override {
    if (server_) server_->Shutdown();
    if (join_) join_->Shutdown();
  }

  JoinParams Params(const std::string& token = "boot",
                    const std::string& secret = "correct-horse-battery-staple") {
    JoinParams p;
    p.join_method = "token";
    p.token_name = token;
    p.host_name = "test-host";
    auto node = config::YamlNode::ParseOne(absl::StrCat("secret: ", secret), "test");
    EXPECT_TRUE(node.ok());
    p.method_params = *node;
    return p;
  }

  std::unique_ptr<JoinClient> Client(const join::AgentRegistry* methods, JoinClientOptions o = {}) {
    auto c = JoinClient::Create(channel_, methods, keys_, o);
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? *std::move(c) : nullptr;
  }

  std::string dir_;
  join::AuthRegistry auth_methods_;
  join::AgentRegistry agent_methods_, blocking_methods_;
  Gate gate_;
  std::unique_ptr<auth::JoinServer> join_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::shared_ptr<grpc::Channel> channel_;
  std::shared_ptr<const HostKeys> keys_;
};

TEST_F(JoinClientTest, CallbackReceivesTheIdentity) {
  std::unique_ptr<JoinClient> client = Client(&agent_methods_);
  absl::Notification called;
  absl::StatusOr<Identity> got = absl::UnknownError("unset");
  auto call = client->Start(Params(), [&](absl::StatusOr<Identity> id) {
    got = std::move(id);
    called.Notify();
  });
  ASSERT_TRUE(call.ok()) << call.status();
  ASSERT_TRUE(called.WaitForNotificationWithTimeout(absl::Seconds(30)));
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_FALSE(got->host_id().empty());
  EXPECT_EQ(got->role, "Node");
  EXPECT_EQ(got->token_name, "boot");
  EXPECT_TRUE((*call)->done());
  // Wait() gives the same outcome as the callback.
  absl::StatusOr<Identity> again = (*call)->Wait();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->host_id(), got->host_id());
}

TEST_F(JoinClientTest, ConcurrentJoinsGetTheirOwnIdentities) {
  std::unique_ptr<JoinClient> client = Client(&agent_methods_);
  std::vector<std::shared_ptr<JoinCall>> calls;
  for (int i = 0; i < 4; ++i) {
    auto call = client->Start(Params());
    ASSERT_TRUE(call.ok()) << call.status();
    calls.push_back(*call);
  }
  std::set<std::string> ids;
  for (auto& call : calls) {
    absl::StatusOr<Identity> id = call->Wait();
    ASSERT_TRUE(id.ok()) << id.status();
    ids.insert(id->host_id());
  }
  EXPECT_EQ(ids.size(), 4u);
}

TEST_F(JoinClientTest, ServerDenialIsReturnedUnchanged) {
  std::unique_ptr<JoinClient> client = Client(&agent_methods_);
  absl::StatusOr<Identity> id = client->Join(Params("nope"));
  EXPECT_EQ(id.status().code(), absl::StatusCode::kPermissionDenied) << id.status();
  EXPECT_NE(id.status().message().find("unknown, expired"), absl::string_view::npos) << id.status();
}

TEST_F(JoinClientTest, CancelWhileTheSolverBlocksCompletesAtOnce) {
  std::unique_ptr<JoinClient> client = Client(&blocking_methods_);
  std::atomic<int> callbacks{0};
  absl::StatusCode seen = absl::StatusCode::kOk;
  auto call = client->Start(Params(), [&](absl::StatusOr<Identity> id) {
    seen = id.status().code();
    callbacks++;
  });
  ASSERT_TRUE(call.ok()) << call.status();
  ASSERT_TRUE(gate_.entered.WaitForNotificationWithTimeout(absl::Seconds(30)));
  (*call)->Cancel();
  // Completed before Cancel returned, although the solver is still blocked.
  EXPECT_TRUE((*call)->done());
  EXPECT_EQ(callbacks.load(), 1);
  EXPECT_EQ(seen, absl::StatusCode::kCancelled);
  EXPECT_EQ(gate_.returned.load(), 0);
  absl::StatusOr<Identity> id = (*call)->Wait();
  EXPECT_EQ(id.status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(id.status().message(), "join: cancelled");
  (*call)->Cancel();  // idempotent
  gate_.release.Notify();
  client.reset();  // waits for the solver; the callback is not called again
  EXPECT_EQ(gate_.returned.load(), 1);
  EXPECT_EQ(callbacks.load(), 1);
}

TEST_F(JoinClientTest, DeadlineEndsABlockedJoin) {
  JoinClientOptions o;
  o.timeout = absl::Milliseconds(300);
  std::unique_ptr<JoinClient> client = Client(&blocking_methods_, o);
  absl::StatusOr<Identity> id = client->Join(Params());
  EXPECT_EQ(id.status().code(), absl::StatusCode::kDeadlineExceeded) << id.status();
}

TEST_F(JoinClientTest, DestroyingTheClientCancelsJoinsInFlight) {
  std::unique_ptr<JoinClient> client = Client(&blocking_methods_);
  auto call = client->Start(Params());
  ASSERT_TRUE(call.ok());
  ASSERT_TRUE(gate_.entered.WaitForNotificationWithTimeout(absl::Seconds(30)));
  // The solver returns as soon as the destructor has cancelled the stream.
  std::thread releaser([&] { gate_.release.Notify(); });
  client.reset();
  releaser.join();
  ASSERT_TRUE((*call)->done());
  EXPECT_FALSE((*call)->Wait().ok());
}

struct StartErrorCase {
  const char* name;
  std::string method, token;
  absl::StatusCode code;
  const char* message;
};

TEST_F(JoinClientTest, StartRejectsBadParams) {
  std::unique_ptr<JoinClient> client = Client(&agent_methods_);
  const StartErrorCase cases[] = {
      {"no method", "", "boot", absl::StatusCode::kInvalidArgument, "join_method and token_name"},
      {"no token", "token", "", absl::StatusCode::kInvalidArgument, "join_method and token_name"},
      {"unknown method", "azure", "boot", absl::StatusCode::kNotFound, "unknown join method \"azure\""},
  };
  for (const StartErrorCase& c : cases) {
    JoinParams p = Params();
    p.join_method = c.method;
    p.token_name = c.token;
    auto call = client->Start(p, [](absl::StatusOr<Identity>) { ADD_FAILURE() << "called"; });
    EXPECT_EQ(call.status().code(), c.code) << c.name << ": " << call.status();
    EXPECT_NE(call.status().message().find(c.message), absl::string_view::npos)
        << c.name << ": " << call.status();
  }
}

TEST_F(JoinClientTest, CreateRejectsMissingArguments) {
  auto c = JoinClient::Create(nullptr, &agent_methods_, keys_);
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  JoinClientOptions o;
  o.timeout = absl::ZeroDuration();
  c = JoinClient::Create(channel_, &agent_methods_, keys_, o);
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(c.status().message().find("timeout must be positive"), absl::string_view::npos);
}

}  // namespace
}  // namespace enlist::agent
