// The join proxy through real gRPC on loopback with TLS: a test agent talks
// to JoinProxyService (StartJoinProxyServer, as enlist-proxy does), which
// forwards through a real UpstreamPool (the proxy identity as client
// certificate) to fake auth servers that record what they receive.
#include "tools/proxy/join_proxy.h"

#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "auth/storage/backend_testing.h"
#include "core/rpc/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/proxy/fake_upstream.h"

namespace enlist::proxy {
namespace {

using enlist::join::v1::JoinRequest;
using enlist::join::v1::JoinResponse;
using enlist::join::v1::JoinService;
using testing::FakeUpstream;
using ::testing::HasSubstr;

using AgentStream = grpc::ClientReaderWriter<JoinRequest, JoinResponse>;

constexpr absl::Duration kWait = absl::Seconds(10);

JoinRequest Init(const std::string& claimed_addr = "") {
  JoinRequest r;
  r.mutable_init()->set_join_method("token");
  r.mutable_init()->set_token_name("boot");
  r.mutable_init()->set_role("Node");
  r.mutable_init()->mutable_host()->set_host_name("vm1");
  if (!claimed_addr.empty()) r.mutable_init()->set_proxy_remote_addr(claimed_addr);
  return r;
}

JoinRequest Solution(const std::string& value) {
  JoinRequest r;
  r.mutable_solution()->mutable_payload()->set_type_url("type.googleapis.com/test.Solution");
  r.mutable_solution()->mutable_payload()->set_value(value);
  return r;
}

// Local ports of established loopback TCP connections to `port`
// (/proc/net/tcp{,6}; gRPC uses v4-mapped IPv6 sockets): the address the
// proxy sees for a test agent.
std::vector<int> LoopbackPortsConnectedTo(int port) {
  std::vector<int> ports;
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::vector<std::string> f = absl::StrSplit(line, ' ', absl::SkipEmpty());
      if (f.size() < 4 || f[3] != "01") continue;  // ESTABLISHED
      std::vector<std::string> local = absl::StrSplit(f[1], ':');
      std::vector<std::string> remote = absl::StrSplit(f[2], ':');
      int lport = 0, rport = 0;
      if (local.size() != 2 || remote.size() != 2 ||
          (local[0] != "0100007F" && local[0] != "0000000000000000FFFF00000100007F") ||
          !absl::SimpleHexAtoi(local[1], &lport) || !absl::SimpleHexAtoi(remote[1], &rport)) {
        continue;
      }
      if (rport == port) ports.push_back(lport);
    }
  }
  return ports;
}

class JoinProxyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto pki = testing::MakeTestPki(storage::MakeTestDir("proxy"));
    ASSERT_TRUE(pki.ok()) << pki.status();
    pki_ = *std::move(pki);
  }

  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown(std::chrono::system_clock::now());
  }

  std::unique_ptr<FakeUpstream> Fake(FakeUpstream::Handler handler) {
    auto f = FakeUpstream::Start(pki_, std::move(handler));
    EXPECT_TRUE(f.ok()) << f.status();
    return f.ok() ? *std::move(f) : nullptr;
  }

  // The address of a port nobody listens on (a stopped server's).
  std::string DeadAddress() {
    std::unique_ptr<FakeUpstream> f = Fake(testing::ChallengeRounds(1));
    std::string address = f->address();
    f->Stop();
    return address;
  }

  void StartProxy(const std::vector<std::string>& upstreams, JoinProxyOptions jo = {},
                  int upstream_max_message_bytes = 256 * 1024) {
    UpstreamPoolOptions po;
    po.addresses = upstreams;
    po.ca_pem = pki_.ca_pem;
    po.cert_pem = pki_.proxy_cert_pem;
    po.key_pem = pki_.proxy_key_pem;
    po.health_interval = absl::Milliseconds(200);
    po.max_message_bytes = upstream_max_message_bytes;
    auto pool = UpstreamPool::Create(po);
    ASSERT_TRUE(pool.ok()) << pool.status();
    pool_ = *std::move(pool);
    service_ = std::make_unique<JoinProxyService>(pool_.get(), &logger_, jo);
    auto server = StartJoinProxyServer("127.0.0.1:0", pki_.proxy_cert_pem, pki_.proxy_key_pem,
                                       service_.get(), &port_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  // A stub on a connection of its own (so its local port is identifiable).
  std::unique_ptr<JoinService::Stub> Agent() {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = pki_.ca_pem;
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetMaxSendMessageSize(16 << 20);
    return JoinService::NewStub(grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port_),
                                                          grpc::SslCredentials(ssl), args));
  }

  // One whole join through the proxy against ChallengeRounds(1).
  void JoinOnce() {
    auto agent = Agent();
    grpc::ClientContext ctx;
    std::unique_ptr<AgentStream> s = agent->Join(&ctx);
    ASSERT_TRUE(s->Write(Init()));
    JoinResponse resp;
    ASSERT_TRUE(s->Read(&resp));
    ASSERT_TRUE(s->Read(&resp));
    ASSERT_TRUE(s->Write(Solution("s1")));
    ASSERT_TRUE(s->Read(&resp));
    EXPECT_EQ(resp.result().host_id(), "host-1");
    grpc::Status st = s->Finish();
    EXPECT_TRUE(st.ok()) << st.error_message();
  }

  std::vector<std::string> Logs() {
    absl::MutexLock l(&log_mu_);
    return logs_;
  }

  testing::TestPki pki_;
  absl::Mutex log_mu_;
  std::vector<std::string> logs_ ABSL_GUARDED_BY(log_mu_);
  log::Logger logger_{log::Format::kText, log::Level::kInfo, [this](absl::string_view line) {
                        absl::MutexLock l(&log_mu_);
                        logs_.emplace_back(line);
                      }};
  std::unique_ptr<UpstreamPool> pool_;
  std::unique_ptr<JoinProxyService> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

