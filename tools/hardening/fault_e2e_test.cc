// Dependencies failing, end to end with the real programs: Entra ID's JWKS
// endpoint, ARM (down and throttling), IMDS (slow, erroring, silent), and the
// auth server itself killed while agents are mid-join. Faults are switched
// through the emulator's admin API; every wait is a condition with a
// deadline. docs/security.md ("Dependencies failing") cites these tests.
#include <dirent.h>
#include <signal.h>

#include <cstdlib>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/testing/subprocess.h"
#include "core/util/file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/hardening/azure_cluster.h"

namespace enlist::hardening {
namespace {

using enlist::testing::Subprocess;
using enlist::testing::WaitFor;
using ::testing::HasSubstr;
using ::testing::Not;

// What `enlist-agent join --max-attempts 1` prints when its one attempt
// failed with a retryable code (a final code logs "giving up" instead).
constexpr char kRetryableEnd[] = "msg=\"Join failed, no attempts left.\"";
constexpr char kFinalEnd[] = "retrying cannot fix, giving up";

class FaultE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = AzureCluster::Start(
        absl::StrCat(std::getenv("TEST_TMPDIR"), "/",
                     ::testing::UnitTest::GetInstance()->current_test_info()->name()));
    ASSERT_TRUE(c.ok()) << c.status();
    cluster_ = *std::move(c);
  }

  void StartAuthWithTokens(const std::string& extra = "", const std::string& azure_extra = "") {
    absl::Status s = cluster_->StartAuth(extra, azure_extra);
    ASSERT_TRUE(s.ok()) << s;
    s = cluster_->CreateTokens();
    ASSERT_TRUE(s.ok()) << s;
  }

  void Fault(const std::string& target, const std::string& json) {
    absl::Status s = cluster_->SetFaults(target, json);
    ASSERT_TRUE(s.ok()) << s;
  }

  std::unique_ptr<AzureCluster> cluster_;
};

TEST_F(FaultE2eTest, JwksDownWarmCacheKeepsJoiningColdCacheIsUnavailableThenRecovers) {
  // A short cache TTL, so the warm phase really refreshes against the
  // failing endpoint and has to serve the stale keys.
  StartAuthWithTokens("", "    jwks_cache_ttl: 1s\n    jwks_min_refresh_interval: 1s\n");
  auto first = cluster_->Join("vm-1");
  ASSERT_TRUE(first.ok()) << first.status() << cluster_->AuthOutput();

  Fault("entra", R"({"error_status":503})");
  // Warm: keep joining until a join ran after the TTL passed (the checker
  // then tried Entra, got 503 and served the cached keys).
  const absl::Time fault_at = absl::Now();
  int joins = 0;
  ASSERT_TRUE(WaitFor(
      [&] {
        auto r = cluster_->Join("vm-2");
        EXPECT_TRUE(r.ok()) << r.status();
        ++joins;
        return r.ok() && absl::Now() - fault_at > absl::Seconds(2);
      },
      absl::Seconds(20)));
  EXPECT_GE(joins, 2);
  EXPECT_THAT(cluster_->AuthOutput(), Not(HasSubstr("error=\"access token")));

  // Cold: a fresh enlist-auth has no keys; Entra is still down.
  cluster_->KillAuth();
  ASSERT_TRUE(cluster_->StartAuth("", "    jwks_min_refresh_interval: 1s\n").ok());
  auto cold = cluster_->Join("vm-3");
  EXPECT_EQ(cold.status().code(), absl::StatusCode::kUnavailable) << cold.status();
  EXPECT_THAT(std::string(cold.status().message()),
              HasSubstr("access token: oidc: \"" + cluster_->emulator_url()));
  EXPECT_THAT(std::string(cold.status().message()), HasSubstr("unexpected status 503"));
  // The agent sees a retryable failure, never a denial.
  cluster_->AgentConfig("vm-3");
  std::string out;
  EXPECT_EQ(cluster_->AgentJoin("vm-3", {"--max-attempts", "1"}, &out), 1) << out;
  EXPECT_THAT(out, HasSubstr(kRetryableEnd));
  EXPECT_THAT(out, HasSubstr("unexpected status 503"));
  EXPECT_THAT(out, Not(HasSubstr(kFinalEnd)));
  EXPECT_THAT(out, Not(HasSubstr("PERMISSION_DENIED")));

  // An agent retrying forever joins once Entra is back.
  cluster_->AgentConfig("vm-4");
  auto agent = cluster_->StartAgent("vm-4", {"--max-attempts", "0"});
  ASSERT_TRUE(agent.ok()) << agent.status();
  ASSERT_TRUE(WaitFor([&] { return absl::StrContains((*agent)->Output(), "Retrying join."); },
                      absl::Seconds(20)))
      << (*agent)->Output();
  Fault("entra", "{}");
  auto rc = (*agent)->Wait(absl::Seconds(45));
  ASSERT_TRUE(rc.ok()) << (*agent)->Output();
  EXPECT_EQ(*rc, 0) << (*agent)->Output();
  EXPECT_THAT((*agent)->Output(), HasSubstr("msg=\"Joined the cluster.\""));
  EXPECT_EQ(cluster_->AgentStatus("vm-4", &out), 0) << out;
}

