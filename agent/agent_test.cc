// The agent library against a real auth side (JoinService + ClusterCa +
// CaHostIssuer + token checker) over TLS on 127.0.0.1: first join with a CA
// pin, restart, renewal, final and retryable failures, corrupt identity.
// Waits go through a FakeSleeper, so nothing here sleeps.
#include "agent/agent.h"

#include <stdlib.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "agent/methods.h"
#include "agent/renewer.h"
#include "agent/testing/fake_sleeper.h"
#include "agent/testing/test_auth_server.h"
#include "core/config/agent_config.h"
#include "core/util/file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace enlist::agent {
namespace {

using testing::FakeSleeper;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::ReservedPort;
using testing::TestAuthServer;
using testing::TestAuthServerOptions;

constexpr char kOtherPin[] =
    "sha256:0000000000000000000000000000000000000000000000000000000000000000";

std::string NewDir(const char* what) {
  std::string tmpl = absl::StrCat(getenv("TEST_TMPDIR"), "/", what, "-XXXXXX");
  return mkdtemp(tmpl.data());
}

// Collects log lines.
class LogLines {
 public:
  LogLines()
      : logger_(log::Format::kText, log::Level::kDebug, [this](absl::string_view line) {
          absl::MutexLock l(&mu_);
          lines_.emplace_back(line);
        }) {}
  log::Logger* logger() { return &logger_; }
  std::string All() {
    absl::MutexLock l(&mu_);
    return absl::StrJoin(lines_, "\n");
  }
  int Count(absl::string_view needle) {
    absl::MutexLock l(&mu_);
    int n = 0;
    for (const auto& line : lines_) n += absl::StrContains(line, needle);
    return n;
  }

 private:
  absl::Mutex mu_;
  std::vector<std::string> lines_;
  log::Logger logger_;
};

class AgentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ca_dir_ = NewDir("ca");
    data_dir_ = NewDir("data");
    ASSERT_TRUE(RegisterBuiltinAgentMethods(methods_).ok());
  }

  void StartServer(TestAuthServerOptions o = {}) {
    auto s = TestAuthServer::Start(ca_dir_, o);
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = std::move(*s);
    address_ = server_->address();
    pin_ = server_->pin();
  }

  AgentOptions Options(const std::string& token = "boot") {
    std::string yaml = absl::StrCat(
        "version: v3\n"
        "teleport:\n"
        "  nodename: vm-1\n"
        "  data_dir: ",
        data_dir_,
        "\n"
        "  auth_server: ",
        address_,
        "\n"
        "  join_params:\n"
        "    token_name: ",
        token,
        "\n"
        "    method: token\n"
        "    token:\n"
        "      secret: ",
        testing::kTestSecret,
        "\n"
        "ssh_service: {enabled: true}\n"
        "enlist:\n"
        "  ca_pin: ",
        pin_, "\n");
    auto c = config::ParseAgentConfig(yaml, "teleport.yaml");
    EXPECT_TRUE(c.ok()) << c.status();
    AgentOptions o;
    o.config = *c;
    return o;
  }

  std::unique_ptr<Agent> NewAgent(AgentOptions o) {
    AgentDeps deps;
    deps.methods = &methods_;
    deps.logger = log_.logger();
    deps.clock = &clock_;
    deps.sleeper = &sleeper_;
    deps.uniform = [] { return 0.5; };
    auto a = Agent::Create(std::move(o), deps);
    EXPECT_TRUE(a.ok()) << a.status();
    return a.ok() ? std::move(*a) : nullptr;
  }

  std::string IdentityBytes() {
    return *ReadFileCapped(absl::StrCat(data_dir_, "/", kIdentityFile), 1 << 20);
  }

  std::string ca_dir_, data_dir_, address_, pin_;
  std::unique_ptr<TestAuthServer> server_;
  join::AgentRegistry methods_;
  LogLines log_;
  ManualClock clock_{absl::Now()};
  FakeSleeper sleeper_{&clock_};
};