TEST_F(JoinProxyTest, StampsTheAgentsAddressOverWhatItClaims) {
  std::unique_ptr<FakeUpstream> auth = Fake(testing::ChallengeRounds(1));
  StartProxy({auth->address()});
  auto agent = Agent();
  grpc::ClientContext ctx;
  std::unique_ptr<AgentStream> s = agent->Join(&ctx);
  ASSERT_TRUE(s->Write(Init("203.0.113.9:4000")));
  JoinResponse resp;
  ASSERT_TRUE(s->Read(&resp));  // the connection is up now
  std::vector<int> ports = LoopbackPortsConnectedTo(port_);
  ASSERT_EQ(ports.size(), 1u);
  const std::string agent_addr = absl::StrCat("127.0.0.1:", ports[0]);

  ASSERT_TRUE(s->Read(&resp));
  ASSERT_TRUE(s->Write(Solution("s1")));
  ASSERT_TRUE(s->Read(&resp));
  EXPECT_EQ(resp.result().host_id(), "host-1");
  EXPECT_TRUE(s->Finish().ok());

  ASSERT_TRUE(auth->AwaitEnded(1, kWait));
  std::vector<testing::SeenStream> seen = auth->streams();
  ASSERT_EQ(seen.size(), 1u);
  ASSERT_FALSE(seen[0].received.empty());
  EXPECT_EQ(seen[0].received[0].init().proxy_remote_addr(), agent_addr);
  // The auth server recognises the proxy by its client certificate.
  EXPECT_TRUE(seen[0].proxy_peer);
  // One structured line per stream, with the address it stamped.
  std::vector<std::string> logs = Logs();
  ASSERT_EQ(logs.size(), 1u);
  EXPECT_THAT(logs[0], HasSubstr(absl::StrCat("remote_addr=", agent_addr)));
  EXPECT_THAT(logs[0], HasSubstr(absl::StrCat("auth_server=", auth->address())));
  EXPECT_THAT(logs[0], HasSubstr("code=OK"));
}

TEST_F(JoinProxyTest, ForwardsMessagesBothWaysInOrder) {
  std::unique_ptr<FakeUpstream> auth = Fake(testing::ChallengeRounds(3));
  StartProxy({auth->address()});
  auto agent = Agent();
  grpc::ClientContext ctx;
  std::unique_ptr<AgentStream> s = agent->Join(&ctx);
  ASSERT_TRUE(s->Write(Init()));
  std::vector<std::string> got;
  JoinResponse resp;
  ASSERT_TRUE(s->Read(&resp));
  EXPECT_EQ(resp.init().join_method(), "token");
  for (int i = 1; i <= 3; ++i) {
    ASSERT_TRUE(s->Read(&resp));
    got.push_back(resp.challenge().payload().value());
    ASSERT_TRUE(s->Write(Solution(absl::StrCat("s", i))));
  }
  ASSERT_TRUE(s->Read(&resp));
  EXPECT_EQ(resp.result().host_id(), "host-1");
  EXPECT_FALSE(s->Read(&resp));
  EXPECT_TRUE(s->Finish().ok());
  EXPECT_THAT(got, ::testing::ElementsAre("c1", "c2", "c3"));

  ASSERT_TRUE(auth->AwaitEnded(1, kWait));
  std::vector<JoinRequest> received = auth->streams()[0].received;
  ASSERT_EQ(received.size(), 4u);
  EXPECT_TRUE(received[0].has_init());
  for (int i = 1; i <= 3; ++i) {
    EXPECT_EQ(received[i].solution().payload().value(), absl::StrCat("s", i));
  }
  EXPECT_EQ(service_->forwarded(), 1);
}

