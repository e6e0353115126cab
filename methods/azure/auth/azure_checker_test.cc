// The checker's nine steps, table-driven: every case asserts the status code
// and a message substring. Artifacts come from the test PKI in the exact
// Azure format (methods/azure/testing); HTTP (OIDC, AIA, ARM) is faked.
#include "methods/azure/auth/azure_checker.h"

#include <atomic>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "core/config/yaml.h"
#include "core/http/fake_http_client.h"
#include "core/token/token_resource.h"
#include "core/util/clock.h"
#include "core/util/file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "methods/azure/auth/azure_auth_method.h"
#include "methods/azure/testing/fake_azure.h"
#include "proto/azure/v1/azure.pb.h"

namespace enlist::azure {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using enlist::azure::v1::AzureChallenge;
using enlist::azure::v1::AzureSolution;
namespace t = ::enlist::azure::testing;

constexpr char kInterUrl[] = "http://www.microsoft.com/pkiops/certs/intermediate.crt";
constexpr char kDefaultSpec[] =
    "allow:\n  - subscription: 11111111-2222-3333-4444-555555555555\n"
    "    resource_groups: [prod-rg]\n";

// Answers each URL from a queue (the last answer repeats), records calls.
class ScriptedHttpClient final : public http::HttpClient {
 public:
  void Push(const std::string& url, int status, std::string body,
            std::vector<http::Header> headers = {}) {
    http::HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    r.headers = std::move(headers);
    absl::MutexLock l(&mu_);
    script_[url].push_back(r);
  }
  int Count(const std::string& url) {
    absl::MutexLock l(&mu_);
    return counts_[url];
  }
  absl::StatusOr<http::HttpResponse> Get(const http::HttpRequest& req) override {
    {
      absl::MutexLock l(&mu_);
      ++counts_[req.url];
      auto it = script_.find(req.url);
      if (it != script_.end() && !it->second.empty()) {
        http::HttpResponse r = it->second.front();
        if (it->second.size() > 1) it->second.pop_front();
        last_auth_ = req.headers.empty() ? "" : req.headers[0].second;
        return r;
      }
    }
    return fallback_->Get(req);
  }
  absl::StatusOr<http::HttpResponse> Post(const http::HttpRequest& req) override {
    return fallback_->Post(req);
  }
  std::string last_auth() {
    absl::MutexLock l(&mu_);
    return last_auth_;
  }
  http::FakeHttpClient* fallback() { return fallback_.get(); }