TEST_F(AgentTest, FirstJoinWithPin) {
  StartServer();
  auto agent = NewAgent(Options());
  ASSERT_NE(agent, nullptr);
  auto id = agent->EnsureJoined(3);
  ASSERT_TRUE(id.ok()) << id.status() << "\n" << log_.All();
  EXPECT_EQ(id->host_id().size(), 36u);
  EXPECT_EQ(id->role, "Node");
  EXPECT_EQ(id->server, address_);
  EXPECT_TRUE(id->Valid(clock_.Now()));
  EXPECT_EQ(server_->issued(), 1);
  EXPECT_THAT(sleeper_.sleeps(), IsEmpty());
  // The pinned CA is cached for the next start.
  auto ca = ReadFileCapped(absl::StrCat(data_dir_, "/", kCaCacheFile), 1 << 16);
  ASSERT_TRUE(ca.ok());
  EXPECT_EQ(*ca, server_->ca().tls_cert_pem());
  EXPECT_EQ(log_.Count("msg=\"Joined the cluster.\""), 1) << log_.All();
  EXPECT_EQ(log_.Count("ssh_service: accepted, not used"), 0);  // notes are the CLI's to log

  enlist::join::v1::ClientInit init = agent->MakeClientInit("");
  EXPECT_EQ(init.host().host_name(), "vm-1");
  EXPECT_EQ(init.client_version(), kClientVersion);
  EXPECT_EQ(init.host().tls_public_key(), agent->keys().tls_public_key_der);
}

TEST_F(AgentTest, RestartKeepsIdentityWithoutTheServer) {
  StartServer();
  std::string host_id;
  {
    auto agent = NewAgent(Options());
    auto id = agent->EnsureJoined(3);
    ASSERT_TRUE(id.ok()) << id.status();
    host_id = id->host_id();
  }
  server_->Shutdown();
  auto agent = NewAgent(Options());
  auto id = agent->EnsureJoined(3);
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(id->host_id(), host_id);
  EXPECT_EQ(server_->issued(), 1);
  EXPECT_EQ(log_.Count("msg=\"Using the stored identity.\""), 1);
}

TEST_F(AgentTest, RenewalKeepsHostIdWhenAllowed) {
  StartServer();
  auto agent = NewAgent(Options());
  auto first = agent->EnsureJoined(3);
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = agent->Join(&*first, 3);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->host_id(), first->host_id());
  EXPECT_NE(second->result.ssh_host_cert(), first->result.ssh_host_cert());
  EXPECT_EQ(agent->LoadIdentity()->result.ssh_host_cert(), second->result.ssh_host_cert());
  EXPECT_EQ(server_->issued(), 2);
}

TEST_F(AgentTest, RenewalGetsNewHostIdWhenNotAllowed) {
  TestAuthServerOptions o;
  o.keep_host_id = false;
  StartServer(o);
  auto agent = NewAgent(Options());
  auto first = agent->EnsureJoined(3);
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = agent->Join(&*first, 3);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_NE(second->host_id(), first->host_id());
}