TEST_F(JoinProxyTest, SkipsAnUpstreamThatIsDown) {
  std::unique_ptr<FakeUpstream> auth = Fake(testing::ChallengeRounds(1));
  const std::string dead = DeadAddress();
  StartProxy({dead, auth->address()});
  // Candidates rotate, so the dead server comes first for some of these.
  for (int i = 0; i < 4; ++i) ASSERT_NO_FATAL_FAILURE(JoinOnce());
  EXPECT_EQ(auth->streams().size(), 4u);
  EXPECT_EQ(service_->unavailable(), 0);
  EXPECT_TRUE(pool_->AwaitHealthyCount(1, kWait));
}

TEST_F(JoinProxyTest, FailsOverWhenAnUpstreamTakesTheClientInitThenGoesAway) {
  // The ClientInit reaches the first server (the write completes), then the
  // server ends the stream UNAVAILABLE without answering, as one being
  // killed does: the proxy sends the ClientInit again to the next server
  // while the agent's next read is already in flight.
  std::unique_ptr<FakeUpstream> leaving =
      Fake(testing::Refuse(grpc::Status(grpc::StatusCode::UNAVAILABLE, "fake: shutting down")));
  std::unique_ptr<FakeUpstream> auth = Fake(testing::ChallengeRounds(1));
  StartProxy({leaving->address(), auth->address()});
  // Candidates rotate, so the leaving server comes first for some of these.
  for (int i = 0; i < 4; ++i) ASSERT_NO_FATAL_FAILURE(JoinOnce());
  EXPECT_GE(leaving->streams().size(), 1u);
  EXPECT_EQ(auth->streams().size(), 4u);
}

TEST_F(JoinProxyTest, NoReachableUpstreamIsUnavailableNamingEach) {
  const std::string dead1 = DeadAddress();
  const std::string dead2 = DeadAddress();
  StartProxy({dead1, dead2});
  auto agent = Agent();
  grpc::ClientContext ctx;
  std::unique_ptr<AgentStream> s = agent->Join(&ctx);
  ASSERT_TRUE(s->Write(Init()));
  JoinResponse resp;
  EXPECT_FALSE(s->Read(&resp));
  absl::Status st = rpc::FromGrpcStatus(s->Finish());
  ENLIST_EXPECT_STATUS(st, absl::StatusCode::kUnavailable, "proxy: no auth server reachable: ");
  EXPECT_THAT(std::string(st.message()), HasSubstr(absl::StrCat(dead1, " (")));
  EXPECT_THAT(std::string(st.message()), HasSubstr(absl::StrCat(dead2, " (")));
  EXPECT_EQ(service_->unavailable(), 1);
  EXPECT_EQ(pool_->healthy_count(), 0);
}

TEST_F(JoinProxyTest, AnAnswerIsFinalNoFailoverAfterIt) {
  std::unique_ptr<FakeUpstream> denies = Fake(
      testing::Refuse(grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "join: token says no")));
  std::unique_ptr<FakeUpstream> other = Fake(testing::ChallengeRounds(1));
  StartProxy({denies->address()});
  auto agent = Agent();
  grpc::ClientContext ctx;
  std::unique_ptr<AgentStream> s = agent->Join(&ctx);
  ASSERT_TRUE(s->Write(Init()));
  JoinResponse resp;
  EXPECT_FALSE(s->Read(&resp));
  ENLIST_EXPECT_STATUS(rpc::FromGrpcStatus(s->Finish()), absl::StatusCode::kPermissionDenied,
                       "join: token says no");
  EXPECT_EQ(other->streams().size(), 0u);
}

