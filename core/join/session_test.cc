// Drives both join sessions against each other without any transport.
#include <map>
#include <memory>
#include <string>

#include "absl/time/civil_time.h"
#include "core/join/client_session.h"
#include "core/join/server_session.h"
#include "core/join/testing/fakes.h"
#include "core/token/gated_token_store.h"
#include "core/token/token_resource.h"
#include "core/token/token_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "methods/token/agent/token_solver.h"
#include "methods/token/auth/token_checker.h"
#include "proto/token/v1/token.pb.h"

namespace enlist::join {
namespace {

using ::testing::HasSubstr;
using v1::JoinRequest;
using v1::JoinResponse;

constexpr char kSecret[] = "correct-horse-battery-staple";

class SessionTest : public ::testing::Test {
 protected:
  SessionTest() : clock_(absl::FromCivil(absl::CivilSecond(2026, 11, 23, 12, 0, 0), absl::UTCTimeZone())) {
    EXPECT_TRUE(token_method::RegisterTokenAuth(auth_methods_).ok());
    EXPECT_TRUE(auth_methods_.Register(std::make_unique<testing::FakeAuthMethod>(3)).ok());
    for (const std::string& name : auth_methods_.Names()) {
      checkers_[name] = *(*auth_methods_.Get(name))->NewChecker(CheckerOptions());
    }
    EXPECT_TRUE(token_method::RegisterTokenAgent(agent_methods_).ok());
    EXPECT_TRUE(agent_methods_.Register(std::make_unique<testing::FakeAgentMethod>()).ok());
    deps_.methods = &auth_methods_;
    deps_.checkers = &checkers_;
    deps_.tokens = &tokens_;
    deps_.issuer = &issuer_;
    deps_.audit = &audit_;
    deps_.clock = &clock_;
    AddTokens(
        "kind: token\nversion: v2\nmetadata: {name: boot}\n"
        "spec: {roles: [Node], join_method: token, token: {secret: correct-horse-battery-staple}}\n"
        "---\nkind: token\nversion: v2\nmetadata: {name: once}\n"
        "spec: {roles: [Node], join_method: token, token: {secret: correct-horse-battery-staple, "
        "single_use: true}}\n"
        "---\nkind: token\nversion: v2\nmetadata: {name: old, expires: \"2026-11-01T00:00:00Z\"}\n"
        "spec: {roles: [Node], join_method: token, token: {secret: correct-horse-battery-staple}}\n"
        "---\nkind: token\nversion: v2\nmetadata: {name: multi}\n"
        "spec: {roles: [Node, App], join_method: fake}\n");
  }

  void AddTokens(const std::string& yaml) {
    auto parsed = token::ParseTokens(yaml, "tokens.yaml", auth_methods_);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    for (const auto& t : *parsed) ASSERT_TRUE(tokens_.PutToken(t, false).ok());
  }

  v1::ClientInit Init(const std::string& method, const std::string& token,
                      const std::string& role = "Node") {
    v1::ClientInit init;
    init.set_join_method(method);
    init.set_token_name(token);
    init.set_role(role);
    init.mutable_host()->set_tls_public_key("spki");
    init.mutable_host()->set_host_name("vm-1");
    return init;
  }

  std::unique_ptr<Solver> TokenSolver(const std::string& secret) {
    auto node = config::YamlNode::ParseOne("secret: " + secret + "\n", "agent.yaml");
    SolverOptions o;
    o.join_params = *node;
    return *(*agent_methods_.Get("token"))->NewSolver(o);
  }

