// The agent half against a fake IMDS over loopback HTTP (the real libcurl
// client, OS-chosen ports, injected sleeper: no real backoff waits):
// request shape, retries, Retry-After, timeouts, 4xx/5xx, unreachable IMDS,
// cached-nonce retries, the AIA walk and its seed-style error, options.
#include <atomic>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "core/config/yaml.h"
#include "core/crypto/testing/test_pki.h"
#include "core/http/curl_http_client.h"
#include "core/http/fake_http_client.h"
#include "core/http/test_http_server.h"
#include "core/util/file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "methods/azure/agent/azure_agent_method.h"
#include "methods/azure/agent/azure_solver.h"
#include "methods/azure/agent/imds_client.h"
#include "methods/azure/testing/fake_azure.h"
#include "proto/azure/v1/azure.pb.h"

namespace enlist::azure {
namespace {

using ::testing::HasSubstr;
using enlist::azure::v1::AzureChallenge;
using enlist::azure::v1::AzureSolution;
using Req = http::TestHttpServer::Request;
using Resp = http::TestHttpServer::Response;
namespace t = ::enlist::azure::testing;
namespace ct = ::enlist::crypto::testing;

constexpr char kNonce[] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

class RecordingSleeper final : public Sleeper {
 public:
  void Sleep(absl::Duration d) override {
    absl::MutexLock l(&mu_);
    slept_.push_back(d);
  }
  std::vector<absl::Duration> slept() {
    absl::MutexLock l(&mu_);
    return slept_;
  }

 private:
  absl::Mutex mu_;
  std::vector<absl::Duration> slept_;
};

const t::FakeAzure& Azure() {
  static const t::FakeAzure* const kAzure = new t::FakeAzure();
  return *kAzure;
}

std::map<std::string, std::string> Query(const std::string& target) {
  std::map<std::string, std::string> out;
  size_t q = target.find('?');
  if (q == std::string::npos) return out;
  for (absl::string_view kv : absl::StrSplit(target.substr(q + 1), '&')) {
    std::pair<std::string, std::string> p = absl::StrSplit(kv, absl::MaxSplits('=', 1));
    out[p.first] = p.second;
  }
  return out;
}

Resp Json(int status, std::string body, std::vector<http::Header> headers = {}) {
  Resp r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  r.headers.emplace_back("Content-Type", "application/json");
  return r;
}

// A well-behaved IMDS: documents echo the nonce, tokens are fake Azure's.
Resp GoodImds(const Req& req) {
  if (absl::StartsWith(req.target, "/metadata/attested/document")) {
    t::PayloadSpec p;
    p.nonce = Query(req.target)["nonce"];
    return Json(200, Azure().AttestedDocument(p));
  }
  if (absl::StartsWith(req.target, "/metadata/identity/oauth2/token")) {
    return Json(200, absl::StrCat("{\"access_token\":\"", Azure().AccessToken(t::TokenSpec()),
                                  "\",\"expires_in\":\"86399\",\"token_type\":\"Bearer\"}"));
  }
  return Json(404, "{\"error\":\"not found\"}");
}

class ImdsTest : public ::testing::Test {
 protected:
  void Serve(http::TestHttpServer::Handler h) {
    server_ = *http::TestHttpServer::Start(std::move(h));
    options_.base_url = server_->BaseUrl();
  }
  ImdsClient Client() {
    return ImdsClient(&curl_, options_, &RealClock::Get(), &sleeper_, [] { return 0.0; });
  }
  absl::Time Deadline() { return absl::Now() + absl::Seconds(20); }