TEST_F(AgentTest, PermissionDeniedStopsRetrying) {
  StartServer();
  auto agent = NewAgent(Options("proxy-only"));
  auto id = agent->EnsureJoined(5);
  EXPECT_EQ(id.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(id.status().message(), "join: token \"proxy-only\" does not grant role \"Node\"");
  EXPECT_THAT(sleeper_.sleeps(), IsEmpty());
  // The seed's troubleshooting line, exactly.
  EXPECT_EQ(log_.Count("level=ERROR msg=\"Failed to establish connection to cluster.\" "
                       "identity=Node error=\"join: token \\\"proxy-only\\\" does not grant role "
                       "\\\"Node\\\"\""),
            1)
      << log_.All();
  EXPECT_EQ(log_.Count("code=PERMISSION_DENIED"), 1) << log_.All();
  EXPECT_EQ(agent->LoadIdentity().status().code(), absl::StatusCode::kNotFound);
}

TEST_F(AgentTest, PinMismatchIsFinal) {
  StartServer();
  pin_ = kOtherPin;
  auto agent = NewAgent(Options());
  auto id = agent->EnsureJoined(5);
  EXPECT_EQ(id.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(id.status().message(), HasSubstr(absl::StrCat("expected ", kOtherPin)));
  EXPECT_THAT(id.status().message(), HasSubstr(server_->pin()));
  EXPECT_THAT(sleeper_.sleeps(), IsEmpty());
  EXPECT_EQ(server_->issued(), 0);
}

TEST_F(AgentTest, ServerNotUpYetThenJoins) {
  // The CA exists before the server does, so its pin is known.
  auto ca = ca::ClusterCa::LoadOrCreate(ca_dir_, "test", RealClock::Get());
  ASSERT_TRUE(ca.ok());
  pin_ = (*ca)->pin();
  auto reserved = ReservedPort::Bind();
  ASSERT_TRUE(reserved.ok());
  const int port = (*reserved)->port();
  address_ = absl::StrCat("127.0.0.1:", port);
  // Start the server when the agent backs off after its first failure.
  sleeper_.set_hook([&](int index) {
    if (index != 0) return;
    (*reserved)->Release();
    TestAuthServerOptions o;
    o.port = port;
    auto s = TestAuthServer::Start(ca_dir_, o);
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = std::move(*s);
  });
  auto agent = NewAgent(Options());
  auto id = agent->EnsureJoined(5);
  ASSERT_TRUE(id.ok()) << id.status() << "\n" << log_.All();
  ASSERT_EQ(sleeper_.sleeps().size(), 1u);
  EXPECT_EQ(sleeper_.sleeps()[0], absl::Milliseconds(500));  // jitter 0.5 of 1 s
  EXPECT_EQ(log_.Count("msg=\"Failed to establish connection to cluster.\" identity=Node"), 1);
  EXPECT_EQ(log_.Count("Connection refused"), 1) << log_.All();
  EXPECT_EQ(log_.Count("msg=\"Retrying join.\" attempt=2"), 1) << log_.All();
}

TEST_F(AgentTest, RetryableFailuresStopAfterMaxAttempts) {
  auto reserved = ReservedPort::Bind();
  ASSERT_TRUE(reserved.ok());
  address_ = absl::StrCat("127.0.0.1:", (*reserved)->port());
  pin_ = kOtherPin;
  auto agent = NewAgent(Options());
  auto id = agent->EnsureJoined(3);
  EXPECT_EQ(id.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(id.status().message(), HasSubstr("Connection refused"));
  // Two waits between three attempts: 0.5 of 1 s, then 0.5 of 2 s.
  EXPECT_EQ(sleeper_.sleeps(),
            (std::vector<absl::Duration>{absl::Milliseconds(500), absl::Seconds(1)}));
  EXPECT_EQ(log_.Count("msg=\"Failed to establish connection to cluster.\""), 3);
  EXPECT_EQ(log_.Count("msg=\"Join failed, no attempts left.\" identity=Node attempts=3"), 1)
      << log_.All();
}

TEST_F(AgentTest, StopEndsRetries) {
  auto reserved = ReservedPort::Bind();
  ASSERT_TRUE(reserved.ok());
  address_ = absl::StrCat("127.0.0.1:", (*reserved)->port());
  pin_ = kOtherPin;
  sleeper_.set_hook([this](int index) {
    if (index == 2) sleeper_.Stop();
  });
  auto agent = NewAgent(Options());
  auto id = agent->EnsureJoined(0);  // forever, until stopped
  EXPECT_EQ(id.status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(sleeper_.sleeps().size(), 3u);
}

TEST_F(AgentTest, CorruptIdentityIsReplacedByAFreshJoin) {
  StartServer();
  std::string first_id;
  std::string tls_key;
  {
    auto agent = NewAgent(Options());
    auto id = agent->EnsureJoined(3);
    ASSERT_TRUE(id.ok()) << id.status();
    first_id = id->host_id();
    tls_key = agent->keys().tls_public_key_der;
  }
  const std::string path = absl::StrCat(data_dir_, "/", kIdentityFile);
  ASSERT_TRUE(WriteFileAtomic(path, "\x0a\xff\xff garbage").ok());
  auto agent = NewAgent(Options());
  auto bad = agent->LoadIdentity();
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kDataLoss);
  auto id = agent->EnsureJoined(3);
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_NE(id->host_id(), first_id);                    // nothing to renew from
  EXPECT_EQ(agent->keys().tls_public_key_der, tls_key);  // keys kept
  EXPECT_EQ(log_.Count("level=WARN msg=\"The stored identity is unusable, joining again.\""), 1)
      << log_.All();
  EXPECT_EQ(log_.Count("corrupt: cannot parse"), 1);
  EXPECT_TRUE(agent->LoadIdentity().ok());
}

TEST_F(AgentTest, RenewerRenewsAtTheFractionAndStops) {
  TestAuthServerOptions so;
  so.clock = &clock_;  // certificates follow the test's time
  StartServer(so);
  AgentOptions o = Options();
  o.renew_fraction = 0.25;
  auto agent = NewAgent(o);
  std::vector<Identity> seen;
  Renewer renewer(agent.get());
  renewer.set_on_identity([&](const Identity& id) {
    seen.push_back(id);
    if (seen.size() == 3) sleeper_.Stop();
  });
  ASSERT_TRUE(renewer.Run().ok()) << log_.All();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[1].host_id(), seen[0].host_id());
  EXPECT_EQ(seen[2].host_id(), seen[0].host_id());
  EXPECT_EQ(server_->issued(), 3);
  // Each wait ran to a quarter of the identity's lifetime (1 h).
  std::vector<absl::Duration> sleeps = sleeper_.sleeps();
  ASSERT_EQ(sleeps.size(), 2u);
  for (absl::Duration d : sleeps) {
    EXPECT_GT(d, absl::Minutes(15) - absl::Seconds(5));
    EXPECT_LE(d, absl::Minutes(15));
  }
  EXPECT_EQ(log_.Count("previous_host_id"), 0);  // the host id never changed
}

TEST_F(AgentTest, FailedRenewalKeepsTheIdentityOnDisk) {
  StartServer();
  auto agent = NewAgent(Options());
  Renewer renewer(agent.get());
  int identities = 0;
  renewer.set_on_identity([&](const Identity&) { ++identities; });
  std::string before;
  sleeper_.set_hook([&](int index) {
    if (index == 0) {
      // Renewal time: the server is gone.
      before = IdentityBytes();
      server_->Shutdown();
    }
    if (index == 3) sleeper_.Stop();
  });
  ASSERT_TRUE(renewer.Run().ok());
  EXPECT_EQ(identities, 1);
  EXPECT_EQ(IdentityBytes(), before);
  EXPECT_EQ(log_.Count("msg=\"Failed to establish connection to cluster.\""), 3) << log_.All();
  EXPECT_TRUE(agent->LoadIdentity().ok());
}

TEST_F(AgentTest, FinalRenewalErrorsRetryUntilExpiryThenFail) {
  TestAuthServerOptions so;
  so.clock = &clock_;
  so.renewal_error = absl::PermissionDeniedError("join: renewals are off");
  StartServer(so);
  auto agent = NewAgent(Options());
  Renewer renewer(agent.get());
  std::string first_bytes;
  renewer.set_on_identity([&](const Identity&) { first_bytes = IdentityBytes(); });
  absl::Status s = renewer.Run();
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(s.message(), "join: renewals are off");
  // The working identity was never touched while renewals failed.
  EXPECT_EQ(IdentityBytes(), first_bytes);
  // Renewal at 30 min, then one retry a minute until the 1 h expiry.
  std::vector<absl::Duration> sleeps = sleeper_.sleeps();
  ASSERT_GE(sleeps.size(), 30u);
  EXPECT_EQ(sleeps[1], absl::Seconds(60));
  EXPECT_GE(log_.Count("level=WARN msg=\"Renewal failed, keeping the current identity.\""), 29);
  EXPECT_EQ(log_.Count("msg=\"Renewal failed and the identity has expired.\""), 1);
}

TEST_F(AgentTest, SeedAzureConfigBuildsAnAgent) {
  // The seed's config, verbatim: the built-in registry has the azure method.
  auto c = config::ParseAgentConfig(
      absl::StrCat("version: v3\n"
                   "teleport:\n"
                   "  data_dir: ",
                   data_dir_,
                   "\n"
                   "  join_params:\n"
                   "    token_name: azure-token\n"
                   "    method: azure\n"
                   "    azure:\n"
                   "      client_id: 11111111-1111-1111-1111-111111111111\n"
                   "  proxy_server: teleport.example.com:443\n"
                   "ssh_service:\n  enabled: true\n"
                   "auth_service:\n  enabled: false\n"
                   "proxy_service:\n  enabled: false\n"),
      "teleport.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  AgentOptions o;
  o.config = *c;
  auto agent = NewAgent(o);
  ASSERT_NE(agent, nullptr);
  EXPECT_EQ(agent->MakeClientInit("").join_method(), "azure");
  EXPECT_EQ(agent->MakeClientInit("").token_name(), "azure-token");
}

TEST_F(AgentTest, CreateRejectsBadOptions) {
  address_ = "127.0.0.1:1";
  pin_ = kOtherPin;
  struct Case {
    const char* name;
    void (*mutate)(AgentOptions*);
    absl::StatusCode code;
    const char* message;
  };
  const Case kCases[] = {
      {"unknown method", [](AgentOptions* o) { o->config.join_method = "nope"; },
       absl::StatusCode::kNotFound, "unknown join method \"nope\" (known: azure, token)"},
      {"fraction", [](AgentOptions* o) { o->renew_fraction = 1.0; },
       absl::StatusCode::kInvalidArgument, "renew_fraction must be between 0 and 1"},
      {"bad address", [](AgentOptions* o) { o->config.auth_server = "host:99999"; },
       absl::StatusCode::kInvalidArgument, "port must be 1..65535"},
      {"no secret", [](AgentOptions* o) { o->config.join_params.reset(); },
       absl::StatusCode::kInvalidArgument, "join_params.token: missing"},
  };
  for (const Case& c : kCases) {
    AgentOptions o = Options();
    c.mutate(&o);
    AgentDeps deps;
    deps.methods = &methods_;
    deps.sleeper = &sleeper_;
    auto a = Agent::Create(o, deps);
    EXPECT_EQ(a.status().code(), c.code) << c.name << ": " << a.status();
    EXPECT_THAT(a.status().message(), HasSubstr(c.message)) << c.name;
  }
}

}  // namespace
}  // namespace enlist::agent