 private:
  absl::Mutex mu_;
  std::map<std::string, std::deque<http::HttpResponse>> script_;
  std::map<std::string, int> counts_;
  std::string last_auth_;
  std::unique_ptr<http::FakeHttpClient> fallback_ = std::make_unique<http::FakeHttpClient>();
};

class RecordingSleeper final : public Sleeper {
 public:
  void Sleep(absl::Duration d) override { slept.push_back(d); }
  std::vector<absl::Duration> slept;
};

// What a case changes in an otherwise good solution.
struct Inputs {
  t::PayloadSpec payload;
  t::SignSpec sign;
  t::TokenSpec token;
  bool send_intermediates = true;
  bool wrong_nonce = false;
  std::optional<std::string> attested_data;
  std::optional<std::string> access_token;
  std::optional<std::string> intermediates;
};

const t::FakeAzure& Azure() {
  static const t::FakeAzure* const kAzure = new t::FakeAzure();
  return *kAzure;
}

std::string WriteTemp(const std::string& name, const std::string& data) {
  const char* dir = std::getenv("TEST_TMPDIR");
  std::string path = absl::StrCat(dir != nullptr ? dir : "/tmp", "/", name);
  std::ofstream(path) << data;
  return path;
}

class CheckerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    roots_file_ = WriteTemp("roots.pem", Azure().RootPem());
    Azure().ServeOidc(http_->fallback());
    http_->fallback()->SetResponse(kInterUrl, 200, Azure().IntermediateDer());
    http_->fallback()->SetResponse("http://www.microsoft.com/pkiops/certs/root.crt", 200,
                                   Azure().RootPem());
    checker_ = MakeChecker("");
  }

  std::shared_ptr<join::Checker> MakeChecker(const std::string& extra) {
    AzureAuthMethod method(http_, &sleeper_);
    join::CheckerOptions o;
    o.clock = &clock_;
    o.settings = *config::YamlNode::ParseOne(
        absl::StrCat("roots_file: ", roots_file_, "\n", extra), "auth.yaml");
    absl::StatusOr<std::shared_ptr<join::Checker>> c = method.NewChecker(o);
    EXPECT_TRUE(c.ok()) << c.status();
    return c.value_or(nullptr);
  }

  static std::shared_ptr<const join::TokenSpec> Spec(const std::string& yaml) {
    absl::StatusOr<std::shared_ptr<const join::TokenSpec>> s =
        ParseAzureTokenSpec(*config::YamlNode::ParseOne(yaml, "token.yaml"));
    EXPECT_TRUE(s.ok()) << s.status();
    return *s;
  }

  static AzureSolution Build(const Inputs& in, const std::string& nonce) {
    t::PayloadSpec p = in.payload;
    p.nonce = in.wrong_nonce ? "a-different-nonce-from-the-cache" : nonce;
    AzureSolution s;
    s.set_attested_data(in.attested_data.value_or(Azure().AttestedDocument(p, in.sign)));
    s.set_access_token(in.access_token.value_or(Azure().AccessToken(in.token)));
    s.set_intermediates(in.intermediates.value_or(
        in.send_intermediates ? Azure().IntermediateDer() : std::string()));
    return s;
  }

  // One join: Begin, Start, the solution built for the challenge, OnSolution.
  absl::StatusOr<join::Accept> Run(const Inputs& in, const std::string& spec_yaml = kDefaultSpec,
                                   join::Checker* checker = nullptr,
                                   std::string* nonce_out = nullptr) {
    std::shared_ptr<const join::TokenSpec> spec = Spec(spec_yaml);
    join::JoinContext ctx;
    ctx.token_name = "azure-token";
    ctx.spec = spec.get();
    auto session = (checker != nullptr ? checker : checker_.get())->Begin(ctx);
    if (!session.ok()) return session.status();
    absl::StatusOr<join::Step> start = (*session)->Start();
    if (!start.ok()) return start.status();
    AzureChallenge ch;
    EXPECT_TRUE(std::get<google::protobuf::Any>(*start).UnpackTo(&ch));
    if (nonce_out != nullptr) *nonce_out = ch.nonce();
    google::protobuf::Any any;
    any.PackFrom(Build(in, ch.nonce()));
    absl::StatusOr<join::Step> step = (*session)->OnSolution(any);
    if (!step.ok()) return step.status();
    return std::get<join::Accept>(*std::move(step));
  }

  static std::map<std::string, std::string> Attrs(const join::Accept& a) {
    return std::map<std::string, std::string>(a.attributes.begin(), a.attributes.end());
  }

  ManualClock clock_{absl::FromUnixSeconds(t::kNowUnix)};
  RecordingSleeper sleeper_;
  std::shared_ptr<ScriptedHttpClient> http_ = std::make_shared<ScriptedHttpClient>();
  std::string roots_file_;
  std::shared_ptr<join::Checker> checker_;
};