  http::CurlHttpClient curl_{[] {
    http::CurlHttpClient::Options o;
    o.use_environment_proxy = false;
    return o;
  }()};
  ImdsOptions options_;
  RecordingSleeper sleeper_;
  std::unique_ptr<http::TestHttpServer> server_;
};

TEST_F(ImdsTest, AttestedDocumentRequestShape) {
  Serve(GoodImds);
  ImdsClient c = Client();
  absl::StatusOr<std::string> doc = c.AttestedDocument(kNonce, Deadline());
  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_THAT(*doc, HasSubstr("\"encoding\":\"pkcs7\""));
  std::vector<Req> reqs = server_->requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].HeaderValue("metadata"), "true");
  EXPECT_EQ(reqs[0].target,
            absl::StrCat("/metadata/attested/document?api-version=2021-02-01&nonce=", kNonce));
}

TEST_F(ImdsTest, AccessTokenRequestShape) {
  Serve(GoodImds);
  ImdsClient c = Client();
  absl::StatusOr<std::string> token =
      c.AccessToken("https://management.azure.com/", "11111111-1111-1111-1111-111111111111",
                    Deadline());
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_TRUE(absl::StartsWith(*token, "eyJ"));
  EXPECT_EQ(server_->requests()[0].target,
            "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2F"
            "management.azure.com%2F&client_id=11111111-1111-1111-1111-111111111111");
}

TEST_F(ImdsTest, RetriesOn5xxWithBackoff) {
  std::atomic<int> n{0};
  Serve([&n](const Req& r) { return ++n <= 2 ? Json(500, "{}") : GoodImds(r); });
  ImdsClient c = Client();
  ASSERT_TRUE(c.AttestedDocument(kNonce, Deadline()).ok());
  EXPECT_EQ(n.load(), 3);
  EXPECT_THAT(sleeper_.slept(),
              ::testing::ElementsAre(absl::Milliseconds(250), absl::Milliseconds(500)));
}

TEST_F(ImdsTest, HonoursRetryAfterOn429) {
  std::atomic<int> n{0};
  Serve([&n](const Req& r) {
    return ++n == 1 ? Json(429, "{}", {{"Retry-After", "3"}}) : GoodImds(r);
  });
  ImdsClient c = Client();
  ASSERT_TRUE(c.AttestedDocument(kNonce, Deadline()).ok());
  EXPECT_THAT(sleeper_.slept(), ::testing::ElementsAre(absl::Seconds(3)));
}

TEST_F(ImdsTest, GivesUpAfterMaxAttempts) {
  Serve([](const Req&) { return Json(503, "{}"); });
  options_.retry.max_attempts = 3;
  ImdsClient c = Client();
  absl::StatusOr<std::string> doc = c.AttestedDocument(kNonce, Deadline());
  EXPECT_EQ(doc.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(doc.status().message()), HasSubstr("HTTP 503 (after 3 attempts)"));
  EXPECT_THAT(std::string(doc.status().message()), HasSubstr("nonce=REDACTED"));
  EXPECT_EQ(server_->requests().size(), 3u);
}

TEST_F(ImdsTest, ClientErrorsAreNotRetried) {
  Serve([](const Req& r) {
    if (absl::StrContains(r.target, "oauth2")) {
      return Json(400, "{\"error\":\"invalid_request\",\"error_description\":\"Identity not "
                       "found\"}");
    }
    return Json(404, "{\"error\":\"not found\"}");
  });
  ImdsClient c = Client();
  absl::StatusOr<std::string> doc = c.AttestedDocument(kNonce, Deadline());
  EXPECT_EQ(doc.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(doc.status().message()), HasSubstr("HTTP 404: not found"));
  absl::StatusOr<std::string> tok = c.AccessToken("https://management.azure.com/", "", Deadline());
  EXPECT_EQ(tok.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(tok.status().message()), HasSubstr("HTTP 400: Identity not found"));
  EXPECT_EQ(server_->requests().size(), 2u);
  EXPECT_TRUE(sleeper_.slept().empty());
}