TEST_F(JoinProxyTest, AgentCancellingCancelsTheUpstreamAtOnce) {
  std::unique_ptr<FakeUpstream> auth = Fake(testing::AnswerThenHang());
  StartProxy({auth->address()});
  auto agent = Agent();
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Minutes(5)));
  std::unique_ptr<AgentStream> s = agent->Join(&ctx);
  ASSERT_TRUE(s->Write(Init()));
  JoinResponse resp;
  ASSERT_TRUE(s->Read(&resp));
  ASSERT_TRUE(s->Read(&resp));
  ctx.TryCancel();
  EXPECT_EQ(s->Finish().error_code(), grpc::StatusCode::CANCELLED);
  // Well before any deadline (5 min agent, 60 s proxy), the upstream's
  // handler sees its stream end.
  EXPECT_TRUE(auth->AwaitEnded(1, kWait));
}

TEST_F(JoinProxyTest, UpstreamFailingMidStreamEndsTheAgentsStreamRetryably) {
  std::unique_ptr<FakeUpstream> auth = Fake(testing::AnswerThenHang());
  StartProxy({auth->address()});
  auto agent = Agent();
  grpc::ClientContext ctx;
  std::unique_ptr<AgentStream> s = agent->Join(&ctx);
  ASSERT_TRUE(s->Write(Init()));
  JoinResponse resp;
  ASSERT_TRUE(s->Read(&resp));
  ASSERT_TRUE(s->Read(&resp));
  auth->Stop();  // the auth server goes away with the stream open
  EXPECT_FALSE(s->Read(&resp));
  ENLIST_EXPECT_STATUS(rpc::FromGrpcStatus(s->Finish()), absl::StatusCode::kUnavailable,
                       absl::StrCat("proxy: auth server ", auth->address(), ": "));
}

TEST_F(JoinProxyTest, EveryUpstreamCallHasADeadline) {
  std::unique_ptr<FakeUpstream> auth = Fake(testing::ChallengeRounds(1));
  JoinProxyOptions jo;
  jo.max_stream_duration = absl::Seconds(30);
  StartProxy({auth->address()}, jo);
  std::vector<absl::Time> starts;
  for (absl::Duration agent_deadline : {absl::InfiniteDuration(), absl::Seconds(10)}) {
    auto agent = Agent();
    grpc::ClientContext ctx;
    const absl::Time start = absl::Now();
    starts.push_back(start);
    if (agent_deadline != absl::InfiniteDuration()) {
      ctx.set_deadline(absl::ToChronoTime(start + agent_deadline));
    }
    std::unique_ptr<AgentStream> s = agent->Join(&ctx);
    ASSERT_TRUE(s->Write(Init()));
    JoinResponse resp;
    ASSERT_TRUE(s->Read(&resp));
    ASSERT_TRUE(s->Read(&resp));
    ASSERT_TRUE(s->Write(Solution("s1")));
    ASSERT_TRUE(s->Read(&resp));
    ASSERT_TRUE(s->Finish().ok());
  }
  ASSERT_TRUE(auth->AwaitEnded(2, kWait));
  std::vector<testing::SeenStream> seen = auth->streams();
  // Without an agent deadline: the proxy's 30 s; with one: the agent's 10 s
  // (gRPC rounds the timeout header up, hence the second of slack).
  absl::Duration d0 = absl::FromChrono(seen[0].deadline) - starts[0];
  absl::Duration d1 = absl::FromChrono(seen[1].deadline) - starts[1];
  EXPECT_GT(d0, absl::Seconds(25));
  EXPECT_LE(d0, absl::Seconds(31));
  EXPECT_GT(d1, absl::Seconds(5));
  EXPECT_LE(d1, absl::Seconds(11));
}

TEST_F(JoinProxyTest, StreamsBeyondTheLimitAreRefused) {
  std::unique_ptr<FakeUpstream> auth = Fake(testing::AnswerThenHang());
  JoinProxyOptions jo;
  jo.max_streams = 1;
  StartProxy({auth->address()}, jo);
  auto agent = Agent();
  grpc::ClientContext first_ctx;
  std::unique_ptr<AgentStream> first = agent->Join(&first_ctx);
  ASSERT_TRUE(first->Write(Init()));
  JoinResponse resp;
  ASSERT_TRUE(first->Read(&resp));

  grpc::ClientContext ctx;
  std::unique_ptr<AgentStream> second = agent->Join(&ctx);
  second->Write(Init());
  EXPECT_FALSE(second->Read(&resp));
  ENLIST_EXPECT_STATUS(rpc::FromGrpcStatus(second->Finish()), absl::StatusCode::kResourceExhausted,
                       "proxy: too many concurrent joins, retry later");
  EXPECT_EQ(service_->refused(), 1);
  EXPECT_EQ(auth->streams().size(), 1u);
  first_ctx.TryCancel();
  first->Finish().ok();
}