  // Runs a whole join; returns the Result or the first error of either side.
  absl::StatusOr<v1::Result> Run(v1::ClientInit init, Solver* solver) {
    ServerJoinSession server(deps_, "10.0.0.5:54321", false);
    ClientJoinSession client(std::move(init), solver, absl::InfiniteFuture());
    std::vector<JoinRequest> outbox{client.Start()};
    for (int i = 0; i < 20 && !outbox.empty(); ++i) {
      JoinRequest req = outbox.back();
      outbox.pop_back();
      auto reply = server.OnRequest(req);
      if (!reply.ok()) return reply.status();
      for (const JoinResponse& resp : reply->send) {
        auto next = client.OnResponse(resp);
        if (!next.ok()) return next.status();
        if (auto* r = std::get_if<v1::Result>(&*next)) return *r;
        if (auto* q = std::get_if<JoinRequest>(&*next)) outbox.push_back(*q);
      }
    }
    return absl::InternalError("test: join did not finish");
  }

  ManualClock clock_;
  AuthRegistry auth_methods_;
  AgentRegistry agent_methods_;
  std::map<std::string, std::shared_ptr<Checker>> checkers_;
  token::MemoryTokenStore tokens_;
  testing::FakeIssuer issuer_;
  testing::RecordingAuditSink audit_;
  ServerSessionDeps deps_;
};

TEST_F(SessionTest, TokenJoinSucceedsAndIsAudited) {
  auto solver = TokenSolver(kSecret);
  auto r = Run(Init("token", "boot"), solver.get());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->host_id(), "host-1");
  ASSERT_EQ(audit_.events().size(), 1u);
  const std::vector<JoinEvent> events = audit_.events();
  const JoinEvent& e = events[0];
  EXPECT_TRUE(e.accepted);
  EXPECT_EQ(e.token_name, "boot");
  EXPECT_EQ(e.remote_addr, "10.0.0.5:54321");
  EXPECT_EQ(e.host_id, "host-1");
}

TEST_F(SessionTest, MultiRoundMethodNeedsNoCoreChanges) {
  auto solver = *(*agent_methods_.Get("fake"))->NewSolver(SolverOptions());
  auto r = Run(Init("fake", "multi", "app"), solver.get());
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->attributes_size(), 1);
  EXPECT_EQ(r->attributes(0).key(), "fake.rounds");
  EXPECT_EQ(r->attributes(0).value(), "3");
}

struct DenyCase {
  const char* name;
  const char* method;
  const char* token;
  const char* role;
  const char* secret;
  absl::StatusCode code;
  const char* agent_message;
  const char* audit_reason;
};

class SessionDenyTest : public SessionTest, public ::testing::WithParamInterface<DenyCase> {};