TEST_F(CheckerTest, ChallengeIs32Base64UrlChars) {
  join::JoinContext ctx;
  auto spec = Spec(kDefaultSpec);
  ctx.spec = spec.get();
  auto session = checker_->Begin(ctx);
  ASSERT_TRUE(session.ok());
  absl::StatusOr<join::Step> step = (*session)->Start();
  ASSERT_TRUE(step.ok());
  AzureChallenge ch;
  ASSERT_TRUE(std::get<google::protobuf::Any>(*step).UnpackTo(&ch));
  EXPECT_EQ(ch.nonce().size(), 32u);
  EXPECT_EQ(ch.nonce().find_first_not_of(
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
            std::string::npos);
}

TEST_F(CheckerTest, GoodSystemAssigned) {
  absl::StatusOr<join::Accept> a = Run(Inputs());
  ASSERT_TRUE(a.ok()) << a.status();
  std::map<std::string, std::string> attrs = Attrs(*a);
  EXPECT_EQ(attrs["azure.tenant"], t::kTenant);
  EXPECT_EQ(attrs["azure.subscription"], t::kSubscription);
  EXPECT_EQ(attrs["azure.resource_group"], "prod-rg");
  EXPECT_EQ(attrs["azure.vm_id"], t::kVmId);
  EXPECT_EQ(attrs["azure.vm_name"], "vm-1");
  EXPECT_EQ(attrs["azure.identity"], "system");
  EXPECT_EQ(attrs["azure.resource_id"], t::VmResourceId());
  EXPECT_FALSE(a->consume_token);
}

TEST_F(CheckerTest, GoodUserAssignedIdentityElsewhere) {
  Inputs in;
  in.token.xms_mirid = absl::StrCat("/subscriptions/", t::kOtherSubscription,
                                    "/resourcegroups/identities/providers/"
                                    "Microsoft.ManagedIdentity/userAssignedIdentities/id-1");
  in.token.xms_az_rid = t::VmResourceId();
  absl::StatusOr<join::Accept> a = Run(in);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(Attrs(*a)["azure.identity"], "user");
  EXPECT_EQ(Attrs(*a)["azure.subscription"], t::kSubscription);
  EXPECT_EQ(Attrs(*a)["azure.vm_name"], "vm-1");
}

TEST_F(CheckerTest, GoodScaleSets) {
  struct Case {
    std::string rid;
    std::string vm_name;
  } cases[] = {
      // Uniform orchestration: an instance of the scale set.
      {absl::StrCat("/subscriptions/", t::kSubscription,
                    "/resourceGroups/prod-rg/providers/Microsoft.Compute/"
                    "virtualMachineScaleSets/web/virtualMachines/3"),
       "web_3"},
      // Identity on the scale set itself.
      {absl::StrCat("/subscriptions/", t::kSubscription,
                    "/resourceGroups/prod-rg/providers/Microsoft.Compute/virtualMachineScaleSets/web"),
       "web"},
      // Flexible orchestration: instances are plain VMs.
      {t::VmResourceId(t::kSubscription, "prod-rg", "web_4f2a9c1e"), "web_4f2a9c1e"},
  };
  for (const Case& c : cases) {
    Inputs in;
    in.token.xms_mirid = c.rid;
    absl::StatusOr<join::Accept> a = Run(in);
    ASSERT_TRUE(a.ok()) << c.rid << ": " << a.status();
    EXPECT_EQ(Attrs(*a)["azure.vm_name"], c.vm_name);
  }
}

TEST_F(CheckerTest, ResourceGroupOtherCaseAndTenantOnlyRule) {
  Inputs in;
  in.token.xms_mirid = absl::StrCat("/SUBSCRIPTIONS/", t::kSubscription,
                                    "/RESOURCEGROUPS/PROD-RG/providers/microsoft.compute/"
                                    "VIRTUALMACHINES/vm-1");
  absl::StatusOr<join::Accept> a = Run(in);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(Attrs(*a)["azure.resource_group"], "PROD-RG");
  a = Run(Inputs(), absl::StrCat("allow:\n  - tenant: ", t::kTenant, "\n"));
  ASSERT_TRUE(a.ok()) << a.status();
}

TEST_F(CheckerTest, SignedAttributesShapeAlsoVerifies) {
  Inputs in;
  in.sign.signed_attributes = true;
  EXPECT_TRUE(Run(in).ok());
}

TEST_F(CheckerTest, MissingIntermediateFetchedServerSideAndCached) {
  Inputs in;
  in.send_intermediates = false;
  absl::StatusOr<join::Accept> a = Run(in);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(http_->Count(kInterUrl), 1);
  // The verified chain is cached by leaf: the next join needs no fetch.
  ASSERT_TRUE(Run(in).ok());
  EXPECT_EQ(http_->Count(kInterUrl), 1);
}

TEST_F(CheckerTest, MissingIntermediateAndFetchDown) {
  http_->fallback()->SetError(kInterUrl, http::FakeHttpClient::UnavailableError(kInterUrl));
  http_->fallback()->SetError(
      "http://caissuers.microsoft.com/pkiops/certs/intermediate.crt",
      http::FakeHttpClient::UnavailableError(
          "http://caissuers.microsoft.com/pkiops/certs/intermediate.crt"));
  Inputs in;
  in.send_intermediates = false;
  absl::StatusOr<join::Accept> a = Run(in);
  EXPECT_EQ(a.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(a.status().message()),
              HasSubstr("getting intermediate CA: fetching intermediate certificate: Get \""));
}

TEST_F(CheckerTest, ReplayedSolutionFailsOnANewStream) {
  // The agent's solution for stream 1...
  std::shared_ptr<const join::TokenSpec> spec = Spec(kDefaultSpec);
  join::JoinContext ctx;
  ctx.token_name = "azure-token";
  ctx.spec = spec.get();
  auto s1 = *checker_->Begin(ctx);
  AzureChallenge ch1;
  ASSERT_TRUE(std::get<google::protobuf::Any>(*s1->Start()).UnpackTo(&ch1));
  google::protobuf::Any solution;
  solution.PackFrom(Build(Inputs(), ch1.nonce()));
  ASSERT_TRUE(s1->OnSolution(solution).ok());
  // ...cannot be used twice on its stream...
  absl::StatusOr<join::Step> again = s1->OnSolution(solution);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(again.status().message()), HasSubstr("a challenge is used once"));
  // ...nor on another stream, which has its own challenge.
  auto s2 = *checker_->Begin(ctx);
  AzureChallenge ch2;
  ASSERT_TRUE(std::get<google::protobuf::Any>(*s2->Start()).UnpackTo(&ch2));
  EXPECT_NE(ch1.nonce(), ch2.nonce());
  absl::StatusOr<join::Step> replay = s2->OnSolution(solution);
  EXPECT_EQ(replay.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(replay.status().message()),
              HasSubstr("nonce does not match the challenge"));
}

