// JoinServer's embedding seams: a JoinServer built with a custom token
// store, issuer and audit sink (JoinServerDeps.tokens/.issuer/.audit),
// registered on an in-process gRPC server, driven by the real agent join
// stream with the `token` method. Checks that each supplied dependency is
// the one used, that nothing falls back to the defaults (no storage, no
// CA), and what the audit sink sees per attempt.
#include "auth/public/join_server.h"

#include <sys/stat.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "agent/join_client.h"
#include "core/join/testing/fakes.h"
#include "core/token/gated_token_store.h"
#include "core/token/token_store.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "methods/token/agent/token_solver.h"
#include "methods/token/auth/token_checker.h"

namespace enlist::auth {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kSecret[] = "correct-horse-battery-staple";
constexpr char kTokens[] =
    "kind: token\nversion: v2\nmetadata: {name: boot}\n"
    "spec: {roles: [Node], join_method: token, token: {secret: correct-horse-battery-staple}}\n";

class JoinServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_dir_ = absl::StrCat(std::getenv("TEST_TMPDIR"), "/",
                             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    ASSERT_TRUE(token_method::RegisterTokenAuth(auth_methods_).ok());
    ASSERT_TRUE(token_method::RegisterTokenAgent(agent_methods_).ok());
    AuthConfig config;
    config.data_dir = data_dir_;
    JoinServerDeps deps;
    deps.methods = &auth_methods_;
    deps.tokens = &tokens_;
    deps.issuer = &issuer_;
    deps.audit = &audit_;
    absl::StatusOr<std::unique_ptr<JoinServer>> join = JoinServer::Create(config, deps);
    ASSERT_TRUE(join.ok()) << join.status();
    join_ = *std::move(join);
    ASSERT_TRUE(join_->PutTokens(kTokens, "tokens.yaml").ok());

    grpc::ServerBuilder builder;  // no port: in-process only
    join_->Register(builder);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    channel_ = server_->InProcessChannel(grpc::ChannelArguments());
  }

  void TearDown() override {
    if (server_) server_->Shutdown();
    if (join_) join_->Shutdown();
  }

  // Makes the custom store's reads fail with `s` (OK: reads allowed).
  void SetTokenGate(absl::Status s) {
    absl::MutexLock l(&mu_);
    gate_ = std::move(s);
  }
  int token_reads() {
    absl::MutexLock l(&mu_);
    return token_reads_;
  }

  // One join with the `token` method through the agent's join stream.
  absl::StatusOr<enlist::join::v1::Result> Join(const std::string& token,
                                                const std::string& secret = kSecret) {
    enlist::join::v1::ClientInit init;
    init.set_join_method("token");
    init.set_token_name(token);
    init.set_role("Node");
    init.mutable_host()->set_tls_public_key("spki");
    init.mutable_host()->set_host_name("vm-1");
    join::SolverOptions o;
    o.join_params = *config::YamlNode::ParseOne(absl::StrCat("secret: ", secret, "\n"), "agent.yaml");
    absl::StatusOr<std::unique_ptr<join::Solver>> solver =
        (*agent_methods_.Get("token"))->NewSolver(o);
    if (!solver.ok()) return solver.status();
    return agent::RunJoin(channel_, init, solver->get(), absl::Seconds(30));
  }

