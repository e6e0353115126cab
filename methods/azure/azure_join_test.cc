// Complete azure joins: the agent half (solver against a fake IMDS over
// loopback HTTP) and the auth half (checker with faked OIDC/AIA) through the
// real JoinService over an in-process gRPC channel, as in
// auth/join_stream_test.cc. Artifacts come from the Azure-format test PKI.
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "agent/join_client.h"
#include "auth/join_service.h"
#include "core/http/curl_http_client.h"
#include "core/http/fake_http_client.h"
#include "core/http/test_http_server.h"
#include "core/join/testing/fakes.h"
#include "core/log/logger.h"
#include "core/token/token_resource.h"
#include "core/token/token_store.h"
#include "core/util/clock.h"
#include "core/util/thread_pool.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "methods/azure/agent/azure_agent_method.h"
#include "methods/azure/auth/azure_auth_method.h"
#include "methods/azure/testing/fake_azure.h"

namespace enlist::azure {
namespace {

using ::testing::HasSubstr;
namespace t = ::enlist::azure::testing;
using Req = http::TestHttpServer::Request;
using Resp = http::TestHttpServer::Response;

const t::FakeAzure& Azure() {
  static const t::FakeAzure* const kAzure = new t::FakeAzure();
  return *kAzure;
}

std::string QueryValue(const std::string& target, const std::string& key) {
  size_t p = target.find(absl::StrCat(key, "="));
  if (p == std::string::npos) return "";
  size_t start = p + key.size() + 1;
  size_t end = target.find('&', start);
  return target.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

class AzureJoinTest : public ::testing::Test {
 protected:
  void SetUp() override {
    imds_ = *http::TestHttpServer::Start([](const Req& r) {
      Resp resp;
      resp.headers = {{"Content-Type", "application/json"}};
      if (absl::StartsWith(r.target, "/metadata/attested/document")) {
        t::PayloadSpec p;
        p.nonce = QueryValue(r.target, "nonce");
        resp.body = Azure().AttestedDocument(p);
      } else if (absl::StartsWith(r.target, "/metadata/identity/oauth2/token")) {
        t::TokenSpec ts;
        if (!QueryValue(r.target, "client_id").empty()) {
          ts.xms_mirid = absl::StrCat("/subscriptions/", t::kOtherSubscription,
                                      "/resourceGroups/ids/providers/Microsoft.ManagedIdentity/"
                                      "userAssignedIdentities/joiner");
          ts.xms_az_rid = t::VmResourceId();
        }
        resp.body = absl::StrCat("{\"access_token\":\"", Azure().AccessToken(ts), "\"}");
      } else {
        resp.status = 404;
      }
      return resp;
    });

    // Auth half: OIDC from a fake, roots from a file, time inside the PKI.
    auto auth_http = std::make_shared<http::FakeHttpClient>();
    Azure().ServeOidc(auth_http.get());
    ASSERT_TRUE(RegisterAzureAuth(auth_methods_, auth_http).ok());
    const char* tmp = std::getenv("TEST_TMPDIR");
    const std::string roots = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/azure-roots.pem");
    std::ofstream(roots) << Azure().RootPem();
    join::CheckerOptions co;
    co.clock = &clock_;
    co.settings = *config::YamlNode::ParseOne(absl::StrCat("roots_file: ", roots), "auth.yaml");
    auto checker = (*auth_methods_.Get("azure"))->NewChecker(co);
    ASSERT_TRUE(checker.ok()) << checker.status();
    checkers_["azure"] = *checker;
    auto tokens = token::ParseTokens(
        absl::StrCat("kind: token\nversion: v2\nmetadata: {name: azure-token}\n"
                     "spec:\n  roles: [Node]\n  join_method: azure\n  azure:\n    allow:\n"
                     "      - subscription: ",
                     t::kSubscription,
                     "\n        resource_groups: [group1, PROD-RG]\n"
                     "---\nkind: token\nversion: v2\nmetadata: {name: azure-other}\n"
                     "spec:\n  roles: [Node]\n  join_method: azure\n  azure:\n    allow:\n"
                     "      - subscription: ",
                     t::kOtherSubscription, "\n"),
        "tokens.yaml", auth_methods_);
    ASSERT_TRUE(tokens.ok()) << tokens.status();
    for (const auto& tok : *tokens) ASSERT_TRUE(store_.PutToken(tok, false).ok());

    join::ServerSessionDeps deps;
    deps.methods = &auth_methods_;
    deps.checkers = &checkers_;
    deps.tokens = &store_;
    deps.issuer = &issuer_;
    deps.audit = &audit_;
    deps.logger = &logger_;
    service_ = std::make_unique<auth::JoinService>(deps, &pool_);
    grpc::ServerBuilder builder;
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    channel_ = server_->InProcessChannel(grpc::ChannelArguments());

    // Agent half: the loopback IMDS, Microsoft's PKI from a fake.
    AzureAgentDeps ad;
    http::CurlHttpClient::Options no_proxy;  // loopback: never through a proxy
    no_proxy.use_environment_proxy = false;
    ad.imds_http = std::make_shared<http::CurlHttpClient>(no_proxy);
    auto web = std::make_shared<http::FakeHttpClient>();
    web->SetResponse("http://www.microsoft.com/pkiops/certs/intermediate.crt", 200,
                     Azure().IntermediateDer());
    web->SetResponse("http://www.microsoft.com/pkiops/certs/root.crt", 200, Azure().RootPem());
    ad.web_http = web;
    ASSERT_TRUE(RegisterAzureAgent(agent_methods_, ad).ok());
  }

  void TearDown() override {
    if (server_) server_->Shutdown();
  }

  absl::StatusOr<enlist::join::v1::Result> Join(const std::string& token,
                                                const std::string& join_params = "") {
    join::SolverOptions o;
    if (!join_params.empty()) o.join_params = *config::YamlNode::ParseOne(join_params, "a.yaml");
    o.settings = *config::YamlNode::ParseOne(
        absl::StrCat("imds_url: ", imds_->BaseUrl(), "\nallow_http: true\n"), "agent.yaml");
    auto solver = (*agent_methods_.Get("azure"))->NewSolver(o);
    if (!solver.ok()) return solver.status();
    enlist::join::v1::ClientInit init;
    init.set_join_method("azure");
    init.set_token_name(token);
    init.set_role("Node");
    init.mutable_host()->set_tls_public_key("spki");
    init.mutable_host()->set_host_name("vm-1");
    return agent::RunJoin(channel_, init, solver->get(), absl::Seconds(20));
  }

  std::map<std::string, std::string> Attributes(const enlist::join::v1::Result& r) {
    std::map<std::string, std::string> out;
    for (const auto& a : r.attributes()) out[a.key()] = a.value();
    return out;
  }

  ManualClock clock_{absl::FromUnixSeconds(t::kNowUnix)};
  std::unique_ptr<http::TestHttpServer> imds_;
  ThreadPool pool_{2};
  join::AuthRegistry auth_methods_;
  join::AgentRegistry agent_methods_;
  std::map<std::string, std::shared_ptr<join::Checker>> checkers_;
  token::MemoryTokenStore store_;
  join::testing::FakeIssuer issuer_;
  join::testing::RecordingAuditSink audit_;
  absl::Mutex log_mu_;
  std::vector<std::string> log_lines_;
  log::Logger logger_{log::Format::kText, log::Level::kInfo, [this](absl::string_view l) {
                        absl::MutexLock lock(&log_mu_);
                        log_lines_.emplace_back(l);
                      }};
  std::unique_ptr<auth::JoinService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(AzureJoinTest, SystemAssignedJoinSucceeds) {
  absl::StatusOr<enlist::join::v1::Result> r = Join("azure-token");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->host_id(), "host-1");
  std::map<std::string, std::string> a = Attributes(*r);
  EXPECT_EQ(a["azure.subscription"], t::kSubscription);
  EXPECT_EQ(a["azure.resource_group"], "prod-rg");
  EXPECT_EQ(a["azure.vm_name"], "vm-1");
  EXPECT_EQ(a["azure.identity"], "system");
  EXPECT_EQ(a["azure.tenant"], t::kTenant);
  ASSERT_EQ(audit_.events().size(), 1u);
  EXPECT_TRUE(audit_.events()[0].accepted);
  // The agent sent the intermediate: the checker fetched nothing itself.
  std::vector<Req> reqs = imds_->requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].HeaderValue("metadata"), "true");
}

TEST_F(AzureJoinTest, UserAssignedJoinSucceeds) {
  absl::StatusOr<enlist::join::v1::Result> r =
      Join("azure-token", "client_id: 11111111-1111-1111-1111-111111111111\n");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(Attributes(*r)["azure.identity"], "user");
  EXPECT_EQ(Attributes(*r)["azure.subscription"], t::kSubscription);
  EXPECT_THAT(imds_->requests()[1].target,
              HasSubstr("&client_id=11111111-1111-1111-1111-111111111111"));
}

TEST_F(AzureJoinTest, RulesDenyWithTheSeedsLogLine) {
  absl::StatusOr<enlist::join::v1::Result> r = Join("azure-other");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(r.status().message(),
            absl::StrCat("checking Azure challenge solution: VM \"vm-1\" (tenant ", t::kTenant,
                         ", subscription ", t::kSubscription,
                         ", resource group \"prod-rg\") matches no allow rule of token "
                         "\"azure-other\""));
  EXPECT_EQ(issuer_.issued(), 0u);
  absl::MutexLock l(&log_mu_);
  ASSERT_FALSE(log_lines_.empty());
  const std::string& line = log_lines_.back();
  EXPECT_THAT(line, HasSubstr("level=WARN"));
  EXPECT_THAT(line, HasSubstr("msg=\"Failure to join cluster occurred\""));
  EXPECT_THAT(line, HasSubstr("error=\"checking Azure challenge solution: "));
  EXPECT_THAT(line, HasSubstr("remote_addr="));
  EXPECT_THAT(line, HasSubstr("token_name=azure-other"));
  EXPECT_THAT(line, HasSubstr("token_join_method=azure"));
}

TEST_F(AzureJoinTest, ImdsDownFailsOnTheAgent) {
  imds_.reset();
  join::SolverOptions o;
  o.settings = *config::YamlNode::ParseOne(
      "imds_url: http://127.0.0.1:1\nallow_http: true\nmax_attempts: 1\n", "agent.yaml");
  auto solver = (*agent_methods_.Get("azure"))->NewSolver(o);
  ASSERT_TRUE(solver.ok());
  enlist::join::v1::ClientInit init;
  init.set_join_method("azure");
  init.set_token_name("azure-token");
  init.set_role("Node");
  init.mutable_host()->set_tls_public_key("spki");
  absl::StatusOr<enlist::join::v1::Result> r =
      agent::RunJoin(channel_, init, solver->get(), absl::Seconds(20));
  EXPECT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("is this running on an Azure VM?"));
}

}  // namespace
}  // namespace enlist::azure