struct DenyCase {
  std::string name;
  std::function<void(Inputs&)> mutate;
  absl::StatusCode code;
  std::string substring;
  std::string spec = kDefaultSpec;
};

std::string Claims(const t::TokenSpec& spec) { return json::Serialize(Azure().Claims(spec)); }

std::vector<DenyCase> DenyCases() {
  const std::string other_tenant = "00000000-1111-2222-3333-444444444444";
  return {
      {"WrongNonce", [](Inputs& in) { in.wrong_nonce = true; },
       absl::StatusCode::kUnauthenticated, "attested document: nonce does not match the challenge"},
      {"TamperedDocument",
       [](Inputs& in) {
         in.payload.nonce = "";
         in.sign.embedded_content = "{\"nonce\":\"x\"}";
       },
       absl::StatusCode::kUnauthenticated, "attested data: pkcs7: signature: verification failed"},
      {"CorruptSignature", [](Inputs& in) { in.sign.corrupt_signature = true; },
       absl::StatusCode::kUnauthenticated, "pkcs7: signature: verification failed"},
      {"SignerNotInMetadataDomain",
       [](Inputs& in) { in.sign.signer = t::SignSpec::Signer::kForeignName; },
       absl::StatusCode::kUnauthenticated,
       "signer certificate: x509: name: certificate names [www.example.com] not in allowed "
       "domains [metadata.azure.com]"},
      {"UntrustedRoot", [](Inputs& in) { in.sign.signer = t::SignSpec::Signer::kUntrusted; },
       absl::StatusCode::kUnauthenticated, "signer certificate: x509: chain:"},
      {"ExpiredDocument",
       [](Inputs& in) { in.payload.created_on = absl::FromUnixSeconds(t::kNowUnix) - absl::Hours(7); },
       absl::StatusCode::kUnauthenticated, "attested document: expired at"},
      {"DocumentFromTheFuture",
       [](Inputs& in) { in.payload.created_on = absl::FromUnixSeconds(t::kNowUnix) + absl::Hours(1); },
       absl::StatusCode::kUnauthenticated, "attested document: created in the future"},
      {"DocumentWithoutSubscription", [](Inputs& in) { in.payload.subscription_id = ""; },
       absl::StatusCode::kUnauthenticated, "attested document: no subscriptionId"},
      {"UnknownKey", [](Inputs& in) { in.token.key = t::TokenKey::kUnknown; },
       absl::StatusCode::kUnauthenticated, "access token: jwt: unknown kid \"enlist-unknown-kid\""},
      {"AlgNone",
       [](Inputs& in) {
         in.access_token = Azure().RawToken(
             absl::StrCat("{\"alg\":\"none\",\"typ\":\"JWT\",\"kid\":\"", t::kKid, "\"}"),
             Claims(t::TokenSpec()));
       },
       absl::StatusCode::kUnauthenticated, "access token: jwt: unsupported alg \"none\""},
      {"Hs256",
       [](Inputs& in) {
         in.access_token = Azure().RawToken(
             absl::StrCat("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"", t::kKid, "\"}"),
             Claims(t::TokenSpec()));
       },
       absl::StatusCode::kUnauthenticated, "access token: jwt: unsupported alg \"HS256\""},
      {"WrongAudience", [](Inputs& in) { in.token.aud = "https://storage.azure.com/"; },
       absl::StatusCode::kUnauthenticated,
       "access token: audience [\"https://storage.azure.com/\"] is not the ARM resource"},
      {"WrongIssuerTenant",
       [other_tenant](Inputs& in) {
         in.token.iss = absl::StrCat("https://sts.windows.net/", other_tenant, "/");
       },
       absl::StatusCode::kUnauthenticated, "access token: issuer"},
      {"ExpiredToken",
       [](Inputs& in) {
         in.token.iat = in.token.nbf = absl::FromUnixSeconds(t::kNowUnix) - absl::Hours(25);
         in.token.exp = absl::FromUnixSeconds(t::kNowUnix) - absl::Hours(1);
       },
       absl::StatusCode::kUnauthenticated, "access token: jwt: token expired"},
      {"TokenNotYetValid",
       [](Inputs& in) { in.token.nbf = absl::FromUnixSeconds(t::kNowUnix) + absl::Hours(1); },
       absl::StatusCode::kUnauthenticated, "access token: jwt: token not yet valid"},
      {"DocumentAndTokenFromDifferentSubscriptions",
       [](Inputs& in) { in.token.xms_mirid = t::VmResourceId(t::kOtherSubscription); },
       absl::StatusCode::kUnauthenticated,
       "access token's VM is in subscription 99999999-8888-7777-6666-555555555555 but the "
       "attested document is from subscription 11111111-2222-3333-4444-555555555555"},
      // The claims name a storage account: ARM fallback (on by default) is
      // needed, and ARM is unreachable here.
      {"TokenNamesNoVmAndArmDown",
       [](Inputs& in) {
         in.token.xms_mirid = absl::StrCat("/subscriptions/", t::kSubscription,
                                           "/resourceGroups/x/providers/Microsoft.Storage/"
                                           "storageAccounts/s");
       },
       absl::StatusCode::kUnavailable, "arm: "},
      {"MalformedResourceId", [](Inputs& in) { in.token.xms_mirid = "/subscriptions/nope"; },
       absl::StatusCode::kUnauthenticated, "access token: xms_mirid: resource id: not an ARM"},
      {"SubscriptionNotAllowed", [](Inputs&) {}, absl::StatusCode::kPermissionDenied,
       "VM \"vm-1\" (tenant 72f988bf-86f1-41af-91ab-2d7cd011db47, subscription "
       "11111111-2222-3333-4444-555555555555, resource group \"prod-rg\") matches no allow rule "
       "of token \"azure-token\"",
       "allow:\n  - subscription: 99999999-8888-7777-6666-555555555555\n"},
      {"ResourceGroupNotAllowed", [](Inputs&) {}, absl::StatusCode::kPermissionDenied,
       "matches no allow rule of token \"azure-token\"",
       "allow:\n  - subscription: 11111111-2222-3333-4444-555555555555\n"
       "    resource_groups: [staging-rg]\n"},
      {"WrongTenant", [](Inputs&) {}, absl::StatusCode::kPermissionDenied,
       "matches no allow rule", absl::StrCat("allow:\n  - tenant: ", other_tenant, "\n")},
      {"OversizedAttestedData", [](Inputs& in) { in.attested_data = std::string(40000, '{'); },
       absl::StatusCode::kInvalidArgument, "attested data: 40000 bytes, over the limit of 32768"},
      {"OversizedToken", [](Inputs& in) { in.access_token = std::string(20000, 'a'); },
       absl::StatusCode::kInvalidArgument, "access token: 20000 bytes, over the limit of 16384"},
      {"OversizedIntermediates", [](Inputs& in) { in.intermediates = std::string(70000, 'x'); },
       absl::StatusCode::kInvalidArgument, "intermediates: 70000 bytes, over the limit of 65536"},
      {"MissingAttestedData", [](Inputs& in) { in.attested_data = ""; },
       absl::StatusCode::kInvalidArgument, "attested data: missing"},
      {"MissingToken", [](Inputs& in) { in.access_token = ""; },
       absl::StatusCode::kInvalidArgument, "access token: missing"},
      {"GarbageJson", [](Inputs& in) { in.attested_data = "{\"encoding\":\"pkcs7\","; },
       absl::StatusCode::kInvalidArgument, "attested data: json: offset"},
      {"WrongEncoding",
       [](Inputs& in) { in.attested_data = "{\"encoding\":\"jws\",\"signature\":\"AAAA\"}"; },
       absl::StatusCode::kInvalidArgument, "attested data: encoding is not \"pkcs7\""},
      {"GarbageBase64",
       [](Inputs& in) { in.attested_data = "{\"encoding\":\"pkcs7\",\"signature\":\"%%%%\"}"; },
       absl::StatusCode::kInvalidArgument, "attested data: signature: base64: invalid character"},
      {"GarbageDer",
       [](Inputs& in) { in.attested_data = "{\"encoding\":\"pkcs7\",\"signature\":\"MIIBAAAA\"}"; },
       absl::StatusCode::kInvalidArgument, "attested data: pkcs7:"},
      {"GarbageIntermediates", [](Inputs& in) { in.intermediates = "\x30\x03\x01\x01\xff junk"; },
       absl::StatusCode::kInvalidArgument, "intermediates: x509:"},
      {"GarbageToken", [](Inputs& in) { in.access_token = "not.a.jwt!"; },
       absl::StatusCode::kInvalidArgument, "access token: jwt:"},
      {"TokenWithoutTid",
       [](Inputs& in) {
         in.access_token = Azure().RawToken(
             "{\"alg\":\"RS256\",\"kid\":\"x\"}", "{\"aud\":\"https://management.azure.com/\"}");
       },
       absl::StatusCode::kInvalidArgument, "access token: jwt: claim: missing required field \"tid\""},
      {"GarbagePayload",
       [](Inputs& in) {
         in.attested_data = Azure().AttestedData("{\"nonce\":\"x\",\"vmId\":7}");
       },
       absl::StatusCode::kInvalidArgument, "attested payload:"},
  };
}