  std::string data_dir_;
  join::AuthRegistry auth_methods_;
  join::AgentRegistry agent_methods_;
  absl::Mutex mu_;
  absl::Status gate_ ABSL_GUARDED_BY(mu_);
  int token_reads_ ABSL_GUARDED_BY(mu_) = 0;
  // The custom token store: tokens in memory behind a gate that counts the
  // join's reads and can refuse them.
  token::MemoryTokenStore memory_;
  token::GatedTokenStore tokens_{&memory_, [this] {
                                   absl::MutexLock l(&mu_);
                                   ++token_reads_;
                                   return gate_;
                                 }};
  join::testing::FakeIssuer issuer_;
  join::testing::RecordingAuditSink audit_;
  std::unique_ptr<JoinServer> join_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(JoinServerTest, SuppliedTokenStoreAndIssuerNeedNoStorageAndNoCa) {
  EXPECT_EQ(join_->tokens(), &tokens_);
  // PutTokens wrote through the supplied store.
  EXPECT_TRUE(memory_.GetToken("boot").ok());
  // Nothing needed the data directory: no SQLite database, no cluster CA.
  struct stat st;
  EXPECT_NE(stat(data_dir_.c_str(), &st), 0) << data_dir_ << " was created";
  EXPECT_EQ(join_->ca_pin(), "");
  auto creds = join_->ServerCredentials({});
  EXPECT_EQ(creds.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(creds.status().message(), HasSubstr("a custom issuer is in use"));
}

TEST_F(JoinServerTest, AcceptedJoinGetsTheCustomIssuersResult) {
  absl::StatusOr<enlist::join::v1::Result> r = Join("boot");
  ASSERT_TRUE(r.ok()) << r.status();
  // Exactly what FakeIssuer returned, not a cluster-CA identity.
  EXPECT_EQ(r->host_id(), "host-1");
  EXPECT_THAT(r->tls_cert_chain(), ElementsAre("cert"));
  EXPECT_EQ(issuer_.issued(), 1u);
  EXPECT_EQ(token_reads(), 1);

  const std::vector<join::JoinEvent> events = audit_.events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_TRUE(events[0].accepted);
  EXPECT_EQ(events[0].code, absl::StatusCode::kOk);
  EXPECT_EQ(events[0].host_id, "host-1");
  EXPECT_EQ(events[0].token_name, "boot");
  EXPECT_EQ(events[0].join_method, "token");
  EXPECT_EQ(events[0].role, "Node");
  EXPECT_EQ(events[0].host_name, "vm-1");
}

// A refused join: what the agent is told, and the one audit event.
struct RefusalCase {
  const char* name;
  const char* token;
  const char* secret;
  absl::Status token_gate;  // the custom store's reads fail with this
  absl::StatusCode code;
  const char* agent_message;
  const char* audit_reason;
};

class JoinServerRefusalTest : public JoinServerTest,
                              public ::testing::WithParamInterface<RefusalCase> {};

TEST_P(JoinServerRefusalTest, RefusedJoinIsAuditedOnceAndIssuesNothing) {
  const RefusalCase& c = GetParam();
  SetTokenGate(c.token_gate);
  absl::StatusOr<enlist::join::v1::Result> r = Join(c.token, c.secret);
  EXPECT_EQ(r.status().code(), c.code) << r.status();
  EXPECT_EQ(r.status().message(), c.agent_message);
  // The supplied store was the one asked.
  EXPECT_EQ(token_reads(), 1);
  EXPECT_EQ(issuer_.issued(), 0u);

  const std::vector<join::JoinEvent> events = audit_.events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_FALSE(events[0].accepted);
  EXPECT_EQ(events[0].code, c.code);
  EXPECT_THAT(events[0].reason, HasSubstr(c.audit_reason));
  EXPECT_EQ(events[0].token_name, c.token);
  EXPECT_EQ(events[0].host_id, "");
}

INSTANTIATE_TEST_SUITE_P(
    Cases, JoinServerRefusalTest,
    ::testing::Values(
        // The agent sees the generic text (no token-name enumeration); the
        // audit event keeps the reason.
        RefusalCase{"unknown_token", "nope", kSecret, absl::OkStatus(),
                    absl::StatusCode::kPermissionDenied,
                    "join: token \"nope\" is unknown, expired, or not for join method \"token\"",
                    "token not found"},
        RefusalCase{"wrong_secret", "boot", "not-the-right-secret!", absl::OkStatus(),
                    absl::StatusCode::kUnauthenticated, "token: wrong secret",
                    "token: wrong secret"},
        // The supplied store refuses on purpose: not retryable.
        RefusalCase{"store_refuses", "boot", kSecret,
                    absl::FailedPreconditionError("ca: the cluster CA in storage changed"),
                    absl::StatusCode::kFailedPrecondition,
                    "join: reading token: ca: the cluster CA in storage changed",
                    "ca: the cluster CA in storage changed"},
        // The supplied store is down: retryable.
        RefusalCase{"store_down", "boot", kSecret,
                    absl::UnavailableError("tokens: config service: connection refused"),
                    absl::StatusCode::kUnavailable,
                    "join: reading token: tokens: config service: connection refused",
                    "tokens: config service: connection refused"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST_F(JoinServerTest, FailingIssuerEndsTheStreamWithItsStatus) {
  const absl::Status failures[] = {
      absl::UnavailableError("issuer: signing service: connection refused"),
      absl::InvalidArgumentError("issuer: host.tls_public_key: not a public key"),
  };
  for (const absl::Status& failure : failures) {
    SCOPED_TRACE(failure.ToString());
    issuer_.FailWith(failure);
    const size_t before = audit_.events().size();
    absl::StatusOr<enlist::join::v1::Result> r = Join("boot");
    // The issuer's status reaches the agent unchanged.
    EXPECT_EQ(r.status().code(), failure.code()) << r.status();
    EXPECT_EQ(r.status().message(), failure.message());

    const std::vector<join::JoinEvent> events = audit_.events();
    ASSERT_EQ(events.size(), before + 1);
    EXPECT_FALSE(events.back().accepted);
    EXPECT_EQ(events.back().code, failure.code());
    EXPECT_EQ(events.back().reason, failure.message());
    EXPECT_EQ(events.back().host_id, "");
  }
  EXPECT_EQ(issuer_.issued(), 0u);
}

}  // namespace
}  // namespace enlist::auth