// With no keys cached, a failed fetch is retried after the short cold retry
// interval (5 s), not jwks_min_refresh_interval (5 m, meant for unknown kids
// with keys at hand): joins recover soon after Entra is back.
TEST_F(FaultE2eTest, ColdCacheRecoversSoonAfterEntraReturnsWithDefaultSettings) {
  Fault("entra", R"({"error_status":503})");
  StartAuthWithTokens();
  auto cold = cluster_->Join("vm-1");
  EXPECT_EQ(cold.status().code(), absl::StatusCode::kUnavailable) << cold.status();
  Fault("entra", "{}");
  EXPECT_TRUE(WaitFor([&] { return cluster_->Join("vm-1").ok(); }, absl::Seconds(30)));
}

TEST_F(FaultE2eTest, ArmDownOrThrottlingOnlyStrictModeFailsClosedRetryably) {
  StartAuthWithTokens();
  Fault("arm", R"({"error_status":503})");
  // The claims path (token names the VM) never asks ARM.
  auto claims = cluster_->Join("vm-1", kAzureToken);
  ASSERT_TRUE(claims.ok()) << claims.status();
  // Strict mode must confirm the vmId through ARM: fails closed, retryable.
  auto strict = cluster_->Join("vm-2", kStrictToken);
  EXPECT_EQ(strict.status().code(), absl::StatusCode::kUnavailable) << strict.status();
  EXPECT_THAT(std::string(strict.status().message()), HasSubstr("HTTP 503"));
  cluster_->AgentConfig("vm-2", kStrictToken);
  std::string out;
  EXPECT_EQ(cluster_->AgentJoin("vm-2", {"--max-attempts", "1"}, &out), 1) << out;
  EXPECT_THAT(out, HasSubstr(kRetryableEnd));
  EXPECT_THAT(out, Not(HasSubstr(kFinalEnd)));

  // Throttling that never ends: still retryable, never a denial.
  Fault("arm", R"({"throttle_count":1000,"retry_after":1})");
  strict = cluster_->Join("vm-2", kStrictToken);
  EXPECT_EQ(strict.status().code(), absl::StatusCode::kUnavailable) << strict.status();
  EXPECT_THAT(std::string(strict.status().message()), HasSubstr("HTTP 429"));
  EXPECT_TRUE(cluster_->Join("vm-3", kAzureToken).ok());

  // One 429: the checker honours Retry-After (1 s) and the join succeeds.
  Fault("arm", R"({"throttle_count":1,"retry_after":1})");
  const absl::Time start = absl::Now();
  strict = cluster_->Join("vm-4", kStrictToken);
  ASSERT_TRUE(strict.ok()) << strict.status();
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(900));

  Fault("arm", "{}");
  EXPECT_EQ(cluster_->AgentJoin("vm-2", {"--max-attempts", "1"}, &out), 0) << out;
}