TEST_F(ImdsTest, TimeoutEndsWithTheAzureVmHint) {
  Serve([](const Req& r) {
    Resp resp = GoodImds(r);
    resp.delay = absl::Seconds(30);
    return resp;
  });
  options_.request_timeout = absl::Milliseconds(200);
  options_.retry.max_attempts = 2;
  ImdsClient c = Client();
  absl::StatusOr<std::string> doc = c.AttestedDocument(kNonce, Deadline());
  EXPECT_EQ(doc.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(doc.status().message()), HasSubstr("context deadline exceeded"));
  EXPECT_THAT(std::string(doc.status().message()), HasSubstr("is this running on an Azure VM?"));
  EXPECT_EQ(sleeper_.slept().size(), 1u);
}

TEST_F(ImdsTest, UnreachableImds) {
  Serve(GoodImds);
  server_.reset();  // the port is now closed
  options_.retry.max_attempts = 3;
  options_.request_timeout = absl::Seconds(2);
  ImdsClient c = Client();
  absl::StatusOr<std::string> doc = c.AttestedDocument(kNonce, Deadline());
  EXPECT_EQ(doc.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(doc.status().message()), HasSubstr("connection refused"));
  EXPECT_THAT(std::string(doc.status().message()),
              HasSubstr("(after 3 attempts; is this running on an Azure VM?"));
}

TEST_F(ImdsTest, OversizedResponse) {
  Serve([](const Req&) { return Json(200, std::string(40000, 'x')); });
  ImdsClient c = Client();
  absl::StatusOr<std::string> doc = c.AttestedDocument(kNonce, Deadline());
  EXPECT_EQ(doc.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(doc.status().message()), HasSubstr("azure: imds: "));
}

class SolverTest : public ImdsTest {
 protected:
  void SetUp() override {
    web_.SetResponse("http://www.microsoft.com/pkiops/certs/intermediate.crt", 200,
                     Azure().IntermediateDer());
    web_.SetResponse("http://www.microsoft.com/pkiops/certs/root.crt", 200, Azure().RootPem());
  }
  absl::StatusOr<AzureSolution> Solve(const std::string& nonce = kNonce,
                                      AzureSolverOptions so = {}) {
    ImdsClient imds = Client();
    IntermediateFetcher fetcher(&web_, {});
    AzureSolver solver(&imds, &fetcher, so, &logger_);
    AzureChallenge ch;
    ch.set_nonce(nonce);
    google::protobuf::Any any;
    any.PackFrom(ch);
    absl::StatusOr<google::protobuf::Any> out = solver.Solve(any, Deadline());
    if (!out.ok()) return out.status();
    AzureSolution s;
    EXPECT_TRUE(out->UnpackTo(&s));
    return s;
  }

  http::FakeHttpClient web_;
  std::vector<std::string> lines_;
  log::Logger logger_{log::Format::kText, log::Level::kInfo,
                      [this](absl::string_view l) { lines_.emplace_back(l); }};
};

TEST_F(SolverTest, SolvesWithDocumentTokenAndIntermediates) {
  Serve(GoodImds);
  absl::StatusOr<AzureSolution> s = Solve();
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_THAT(s->attested_data(), HasSubstr("\"encoding\":\"pkcs7\""));
  EXPECT_TRUE(absl::StartsWith(s->access_token(), "eyJ"));
  EXPECT_EQ(s->intermediates(), Azure().IntermediateDer());  // root not sent
}

TEST_F(SolverTest, RetriesCachedDocumentWithAnotherNonce) {
  std::atomic<int> docs{0};
  Serve([&docs](const Req& r) {
    if (absl::StartsWith(r.target, "/metadata/attested/document") && ++docs == 1) {
      t::PayloadSpec p;
      p.nonce = "1234566766";  // what IMDS had cached
      return Json(200, Azure().AttestedDocument(p));
    }
    return GoodImds(r);
  });
  absl::StatusOr<AzureSolution> s = Solve();
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(docs.load(), 2);
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_THAT(lines_[0], HasSubstr("IMDS returned a cached attested document"));
  EXPECT_THAT(lines_[0], ::testing::Not(HasSubstr(kNonce)));
}