TEST_F(JoinProxyTest, AnUpstreamAnswerOverTheCapIsRefused) {
  std::unique_ptr<FakeUpstream> auth = Fake(testing::BigChallenge(64 * 1024));
  StartProxy({auth->address()}, {}, /*upstream_max_message_bytes=*/16 * 1024);
  auto agent = Agent();
  grpc::ClientContext ctx;
  std::unique_ptr<AgentStream> s = agent->Join(&ctx);
  ASSERT_TRUE(s->Write(Init()));
  JoinResponse resp;
  ASSERT_TRUE(s->Read(&resp));   // ServerInit
  EXPECT_FALSE(s->Read(&resp));  // the big Challenge never arrives
  ENLIST_EXPECT_STATUS(rpc::FromGrpcStatus(s->Finish()), absl::StatusCode::kResourceExhausted,
                       "larger than max");
}

// Agent streams the proxy refuses before any upstream hears of them.
struct Rejection {
  std::string name;
  std::function<void(JoinRequest*)> first;
  absl::StatusCode code;
  std::string message;
};

class JoinProxyRejectionTest : public JoinProxyTest,
                               public ::testing::WithParamInterface<Rejection> {};

TEST_P(JoinProxyRejectionTest, IsRefusedAndNeverForwarded) {
  std::unique_ptr<FakeUpstream> auth = Fake(testing::ChallengeRounds(1));
  JoinProxyOptions jo;
  jo.max_message_bytes = 16 * 1024;
  StartProxy({auth->address()}, jo);
  auto agent = Agent();
  grpc::ClientContext ctx;
  std::unique_ptr<AgentStream> s = agent->Join(&ctx);
  JoinRequest first = Init();
  GetParam().first(&first);
  s->Write(first);
  JoinResponse resp;
  EXPECT_FALSE(s->Read(&resp));
  ENLIST_EXPECT_STATUS(rpc::FromGrpcStatus(s->Finish()), GetParam().code, GetParam().message);
  EXPECT_EQ(auth->streams().size(), 0u);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, JoinProxyRejectionTest,
    ::testing::Values(Rejection{"OversizedClientInit",
                                [](JoinRequest* r) {
                                  r->mutable_init()->mutable_host()->set_host_name(
                                      std::string(32 * 1024, 'a'));
                                },
                                absl::StatusCode::kResourceExhausted, "larger than max"},
                      Rejection{"SolutionFirst", [](JoinRequest* r) { *r = Solution("s0"); },
                                absl::StatusCode::kFailedPrecondition,
                                "proxy: the first message must be ClientInit"}),
    [](const ::testing::TestParamInfo<Rejection>& info) { return info.param.name; });

TEST(UpstreamPoolTest, CreateRejectsIncompleteOptions) {
  UpstreamPoolOptions none;
  ENLIST_EXPECT_STATUS(UpstreamPool::Create(none).status(), absl::StatusCode::kInvalidArgument,
                       "proxy: at least one upstream auth server is required");
  UpstreamPoolOptions no_tls;
  no_tls.addresses = {"127.0.0.1:1"};
  ENLIST_EXPECT_STATUS(UpstreamPool::Create(no_tls).status(), absl::StatusCode::kInvalidArgument,
                       "proxy: upstream TLS needs the CA, certificate and key");
  UpstreamPoolOptions bad_backoff = no_tls;
  bad_backoff.ca_pem = bad_backoff.cert_pem = bad_backoff.key_pem = "x";
  bad_backoff.max_backoff = absl::Milliseconds(1);
  ENLIST_EXPECT_STATUS(UpstreamPool::Create(bad_backoff).status(),
                       absl::StatusCode::kInvalidArgument, "min_backoff <= max_backoff");
}

TEST_F(JoinProxyTest, PoolSeesAnUpstreamGoDown) {
  std::unique_ptr<FakeUpstream> a = Fake(testing::ChallengeRounds(1));
  std::unique_ptr<FakeUpstream> b = Fake(testing::ChallengeRounds(1));
  StartProxy({a->address(), b->address()});
  ASSERT_TRUE(pool_->AwaitHealthyCount(2, kWait));
  a->Stop();
  EXPECT_TRUE(pool_->AwaitHealthyCount(1, kWait));
  std::vector<Upstream*> order = pool_->Candidates();
  ASSERT_EQ(order.size(), 2u);
  EXPECT_EQ(order[0]->address, b->address());  // the healthy one first
}

}  // namespace
}  // namespace enlist::proxy