TEST_P(SessionDenyTest, DeniesWithPreciseStatus) {
  const DenyCase& c = GetParam();
  auto solver = TokenSolver(c.secret);
  auto r = Run(Init(c.method, c.token, c.role), solver.get());
  EXPECT_EQ(r.status().code(), c.code);
  EXPECT_EQ(r.status().message(), c.agent_message);
  ASSERT_EQ(audit_.events().size(), 1u);
  EXPECT_FALSE(audit_.events()[0].accepted);
  EXPECT_THAT(audit_.events()[0].reason, HasSubstr(c.audit_reason));
  EXPECT_EQ(issuer_.issued(), 0u);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, SessionDenyTest,
    ::testing::Values(
        DenyCase{"wrong_secret", "token", "boot", "Node", "not-the-right-secret!",
                 absl::StatusCode::kUnauthenticated, "token: wrong secret", "token: wrong secret"},
        DenyCase{"expired", "token", "old", "Node", kSecret, absl::StatusCode::kPermissionDenied,
                 "join: token \"old\" is unknown, expired, or not for join method \"token\"",
                 "token expired"},
        DenyCase{"unknown_token", "token", "nope", "Node", kSecret,
                 absl::StatusCode::kPermissionDenied,
                 "join: token \"nope\" is unknown, expired, or not for join method \"token\"",
                 "token not found"},
        DenyCase{"wrong_method", "azure", "boot", "Node", kSecret,
                 absl::StatusCode::kPermissionDenied,
                 "join: token \"boot\" is unknown, expired, or not for join method \"azure\"",
                 "token is for join method \"token\""},
        DenyCase{"role_not_granted", "token", "boot", "Auth", kSecret,
                 absl::StatusCode::kPermissionDenied,
                 "join: token \"boot\" does not grant role \"Auth\"", "does not grant role"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST_F(SessionTest, TokenReadFailuresKeepRefusalApartFromOutage) {
  struct Case {
    const char* name;
    absl::Status read_error;
    absl::StatusCode code;
    const char* message;
  };
  const Case cases[] = {
      // The server refuses joins until restarted: retrying will not help.
      {"refusing", absl::FailedPreconditionError("ca: the cluster CA in storage changed"),
       absl::StatusCode::kFailedPrecondition,
       "join: reading token: ca: the cluster CA in storage changed"},
      // Storage down: retryable.
      {"outage", absl::UnavailableError("tokens: get \"boot\": storage: etcd: no leader"),
       absl::StatusCode::kUnavailable,
       "join: reading token: tokens: get \"boot\": storage: etcd: no leader"},
      {"other", absl::InternalError("tokens: corrupt"), absl::StatusCode::kUnavailable,
       "join: reading token: tokens: corrupt"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    // Reads fail with `read_error` before reaching the real store.
    token::GatedTokenStore failing(&tokens_, [&c] { return c.read_error; });
    deps_.tokens = &failing;
    auto solver = TokenSolver(kSecret);
    auto r = Run(Init("token", "boot"), solver.get());
    EXPECT_EQ(r.status().code(), c.code) << r.status();
    EXPECT_EQ(r.status().message(), c.message);
    EXPECT_EQ(issuer_.issued(), 0u);
    deps_.tokens = &tokens_;
  }
}

TEST_F(SessionTest, SingleUseTokenWorksOnce) {
  auto solver = TokenSolver(kSecret);
  ASSERT_TRUE(Run(Init("token", "once"), solver.get()).ok());
  auto again = Run(Init("token", "once"), solver.get());
  EXPECT_EQ(again.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(again.status().message(),
            "join: token \"once\" is unknown, expired, or not for join method \"token\"");
  EXPECT_EQ(issuer_.issued(), 1u);
}

TEST_F(SessionTest, SingleUseTokenRaceHasOneWinner) {
  // Two joins read the token, then both finish: only the first may consume it.
  auto solver = TokenSolver(kSecret);
  ServerJoinSession a(deps_, "a", false), b(deps_, "b", false);
  JoinRequest init;
  *init.mutable_init() = Init("token", "once");
  ASSERT_TRUE(a.OnRequest(init).ok());
  ASSERT_TRUE(b.OnRequest(init).ok());
  JoinRequest sol;
  google::protobuf::Any challenge;
  challenge.PackFrom(enlist::token::v1::TokenChallenge());
  *sol.mutable_solution()->mutable_payload() = *solver->Solve(challenge, absl::InfiniteFuture());
  EXPECT_TRUE(a.OnRequest(sol).ok());
  auto second = b.OnRequest(sol);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(second.status().message(), "join: token \"once\" was already used");
}

TEST_F(SessionTest, OutOfOrderMessagesEndTheStream) {
  ServerJoinSession s(deps_, "x", false);
  JoinRequest sol;
  sol.mutable_solution();
  auto r = s.OnRequest(sol);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(r.status().message(), "join: unexpected Solution: no challenge is outstanding");
  EXPECT_TRUE(s.finished());

  ServerJoinSession s2(deps_, "x", false);
  JoinRequest init;
  *init.mutable_init() = Init("token", "boot");
  ASSERT_TRUE(s2.OnRequest(init).ok());
  auto twice = s2.OnRequest(init);
  EXPECT_EQ(twice.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(twice.status().message(), "join: unexpected ClientInit: already initialised");

  ServerJoinSession s3(deps_, "x", false);
  auto empty = s3.OnRequest(JoinRequest());
  EXPECT_EQ(empty.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(empty.status().message(), "join: empty JoinRequest");
}

TEST_F(SessionTest, OversizedFieldsAreRejectedBeforeAnyLookup) {
  v1::ClientInit init = Init("token", "boot");
  init.mutable_host()->set_host_name(std::string(300, 'h'));
  auto solver = TokenSolver(kSecret);
  auto r = Run(init, solver.get());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "join: host.host_name is 300 bytes, over the limit of 253");

  v1::ClientInit many = Init("token", "boot");
  for (int i = 0; i < 65; ++i) many.mutable_host()->add_dns_names("a");
  r = Run(many, solver.get());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "join: host.dns_names has more than 64 entries");

  // An oversized solution.
  ServerJoinSession s(deps_, "x", false);
  JoinRequest req;
  *req.mutable_init() = Init("token", "boot");
  ASSERT_TRUE(s.OnRequest(req).ok());
  enlist::token::v1::TokenSolution big;
  big.set_secret(std::string(70 * 1024, 'x'));
  JoinRequest sol;
  sol.mutable_solution()->mutable_payload()->PackFrom(big);
  auto rs = s.OnRequest(sol);
  EXPECT_EQ(rs.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(rs.status().message()), HasSubstr("over the limit of 65536"));
}

TEST_F(SessionTest, DeadlineExceededAfterStreamDeadline) {
  ServerJoinSession s(deps_, "x", false);
  JoinRequest req;
  *req.mutable_init() = Init("token", "boot");
  ASSERT_TRUE(s.OnRequest(req).ok());
  clock_.Advance(absl::Seconds(61));
  auto solver = TokenSolver(kSecret);
  google::protobuf::Any ch;
  ch.PackFrom(enlist::token::v1::TokenChallenge());
  JoinRequest sol;
  *sol.mutable_solution()->mutable_payload() = *solver->Solve(ch, absl::InfiniteFuture());
  auto r = s.OnRequest(sol);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(r.status().message(), "join: deadline exceeded");
  EXPECT_EQ(issuer_.issued(), 0u);
}

TEST_F(SessionTest, ProxyAddressOnlyFromTrustedProxy) {
  v1::ClientInit init = Init("token", "boot");
  init.set_proxy_remote_addr("203.0.113.9:4000");
  JoinRequest req;
  *req.mutable_init() = init;
  {
    ServerJoinSession direct(deps_, "10.0.0.5:1", false);
    ASSERT_TRUE(direct.OnRequest(req).ok());
    direct.Abort(absl::CancelledError("test"));
  }
  {
    ServerJoinSession proxied(deps_, "10.0.0.7:1", true);
    ASSERT_TRUE(proxied.OnRequest(req).ok());
    proxied.Abort(absl::CancelledError("test"));
  }
  ASSERT_EQ(audit_.events().size(), 2u);
  EXPECT_EQ(audit_.events()[0].remote_addr, "10.0.0.5:1");
  EXPECT_EQ(audit_.events()[1].remote_addr, "203.0.113.9:4000");
}

TEST_F(SessionTest, ClientRejectsOutOfOrderServer) {
  auto solver = TokenSolver(kSecret);
  ClientJoinSession c(Init("token", "boot"), solver.get(), absl::InfiniteFuture());
  c.Start();
  JoinResponse challenge;
  challenge.mutable_challenge()->mutable_payload()->PackFrom(enlist::token::v1::TokenChallenge());
  auto r = c.OnResponse(challenge);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(r.status().message(), "join: challenge before ServerInit");

  ClientJoinSession c2(Init("token", "boot"), solver.get(), absl::InfiniteFuture());
  JoinResponse init;
  init.mutable_init()->set_join_method("azure");
  auto r2 = c2.OnResponse(init);
  EXPECT_EQ(r2.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(r2.status().message(),
            "join: server runs join method \"azure\", agent asked for \"token\"");
}

}  // namespace
}  // namespace enlist::join