TEST_F(SolverTest, GivesUpOnPersistentlyCachedDocument) {
  Serve([](const Req& r) {
    if (absl::StartsWith(r.target, "/metadata/attested/document")) {
      t::PayloadSpec p;
      p.nonce = "1234566766";
      return Json(200, Azure().AttestedDocument(p));
    }
    return GoodImds(r);
  });
  absl::StatusOr<AzureSolution> s = Solve();
  EXPECT_EQ(s.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(s.status().message()),
              HasSubstr("attested document carries another nonce (a cached document) after 3 "
                        "attempts"));
  EXPECT_EQ(server_->requests().size(), 3u);
}

TEST_F(SolverTest, IntermediateFetchErrorReadsLikeTheSeed) {
  Serve(GoodImds);
  const std::string url = "http://www.microsoft.com/pkiops/certs/intermediate.crt";
  web_.SetError(url, absl::UnavailableError(absl::StrCat(
                         "Get \"", url,
                         "\": context deadline exceeded (Client.Timeout exceeded while awaiting "
                         "headers)")));
  web_.SetError("http://caissuers.microsoft.com/pkiops/certs/intermediate.crt",
                absl::UnavailableError("Get \"x\": connection refused"));
  absl::StatusOr<AzureSolution> s = Solve();
  EXPECT_EQ(s.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(s.status().message(),
            "getting intermediate CA for attested data: fetching intermediate certificate: Get "
            "\"http://www.microsoft.com/pkiops/certs/intermediate.crt\": context deadline "
            "exceeded (Client.Timeout exceeded while awaiting headers)");
}

TEST_F(SolverTest, BadChallenges) {
  Serve(GoodImds);
  absl::StatusOr<AzureSolution> s = Solve("not a nonce!");
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.status().message()), HasSubstr("1-32 base64url characters"));
  ImdsClient imds = Client();
  AzureSolver solver(&imds, nullptr, {}, &logger_);
  google::protobuf::Any any;
  any.PackFrom(AzureSolution());
  EXPECT_EQ(solver.Solve(any, Deadline()).status().code(), absl::StatusCode::kInvalidArgument);
}

// The AIA walk over real HTTP: a cycle of cross-signed CAs ends the walk, a
// foreign host is never contacted, a self-signed root stops it.
TEST(ChainWalkLoopbackTest, CycleForeignHostAndSelfSignedStop) {
  absl::Mutex mu;
  std::map<std::string, std::string> files;
  auto server = *http::TestHttpServer::Start([&](const Req& r) {
    absl::MutexLock l(&mu);
    auto it = files.find(r.target);
    Resp resp;
    resp.status = it == files.end() ? 404 : 200;
    resp.body = it == files.end() ? "" : it->second;
    return resp;
  });
  const std::string base = absl::StrCat(server->BaseUrl(), "/certs/");
  crypto::EvpPkeyPtr kx = ct::NewRsaKey(), ky = ct::NewRsaKey(), kl = ct::NewRsaKey();
  ct::CertSpec ys;
  ys.common_name = "Y";
  ys.is_ca = true;
  ys.serial = 1;
  crypto::X509Ptr y_self = ct::IssueCert(ys, ky.get(), nullptr, ky.get());
  ct::CertSpec xs;
  xs.common_name = "X";
  xs.is_ca = true;
  xs.serial = 2;
  xs.ca_issuer_urls = {base + "y.crt"};
  crypto::X509Ptr x = ct::IssueCert(xs, kx.get(), y_self.get(), ky.get());
  ys.serial = 3;
  ys.ca_issuer_urls = {"http://evil.example.com/certs/x.crt", base + "x.crt"};
  crypto::X509Ptr y = ct::IssueCert(ys, ky.get(), x.get(), kx.get());
  ct::CertSpec ls;
  ls.common_name = "metadata.azure.com";
  ls.ca_issuer_urls = {base + "x.crt"};
  crypto::X509Ptr leaf = ct::IssueCert(ls, kl.get(), x.get(), kx.get());
  {
    absl::MutexLock l(&mu);
    files["/certs/x.crt"] = ct::CertDer(x.get());
    files["/certs/y.crt"] = ct::CertDer(y.get());
  }
  http::CurlHttpClient::Options no_proxy;  // loopback: never through a proxy
  no_proxy.use_environment_proxy = false;
  http::CurlHttpClient curl(no_proxy);
  IntermediateFetchOptions o;
  o.allowed_prefixes = {base};
  IntermediateFetcher cyc(&curl, o);
  absl::StatusOr<std::vector<crypto::X509Ptr>> out = cyc.Walk(*leaf);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->size(), 2u);
  EXPECT_EQ(server->requests().size(), 3u);  // x, y, x again: cycle detected

  // Self-signed stop: y.crt now serves a self-signed Y.
  {
    absl::MutexLock l(&mu);
    files["/certs/y.crt"] = ct::CertDer(y_self.get());
  }
  out = cyc.Walk(*leaf);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->size(), 1u);

  // Missing file: a 404 is an error naming the URL.
  {
    absl::MutexLock l(&mu);
    files.erase("/certs/x.crt");
  }
  out = cyc.Walk(*leaf);
  EXPECT_EQ(out.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(out.status().message(),
            absl::StrCat("fetching intermediate certificate: Get \"", base,
                         "x.crt\": unexpected HTTP status 404"));
}