class DenyTest : public CheckerTest, public ::testing::WithParamInterface<DenyCase> {};

TEST_P(DenyTest, Denied) {
  const DenyCase& c = GetParam();
  Inputs in;
  c.mutate(in);
  std::string nonce;
  absl::StatusOr<join::Accept> a = Run(in, c.spec, nullptr, &nonce);
  ASSERT_FALSE(a.ok()) << c.name;
  EXPECT_EQ(a.status().code(), c.code) << a.status();
  const std::string msg(a.status().message());
  EXPECT_THAT(msg, HasSubstr(absl::StrCat(kDenialPrefix, "")));
  EXPECT_EQ(msg.rfind("checking Azure challenge solution: ", 0), 0u) << msg;
  EXPECT_THAT(msg, HasSubstr(c.substring));
  // Never a secret in the message.
  EXPECT_THAT(msg, Not(HasSubstr(nonce)));
  EXPECT_THAT(msg, Not(HasSubstr("eyJ")));  // no JWT segment
}

INSTANTIATE_TEST_SUITE_P(Table, DenyTest, ::testing::ValuesIn(DenyCases()),
                         [](const ::testing::TestParamInfo<DenyCase>& i) { return i.param.name; });

// One checker serves concurrent joins: the chain cache, the key provider,
// the intermediate cache and the ARM cache are shared across threads.
TEST_F(CheckerTest, ConcurrentJoinsShareOneChecker) {
  std::vector<std::pair<std::string, AzureSolution>> work;
  for (int i = 0; i < 16; ++i) {
    std::string nonce = absl::StrCat("concurrent-nonce-", i);
    Inputs in;
    in.send_intermediates = i % 2 == 0;  // half need the server-side fetch
    work.emplace_back(nonce, Build(in, nonce));
  }
  auto* checker = dynamic_cast<AzureChecker*>(checker_.get());
  ASSERT_NE(checker, nullptr);
  AzureTokenSpec spec({AllowRule{t::kSubscription, "", {"prod-rg"}}});
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (const auto& [nonce, solution] : work) {
        if (checker->Check(solution, nonce, spec, "azure-token").ok()) ++ok;
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(ok.load(), 64);
  EXPECT_GE(checker->chains().cache().hits(), 1u);
}

TEST_F(CheckerTest, NotAnAzureSolution) {
  auto spec = Spec(kDefaultSpec);
  join::JoinContext ctx;
  ctx.spec = spec.get();
  auto s = *checker_->Begin(ctx);
  ASSERT_TRUE(s->Start().ok());
  google::protobuf::Any any;
  any.PackFrom(AzureChallenge());
  absl::StatusOr<join::Step> r = s->OnSolution(any);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(),
            "checking Azure challenge solution: solution is not an AzureSolution");
}