TEST_F(FaultE2eTest, ImdsSlowAndErroringAgentRetriesWithinItsDeadline) {
  StartAuthWithTokens();
  // Two 429s (Retry-After 1 s), then two 500s, every answer 200 ms late.
  Fault(
      "vm-1",
      R"({"latency":"200ms","throttle_count":2,"retry_after":1,"error_status":500,"error_count":2})");
  cluster_->AgentConfig("vm-1", kAzureToken, "    max_attempts: 8\n");
  std::string out;
  const absl::Time start = absl::Now();
  EXPECT_EQ(cluster_->AgentJoin("vm-1", {"--max-attempts", "1", "--attempt-timeout", "30s"}, &out),
            0)
      << out;
  EXPECT_LT(absl::Now() - start, absl::Seconds(30));
  EXPECT_THAT(out, HasSubstr("msg=\"Joined the cluster.\""));
  EXPECT_EQ(cluster_->AgentStatus("vm-1", &out), 0) << out;

  // IMDS that never answers: the agent gives up with the hint.
  Fault("vm-2", R"({"latency":"60s"})");
  cluster_->AgentConfig("vm-2", kAzureToken, "    request_timeout: 300ms\n    max_attempts: 2\n");
  EXPECT_EQ(cluster_->AgentJoin("vm-2", {"--max-attempts", "1"}, &out), 1) << out;
  EXPECT_THAT(out, HasSubstr("is this running on an Azure VM? the instance metadata service at " +
                             cluster_->emulator_url() + "/vm/vm-2 did not answer"));
  EXPECT_THAT(out, HasSubstr("enlist-agent: join failed: "));
  EXPECT_FALSE(ReadFileCapped(cluster_->AgentDataDir("vm-2") + "/identity.pb", 1 << 20).ok());
}

// The files of an agent's data dir.
std::set<std::string> Files(const std::string& dir) {
  std::set<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return out;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") out.insert(n);
  }
  ::closedir(d);
  return out;
}

TEST_F(FaultE2eTest, AuthServerKilledMidJoinAgentsRetryNoHalfWrittenIdentity) {
  StartAuthWithTokens();
  const int port = cluster_->port();
  constexpr int kAgents = 6;
  std::vector<std::unique_ptr<Subprocess>> agents;
  for (int i = 1; i <= kAgents; ++i) {
    const std::string vm = absl::StrCat("vm-", i);
    // Slow IMDS keeps every agent inside its join stream.
    Fault(vm, R"({"latency":"1500ms"})");
    cluster_->AgentConfig(vm);
    auto a = cluster_->StartAgent(vm, {"--max-attempts", "0"});
    ASSERT_TRUE(a.ok()) << a.status();
    agents.push_back(*std::move(a));
  }
  // Every agent holds an open join stream (challenge received, solving).
  ASSERT_TRUE(WaitFor(
      [&] {
        return absl::StrContains(cluster_->Metrics().value_or(""),
                                 absl::StrCat("enlist_join_streams_open ", kAgents));
      },
      absl::Seconds(20)))
      << cluster_->Metrics().value_or("");
  cluster_->KillAuth();

  // Every agent notices and retries; none wrote an identity, nothing
  // half-written is left beside the keys.
  for (auto& a : agents) {
    ASSERT_TRUE(WaitFor([&] { return absl::StrContains(a->Output(), "Retrying join."); },
                        absl::Seconds(20)))
        << a->Output();
  }
  for (int i = 1; i <= kAgents; ++i) {
    const std::string vm = absl::StrCat("vm-", i);
    for (const std::string& f : Files(cluster_->AgentDataDir(vm))) {
      EXPECT_THAT(f, ::testing::AnyOf("tls_key.pem", "ssh_key.pem", "ssh_host_key", "ca.pem"))
          << vm;
    }
    std::string out;
    EXPECT_EQ(cluster_->AgentStatus(vm, &out), 1) << out;
    EXPECT_THAT(out, HasSubstr("\"valid\":false"));
    ASSERT_TRUE(cluster_->SetFaults(vm, "{}").ok());
  }

  // Same address again (agents are configured with it); the data dir
  // survived the SIGKILL.
  absl::Status s = cluster_->StartAuth("", "", port);
  ASSERT_TRUE(s.ok()) << s;
  std::set<std::string> ids;
  for (int i = 0; i < kAgents; ++i) {
    auto rc = agents[i]->Wait(absl::Seconds(45));
    ASSERT_TRUE(rc.ok()) << agents[i]->Output();
    EXPECT_EQ(*rc, 0) << agents[i]->Output();
    std::string out;
    const std::string vm = absl::StrCat("vm-", i + 1);
    ASSERT_EQ(cluster_->AgentStatus(vm, &out), 0) << out;
    EXPECT_THAT(out, HasSubstr("\"valid\":true"));
    size_t at = out.find("\"host_id\":\"");
    ASSERT_NE(at, std::string::npos) << out;
    ids.insert(out.substr(at + 11, 36));
  }
  EXPECT_EQ(ids.size(), static_cast<size_t>(kAgents));
  std::string hosts;
  ASSERT_EQ(cluster_->Ctl({"get", "hosts", "--format", "json"}, &hosts), 0) << hosts;
  for (const std::string& id : ids) EXPECT_THAT(hosts, HasSubstr(id));
}

}  // namespace
}  // namespace enlist::hardening