// The example of docs/azure.md (testdata/azure/agent.yaml) stays valid.
TEST(AgentMethodTest, DocsExampleParses) {
  absl::StatusOr<std::string> yaml = ReadFileCapped("testdata/azure/agent.yaml", 1 << 16);
  ASSERT_TRUE(yaml.ok()) << yaml.status();
  AzureAgentDeps deps;
  deps.imds_http = std::make_shared<http::FakeHttpClient>();
  deps.web_http = std::make_shared<http::FakeHttpClient>();
  join::SolverOptions o;
  o.settings = *config::YamlNode::ParseOne(*yaml, "agent.yaml");
  EXPECT_TRUE(AzureAgentMethod(deps).NewSolver(o).ok());
}

TEST(AgentMethodTest, Options) {
  AzureAgentDeps deps;
  deps.imds_http = std::make_shared<http::FakeHttpClient>();
  deps.web_http = std::make_shared<http::FakeHttpClient>();
  AzureAgentMethod m(deps);
  struct Case {
    std::string params, settings, error;
  } cases[] = {
      {"client_id: 11111111-1111-1111-1111-111111111111\n", "", ""},
      {"", "cloud: china\nimds_url: http://169.254.169.254\napi_version: \"2021-12-13\"\n", ""},
      {"", "imds_url: http://127.0.0.1:9\nallow_http: true\nmax_attempts: 2\n", ""},
      {"", "imds_url: http://127.0.0.1:9\n", "needs allow_http: true"},
      {"secret: x\n", "", "secret: unknown field"},
      {"", "cloud: mars\n", "unknown cloud \"mars\""},
      {"", "max_attempts: 0\n", "max_attempts must be 1-20"},
      {"", "intermediate_url_prefixes: [\"http://127.0.0.1:1/certs/\"]\n",
       "needs allow_http: true"},
      {"", "request_timeout: soon\n", "not a positive duration"},
  };
  for (const Case& c : cases) {
    join::SolverOptions o;
    if (!c.params.empty()) o.join_params = *config::YamlNode::ParseOne(c.params, "agent.yaml");
    if (!c.settings.empty()) o.settings = *config::YamlNode::ParseOne(c.settings, "agent.yaml");
    absl::StatusOr<std::unique_ptr<join::Solver>> s = m.NewSolver(o);
    if (c.error.empty()) {
      EXPECT_TRUE(s.ok()) << c.params << c.settings << s.status();
    } else {
      EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument) << c.settings;
      EXPECT_THAT(std::string(s.status().message()), HasSubstr(c.error)) << c.settings;
    }
  }
}

}  // namespace
}  // namespace enlist::azure