TEST_F(CheckerTest, AudienceWithoutTrailingSlashAndV2Issuer) {
  Inputs in;
  in.token.aud = "https://management.azure.com";
  EXPECT_TRUE(Run(in).ok());
  Inputs v2;
  v2.token.iss = absl::StrCat("https://login.microsoftonline.com/", t::kTenant, "/v2.0");
  EXPECT_TRUE(Run(v2).ok());
}

TEST_F(CheckerTest, JwksDownIsUnavailable) {
  http_->fallback()->SetError(
      absl::StrCat("https://sts.windows.net/", t::kTenant, "/.well-known/openid-configuration"),
      http::FakeHttpClient::UnavailableError("https://sts.windows.net/"));
  absl::StatusOr<join::Accept> a = Run(Inputs());
  EXPECT_EQ(a.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(a.status().message()), HasSubstr("access token: oidc:"));
}

const std::string kVmUrl = absl::StrCat("https://management.azure.com", t::VmResourceId(),
                                        "?api-version=2023-03-01");

std::string VmJson(const std::string& id, const std::string& vm_id) {
  return absl::StrCat("{\"id\":\"", id, "\",\"name\":\"x\",\"properties\":{\"vmId\":\"", vm_id,
                      "\"}}");
}

TEST_F(CheckerTest, StrictModeConfirmsVmIdThroughArm) {
  const std::string spec = absl::StrCat(kDefaultSpec, "strict: true\n");
  http_->Push(kVmUrl, 429, "", {{"retry-after", "3"}});
  http_->Push(kVmUrl, 200, VmJson(t::VmResourceId(), t::kVmId));
  absl::StatusOr<join::Accept> a = Run(Inputs(), spec);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(http_->Count(kVmUrl), 2);
  ASSERT_EQ(sleeper_.slept.size(), 1u);
  EXPECT_EQ(sleeper_.slept[0], absl::Seconds(3));  // Retry-After honoured
  EXPECT_THAT(http_->last_auth(), HasSubstr("Bearer eyJ"));  // the node's own token
  // Cached: a VM's id never changes.
  ASSERT_TRUE(Run(Inputs(), spec).ok());
  EXPECT_EQ(http_->Count(kVmUrl), 2);
}

