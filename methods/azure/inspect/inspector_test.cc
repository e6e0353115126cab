// The inspector over the real Azure fixtures (testdata/azure-real,
// testdata/entra; provenance in their READMEs): every check of samples 2-17
// passes at the sample's createdOn with its nonce and real intermediates;
// without a time the expired leaf fails; sample 1 fails the chain; the
// tampered copies fail the signature; the real Entra token passes with the
// JWKS snapshot inside its validity. Plus the offline client and the
// report's renderings and exit codes.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/crypto/testing/azure_fixtures.h"
#include "core/json/json.h"
#include "core/util/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "methods/azure/inspect/inspect_report.h"
#include "methods/azure/inspect/inspector.h"
#include "methods/azure/inspect/offline_http_client.h"

namespace enlist::azure::inspect {
namespace {

using ::testing::HasSubstr;
namespace ct = ::enlist::crypto::testing;

constexpr char kRoots[] = "methods/azure/inspect/azure_real_roots.pem";
constexpr char kTokenFile[] = "testdata/entra/user_assigned_arm_2023.jwt";
constexpr char kJwksFile[] = "testdata/entra/jwks_tenant_v2_snapshot_2024-01.json";
// Inside the real token's validity (nbf 1702151817, exp 1702238517).
const absl::Time kInsideToken = absl::FromUnixSeconds(1702160000);

std::string Read(const std::string& rel) {
  absl::StatusOr<std::string> data = ct::ReadFileBytes(rel);
  EXPECT_TRUE(data.ok()) << rel << ": " << data.status();
  return data.value_or("");
}

// A real sample: the intermediates its agent would send (by AIA), its cloud.
struct Sample {
  int n;
  std::vector<const char*> intermediates;
  const char* cloud = "public";
};

const std::vector<Sample>& Samples() {
  static const auto* samples = new std::vector<Sample>{
      {2, {"Microsoft_Azure_TLS_Issuing_CA_05__by_DigiCert_Global_Root_G2.pem"}},
      {3, {"Microsoft_RSA_TLS_CA_01__by_Baltimore_CyberTrust_Root.pem"}},
      {4, {"Microsoft_Azure_TLS_Issuing_CA_05__by_DigiCert_Global_Root_G2.pem"}, "usgovernment"},
      {5,
       {"Microsoft_TLS_G2_RSA_CA_OCSP_02__by_Microsoft_TLS_RSA_Root_G2.pem",
        "Microsoft_TLS_RSA_Root_G2__by_DigiCert_Global_Root_G2.pem"}},
      {6, {"Microsoft_Azure_RSA_TLS_Issuing_CA_08__by_DigiCert_Global_Root_G2.pem"}},
      {7, {"Microsoft_IT_TLS_CA_4__by_Baltimore_CyberTrust_Root.pem"}},
      {8, {"Microsoft_RSA_TLS_CA_02__by_Baltimore_CyberTrust_Root.pem"}},
      {9, {"Microsoft_RSA_TLS_CA_01__by_Baltimore_CyberTrust_Root.pem"}},
      {10, {"Microsoft_Azure_TLS_Issuing_CA_01__by_DigiCert_Global_Root_G2.pem"}},
      {11, {"Microsoft_Azure_TLS_Issuing_CA_05__by_DigiCert_Global_Root_G2.pem"}},
      {12, {"Microsoft_Azure_RSA_TLS_Issuing_CA_07__by_DigiCert_Global_Root_G2.pem"}},
      {13, {"Microsoft_Azure_RSA_TLS_Issuing_CA_03__by_DigiCert_Global_Root_G2.pem"}},
      {14, {"Microsoft_Azure_RSA_TLS_Issuing_CA_04__by_DigiCert_Global_Root_G2.pem"}},
      {15, {"Microsoft_Azure_RSA_TLS_Issuing_CA_07__by_DigiCert_Global_Root_G2.pem"}},
      {16, {"Microsoft_Azure_RSA_TLS_Issuing_CA_04__by_DigiCert_Global_Root_G2.pem"}},
      {17,
       {"Microsoft_TLS_G2_RSA_CA_OCSP_02__by_Microsoft_TLS_RSA_Root_G2.pem",
        "Microsoft_TLS_RSA_Root_G2__by_DigiCert_Global_Root_G2.pem"}},
  };
  return *samples;
}

InspectOptions ForSample(const Sample& s) {
  InspectOptions o;
  o.document = Read(absl::StrCat(ct::kAzureRealDir, "/sample_", s.n, ".json"));
  for (const char* f : s.intermediates) {
    o.intermediates += Read(absl::StrCat(ct::kAzureRealDir, "/certs/", f));  // PEM
  }
  o.roots_file = kRoots;
  o.cloud = s.cloud;
  return o;
}

const CheckResult* Find(const InspectReport& r, absl::string_view name) {
  for (const CheckResult& c : r.checks) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

std::string Dump(const InspectReport& r) { return ReportToText(r, false); }

class RealSampleTest : public ::testing::TestWithParam<Sample> {};

TEST_P(RealSampleTest, EveryCheckPassesAtCreatedOnWithItsNonce) {
  const Sample& s = GetParam();
  // First look without a time, as an operator would, to learn createdOn.
  InspectOptions o = ForSample(s);
  absl::StatusOr<InspectReport> first = Inspect(o);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(first->payload.has_value()) << Dump(*first);

  o.at = first->payload->created_on;
  o.nonce = first->payload->nonce;
  absl::StatusOr<InspectReport> r = Inspect(o);
  ASSERT_TRUE(r.ok()) << r.status();
  std::vector<std::string> names;
  for (const CheckResult& c : r->checks) names.push_back(c.name);
  EXPECT_THAT(names, ::testing::ElementsAre("envelope", "signature", "signer chain", "nonce",
                                            "document time", "access token", "resource",
                                            "allow rules"));
  for (const CheckResult& c : r->checks) {
    if (c.step <= 5) {
      EXPECT_EQ(c.verdict, Verdict::kPass) << "sample " << s.n << "\n" << Dump(*r);
    } else {
      EXPECT_EQ(c.verdict, Verdict::kSkip) << c.name;
      EXPECT_THAT(c.reason, HasSubstr("--token")) << c.name;
    }
  }
  EXPECT_EQ(ExitCode(*r, false), 0) << Dump(*r);
  EXPECT_EQ(ExitCode(*r, true), 1);  // the token checks were skipped
  ASSERT_TRUE(r->chain.has_value());
  EXPECT_TRUE(r->chain->verified);
  EXPECT_GE(r->chain->certificates.size(), 3u) << Dump(*r);
  for (const CertificateSummary& c : r->chain->certificates) EXPECT_EQ(c.state, "valid");
  EXPECT_TRUE(r->signer->verified);
  EXPECT_FALSE(r->signer->ca_issuers.empty());
  for (const AiaUrl& u : r->signer->ca_issuers) EXPECT_TRUE(u.allowed) << u.url;
  EXPECT_TRUE(r->payload->verified);
  EXPECT_TRUE(r->refused_urls.empty());

  // Without a time: the leaf has long expired, and so has the document.
  const CheckResult* chain = Find(*first, "signer chain");
  ASSERT_NE(chain, nullptr);
  EXPECT_EQ(chain->verdict, Verdict::kFail) << Dump(*first);
  EXPECT_EQ(chain->code, absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(chain->reason, HasSubstr("signer certificate: x509: chain: certificate has expired"));
  EXPECT_THAT(chain->hint, HasSubstr("the signer certificate (leaf) expired at"));
  EXPECT_THAT(chain->hint, HasSubstr("--at"));
  EXPECT_EQ(first->signer->certificate.state, "expired");
  EXPECT_EQ(first->chain->certificates[0].state, "expired");
  EXPECT_THAT(Dump(*first), HasSubstr("EXPIRED at the inspection time"));
  EXPECT_EQ(Find(*first, "document time")->verdict, Verdict::kFail);
  EXPECT_THAT(Find(*first, "document time")->reason, HasSubstr("attested document: expired at"));
  EXPECT_EQ(Find(*first, "nonce")->verdict, Verdict::kSkip);
  EXPECT_EQ(ExitCode(*first, false), 1);

  // Another nonce: a cached document.
  o.nonce = "another-nonce";
  absl::StatusOr<InspectReport> cached = Inspect(o);
  ASSERT_TRUE(cached.ok());
  EXPECT_EQ(Find(*cached, "nonce")->verdict, Verdict::kFail);
  EXPECT_THAT(Find(*cached, "nonce")->reason, HasSubstr("nonce does not match"));
  EXPECT_EQ(Find(*cached, "document time")->verdict, Verdict::kPass);
}

INSTANTIATE_TEST_SUITE_P(Samples2To17, RealSampleTest, ::testing::ValuesIn(Samples()),
                         [](const ::testing::TestParamInfo<Sample>& info) {
                           return absl::StrCat("sample_", info.param.n);
                         });

TEST(InspectorTest, WithoutIntermediatesNamesTheUrlTheServerWouldFetch) {
  InspectOptions o = ForSample(Samples()[0]);
  o.intermediates.clear();
  o.at = absl::FromUnixSeconds(1696250000);  // sample 2's createdOn + a little
  absl::StatusOr<InspectReport> r = Inspect(o);
  ASSERT_TRUE(r.ok()) << r.status();
  const CheckResult* chain = Find(*r, "signer chain");
  EXPECT_EQ(chain->verdict, Verdict::kFail) << Dump(*r);
  EXPECT_EQ(chain->code, absl::StatusCode::kUnavailable);
  EXPECT_THAT(chain->reason, HasSubstr("getting intermediate CA: fetching intermediate "
                                       "certificate: Get \"http://www.microsoft.com/pkiops/"));
  EXPECT_THAT(chain->hint, HasSubstr("--intermediates"));
  ASSERT_EQ(r->refused_urls.size(), 1u);
}

TEST(InspectorTest, WrongCloudHintsAtTheRightOne) {
  InspectOptions o = ForSample(Samples()[2]);  // sample 4: Azure Government
  o.cloud = "public";
  o.at = absl::FromUnixSeconds(1678295400);
  absl::StatusOr<InspectReport> r = Inspect(o);
  ASSERT_TRUE(r.ok()) << r.status();
  const CheckResult* chain = Find(*r, "signer chain");
  EXPECT_EQ(chain->verdict, Verdict::kFail);
  EXPECT_THAT(chain->reason, HasSubstr("signer certificate: x509: name:"));
  EXPECT_THAT(chain->hint, HasSubstr("--cloud usgovernment"));
}

TEST(InspectorTest, Sample1FailsAtTheChainStep) {
  InspectOptions o;
  o.document = Read(absl::StrCat(ct::kAzureRealDir, "/sample_1.json"));
  o.roots_file = kRoots;
  o.at = absl::FromUnixSeconds(1542751659);  // 2018-11-20T22:07:39Z, its createdOn
  o.nonce = "1234567890";                    // what the docs requested
  absl::StatusOr<InspectReport> r = Inspect(o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(Find(*r, "signature")->verdict, Verdict::kPass) << Dump(*r);
  const CheckResult* chain = Find(*r, "signer chain");
  EXPECT_EQ(chain->verdict, Verdict::kFail);
  EXPECT_EQ(chain->code, absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(chain->reason, HasSubstr("signer certificate: x509: chain:"));
  EXPECT_FALSE(r->chain->verified);
  EXPECT_EQ(ExitCode(*r, false), 1);
}

TEST(InspectorTest, TamperedDocumentsFailAtTheSignatureStep) {
  for (const char* f : {"tc_322910a9cf32.json", "tc_a469e91acaac.json"}) {
    InspectOptions o;
    o.document = Read(absl::StrCat(ct::kAzureRealDir, "/negative/", f));
    o.roots_file = kRoots;
    absl::StatusOr<InspectReport> r = Inspect(o);
    ASSERT_TRUE(r.ok()) << r.status();
    const CheckResult* sig = Find(*r, "signature");
    ASSERT_NE(sig, nullptr);
    EXPECT_EQ(sig->verdict, Verdict::kFail) << f << "\n" << Dump(*r);
    EXPECT_THAT(sig->reason, HasSubstr("attested data: pkcs7:")) << f;
    EXPECT_EQ(Find(*r, "signer chain")->verdict, Verdict::kSkip);
    EXPECT_EQ(ExitCode(*r, false), 1);
  }
}

TEST(InspectorTest, RealEntraTokenPassesWithTheJwksSnapshot) {
  InspectOptions o;
  o.access_token = Read(kTokenFile);
  o.jwks = Read(kJwksFile);
  o.roots_file = kRoots;
  o.at = kInsideToken;
  absl::StatusOr<InspectReport> r = Inspect(o);
  ASSERT_TRUE(r.ok()) << r.status();
  const CheckResult* token = Find(*r, "access token");
  EXPECT_EQ(token->verdict, Verdict::kPass) << Dump(*r);
  EXPECT_THAT(token->reason, HasSubstr("tenant 90a38eda-4006-4dd5-924c-6ca55cacc14d"));
  ASSERT_TRUE(r->token.has_value());
  EXPECT_TRUE(r->token->verified);
  EXPECT_EQ(r->token->kid, "T1St-dLTvyWRgxB_676u8krXS-I");
  std::map<std::string, std::string> claims(r->token->claims.begin(), r->token->claims.end());
  EXPECT_EQ(claims["tid"], "90a38eda-4006-4dd5-924c-6ca55cacc14d");
  EXPECT_EQ(claims["aud"], "https://management.azure.com/");
  EXPECT_EQ(claims["exp"], "2023-12-10T20:01:57Z");
  EXPECT_THAT(claims["xms_az_rid"], HasSubstr("/virtualMachines/ssh-server-vm"));
  ASSERT_EQ(r->token->resources.size(), 2u);
  EXPECT_THAT(r->token->resources[1].names,
              HasSubstr("VM \"ssh-server-vm\" in resource group \"northpole-rg1\""));
  EXPECT_EQ(Find(*r, "resource")->verdict, Verdict::kSkip);
  // Never the token itself.
  const std::string text = Dump(*r);
  const std::string json = json::Serialize(ReportToJson(*r, false));
  const std::string signature = o.access_token.substr(o.access_token.rfind('.') + 1, 40);
  EXPECT_THAT(text, ::testing::Not(HasSubstr(signature)));
  EXPECT_THAT(json, ::testing::Not(HasSubstr(signature)));
  EXPECT_THAT(text, ::testing::Not(HasSubstr(o.access_token.substr(0, 40))));

  // Today it has expired; without keys it is skipped; with other keys the kid is unknown.
  o.at = absl::FromUnixSeconds(1767225600);
  EXPECT_THAT(Find(*Inspect(o), "access token")->reason, HasSubstr("jwt: token expired"));
  o.at = kInsideToken;
  o.jwks.clear();
  EXPECT_EQ(Find(*Inspect(o), "access token")->verdict, Verdict::kSkip);
  o.jwks = Read("testdata/entra/jwks_common_v1_snapshot_MSIdentityTools.json");
  const CheckResult unknown = *Find(*Inspect(o), "access token");
  EXPECT_EQ(unknown.verdict, Verdict::kFail);
  EXPECT_THAT(unknown.reason, HasSubstr("unknown kid"));
}

TEST(InspectorTest, DocumentAndTokenRunTheWholeChecker) {
  // A real document with the real token (different VMs): the checker binds
  // the token's VM to the attested subscription and denies.
  InspectOptions o = ForSample(Samples()[0]);  // sample 2
  o.access_token = Read(kTokenFile);
  o.jwks = Read(kJwksFile);
  o.at = kInsideToken;  // Dec 2023: sample 2's leaf is valid, the document is not
  absl::StatusOr<InspectReport> r = Inspect(o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(Find(*r, "access token")->verdict, Verdict::kPass) << Dump(*r);
  EXPECT_EQ(Find(*r, "document time")->verdict, Verdict::kFail);
  EXPECT_EQ(Find(*r, "resource")->verdict, Verdict::kSkip);
  EXPECT_EQ(r->checker_verdict, "deny");
  EXPECT_THAT(r->checker_reason,
              HasSubstr("checking Azure challenge solution: attested document: expired at"));
}

TEST(InspectorTest, InputErrors) {
  InspectOptions o;
  o.cloud = "mars";
  EXPECT_EQ(Inspect(o).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(Inspect(o).status().message()), HasSubstr("inspect: --cloud:"));
  o.cloud = "public";
  o.roots_file = "/nonexistent/roots.pem";
  EXPECT_THAT(std::string(Inspect(o).status().message()), HasSubstr("inspect: roots:"));
  o.roots_file = kRoots;
  o.intermediates = "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n";
  EXPECT_THAT(std::string(Inspect(o).status().message()), HasSubstr("inspect: intermediates:"));
  o.intermediates.clear();
  o.token_yaml = "kind: token\nversion: v2\nmetadata:\n  name: t\nspec:\n  roles: [Node]\n"
                 "  join_method: azure\n  azure:\n    allow: []\n";
  absl::Status s = Inspect(o).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("inspect: --token-yaml: token.yaml:"));
}

TEST(InspectorTest, NothingGivenSkipsEverything) {
  InspectOptions o;
  o.roots_file = kRoots;
  absl::StatusOr<InspectReport> r = Inspect(o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(CountVerdicts(*r, Verdict::kSkip), 8);
  EXPECT_EQ(ExitCode(*r, false), 0);
  EXPECT_EQ(ExitCode(*r, true), 1);
  json::Value j = ReportToJson(*r, true);
  EXPECT_EQ(j.Find("result")->string_value(), "fail");
  EXPECT_EQ(j.Find("checks")->array().size(), 8u);
}

TEST(OfflineHttpClientTest, ServesOnlyTheGivenKeys) {
  OfflineHttpClient http(R"({"keys":[]})");
  http::HttpRequest req;
  req.url = "https://sts.windows.net/t/.well-known/openid-configuration";
  absl::StatusOr<http::HttpResponse> disco = http.Get(req);
  ASSERT_TRUE(disco.ok());
  EXPECT_THAT(disco->body, HasSubstr("https://sts.windows.net/t/enlist-inspect/keys"));
  req.url = "https://sts.windows.net/t/enlist-inspect/keys";
  EXPECT_EQ(http.Get(req)->body, R"({"keys":[]})");
  req.url = "http://www.microsoft.com/pkiops/certs/x.crt";
  absl::Status s = http.Get(req).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(s.message()), HasSubstr("Get \"http://www.microsoft.com/pkiops/certs/x.crt\": offline"));
  EXPECT_EQ(http.Post(req).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(http.refused().size(), 2u);
  OfflineHttpClient none("");
  req.url = "https://sts.windows.net/t/.well-known/openid-configuration";
  EXPECT_EQ(none.Get(req).status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace enlist::azure::inspect