TEST_F(CheckerTest, StrictModeRejectsOtherVmId) {
  std::shared_ptr<join::Checker> strict = MakeChecker("strict: true\n");
  http_->Push(kVmUrl, 200, VmJson(t::VmResourceId(), "aaaaaaaa-74ef-476e-8182-f6d2ba4166a6"));
  absl::StatusOr<join::Accept> a = Run(Inputs(), kDefaultSpec, strict.get());
  EXPECT_EQ(a.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(a.status().message()),
              HasSubstr("strict: ARM says VM \"vm-1\" is not the attested VM"));
}

TEST_F(CheckerTest, StrictModeScaleSetIdentityFindsInstanceWithConfiguredCredential) {
  const std::string set = absl::StrCat("/subscriptions/", t::kSubscription,
                                       "/resourceGroups/prod-rg/providers/Microsoft.Compute/"
                                       "virtualMachineScaleSets/web");
  const std::string cred = WriteTemp("arm-credential", "configured-arm-token\n");
  std::shared_ptr<join::Checker> strict =
      MakeChecker(absl::StrCat("strict: true\narm_credential_file: ", cred, "\n"));
  http_->Push(absl::StrCat("https://management.azure.com", set,
                           "/virtualMachines?api-version=2023-03-01"),
              200,
              absl::StrCat("{\"value\":[", VmJson(set + "/virtualMachines/2",
                                                    "cccccccc-74ef-476e-8182-f6d2ba4166a6"),
                           ",", VmJson(set + "/virtualMachines/3", t::kVmId), "]}"));
  Inputs in;
  in.token.xms_mirid = set;
  absl::StatusOr<join::Accept> a = Run(in, kDefaultSpec, strict.get());
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(Attrs(*a)["azure.vm_name"], "web_3");
  EXPECT_EQ(Attrs(*a)["azure.resource_id"], set + "/virtualMachines/3");
  EXPECT_EQ(http_->last_auth(), "Bearer configured-arm-token");
}

TEST_F(CheckerTest, StrictModeArmDown) {
  std::shared_ptr<join::Checker> strict = MakeChecker("strict: true\n");
  http_->Push(kVmUrl, 503, "");
  absl::StatusOr<join::Accept> a = Run(Inputs(), kDefaultSpec, strict.get());
  EXPECT_EQ(a.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(a.status().message()), HasSubstr("HTTP 503"));
}

TEST_F(CheckerTest, ArmFallbackFindsVmByVmIdAcrossPages) {
  const std::string list = absl::StrCat(
      "https://management.azure.com/subscriptions/", t::kSubscription,
      "/providers/Microsoft.Compute/virtualMachines?api-version=2023-03-01");
  const std::string page2 = absl::StrCat(list, "&$skiptoken=2");
  http_->Push(list, 200,
              absl::StrCat("{\"value\":[",
                           VmJson(t::VmResourceId(t::kSubscription, "prod-rg", "other"),
                                  "bbbbbbbb-74ef-476e-8182-f6d2ba4166a6"),
                           "],\"nextLink\":\"", page2, "\"}"));
  http_->Push(page2, 200,
              absl::StrCat("{\"value\":[", VmJson(t::VmResourceId(), t::kVmId), "]}"));
  Inputs in;
  in.token.xms_mirid = absl::StrCat("/subscriptions/", t::kSubscription,
                                    "/resourcegroups/ids/providers/Microsoft.ManagedIdentity/"
                                    "userAssignedIdentities/id-1");
  absl::StatusOr<join::Accept> a = Run(in);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(Attrs(*a)["azure.vm_name"], "vm-1");
  EXPECT_EQ(Attrs(*a)["azure.identity"], "user");
  EXPECT_EQ(http_->Count(page2), 1);
}

TEST_F(CheckerTest, ArmFallbackOff) {
  std::shared_ptr<join::Checker> c = MakeChecker("arm_fallback: false\n");
  Inputs in;
  in.token.xms_mirid = "";
  absl::StatusOr<join::Accept> a = Run(in, kDefaultSpec, c.get());
  EXPECT_EQ(a.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(a.status().message()), HasSubstr("arm_fallback is off"));
}

TEST(CheckerConfigTest, Rejections) {
  struct Case {
    std::string yaml;
    std::string substring;
  } cases[] = {
      {"colud: public\n", "colud: unknown field"},
      {"cloud: mars\n", "unknown cloud \"mars\""},
      {"sts_url: http://127.0.0.1:1\n", "needs allow_http: true"},
      {"clock_skew: forever\n", "is not a duration"},
      {"strict: maybe\n", "strict"},
      {"roots_file: /nonexistent/roots.pem\n", "/nonexistent/roots.pem"},
  };
  for (const Case& c : cases) {
    AzureAuthMethod m(std::make_shared<http::FakeHttpClient>());
    join::CheckerOptions o;
    o.settings = *config::YamlNode::ParseOne(c.yaml, "auth.yaml");
    absl::StatusOr<std::shared_ptr<join::Checker>> r = m.NewChecker(o);
    EXPECT_FALSE(r.ok()) << c.yaml;
    EXPECT_THAT(std::string(r.status().message()), HasSubstr(c.substring)) << c.yaml;
  }
}

TEST(CheckerConfigTest, CloudPresetsAndOverrides) {
  absl::StatusOr<AzureCheckerConfig> c = ParseCheckerConfig(*config::YamlNode::ParseOne(
      "cloud: usgovernment\nsts_url: http://127.0.0.1:9/\nallow_http: true\n", "a.yaml"));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->cloud.metadata_domains, std::vector<std::string>{"metadata.azure.us"});
  EXPECT_EQ(c->cloud.sts_url, "http://127.0.0.1:9");
  EXPECT_EQ(c->arm_audiences, std::vector<std::string>{"https://management.usgovcloudapi.net/"});
  absl::StatusOr<AzureCheckerConfig> d = ParseCheckerConfig(std::nullopt);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->cloud.name, "public");
}

// The examples of docs/azure.md (testdata/azure) stay valid.
TEST(DocsExamplesTest, TokenAndAuthSettingsParse) {
  absl::StatusOr<std::string> auth = ReadFileCapped("testdata/azure/auth.yaml", 1 << 16);
  ASSERT_TRUE(auth.ok()) << auth.status();
  absl::StatusOr<AzureCheckerConfig> c =
      ParseCheckerConfig(*config::YamlNode::ParseOne(*auth, "auth.yaml"));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->arm_audiences.size(), 2u);
  absl::StatusOr<std::string> token = ReadFileCapped("testdata/azure/token.yaml", 1 << 16);
  ASSERT_TRUE(token.ok()) << token.status();
  join::AuthRegistry registry;
  ASSERT_TRUE(RegisterAzureAuth(registry, std::make_shared<http::FakeHttpClient>()).ok());
  absl::StatusOr<std::vector<token::TokenResource>> tokens =
      token::ParseTokens(*token, "token.yaml", registry);
  ASSERT_TRUE(tokens.ok()) << tokens.status();
  ASSERT_EQ(tokens->size(), 1u);
}

TEST(TokenSpecTest, StrictRoundTrip) {
  auto spec = ParseAzureTokenSpec(*config::YamlNode::ParseOne(
      "allow: [{subscription: 11111111-2222-3333-4444-555555555555}]\nstrict: true\n", "t.yaml"));
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_TRUE(dynamic_cast<const AzureTokenSpec&>(**spec).strict());
  EXPECT_THAT(AzureTokenSpecYaml(**spec), HasSubstr("strict: true"));
}

}  // namespace
}  // namespace enlist::azure
