// The checker's own steps on real Azure artifacts (testdata/azure-real and
// testdata/entra, provenance in their READMEs): PKCS#7 (step 3), chain to
// the default Azure roots of Debian's store with the real intermediates
// (step 4) and payload (step 5) pass for samples 2-17 at each sample's
// createdOn; sample 1 fails at the chain step; the tampered copies fail at
// the PKCS#7 step; the real managed-identity token verifies (step 6) against
// the tenant's JWKS snapshot and names its VM through xms_az_rid (step 7).
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/config/yaml.h"
#include "core/crypto/cert.h"
#include "core/crypto/testing/azure_fixtures.h"
#include "core/http/fake_http_client.h"
#include "core/jwt/oidc.h"
#include "core/util/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "methods/azure/auth/access_token.h"
#include "methods/azure/auth/attested_check.h"
#include "methods/azure/auth/azure_checker.h"
#include "methods/azure/auth/azure_token_spec.h"
#include "methods/azure/auth/checker_config.h"
#include "methods/azure/auth/resource_id.h"
#include "methods/azure/auth/signer_chain.h"
#include "methods/azure/common/ca_issuer_url.h"

namespace enlist::azure {
namespace {

using ::testing::HasSubstr;
namespace ct = ::enlist::crypto::testing;

std::string Read(const std::string& rel) {
  absl::StatusOr<std::string> data = ct::ReadFileBytes(rel);
  EXPECT_TRUE(data.ok()) << rel << ": " << data.status();
  return data.value_or("");
}

std::shared_ptr<const crypto::TrustStore> DefaultRoots() {
  static const std::shared_ptr<const crypto::TrustStore>* roots = [] {
    AzureCheckerConfig config;  // the Azure roots of /etc/ssl/certs
    auto r = LoadAzureRoots(config);
    EXPECT_TRUE(r.ok()) << r.status();
    return new std::shared_ptr<const crypto::TrustStore>(r.value_or(nullptr));
  }();
  return *roots;
}

// The real intermediates (not the roots) of testdata/azure-real/certs.
const std::vector<crypto::X509Ptr>& RealIntermediates() {
  static const std::vector<crypto::X509Ptr>* certs = [] {
    auto* out = new std::vector<crypto::X509Ptr>();
    for (const char* f : {"Microsoft_Azure_RSA_TLS_Issuing_CA_03__by_DigiCert_Global_Root_G2.pem",
                          "Microsoft_Azure_RSA_TLS_Issuing_CA_04__by_DigiCert_Global_Root_G2.pem",
                          "Microsoft_Azure_RSA_TLS_Issuing_CA_07__by_DigiCert_Global_Root_G2.pem",
                          "Microsoft_Azure_RSA_TLS_Issuing_CA_08__by_DigiCert_Global_Root_G2.pem",
                          "Microsoft_Azure_TLS_Issuing_CA_01__by_DigiCert_Global_Root_G2.pem",
                          "Microsoft_Azure_TLS_Issuing_CA_02__by_DigiCert_Global_Root_G2.pem",
                          "Microsoft_Azure_TLS_Issuing_CA_05__by_DigiCert_Global_Root_G2.pem",
                          "Microsoft_Azure_TLS_Issuing_CA_06__by_DigiCert_Global_Root_G2.pem",
                          "Microsoft_IT_TLS_CA_1__by_Baltimore_CyberTrust_Root.pem",
                          "Microsoft_IT_TLS_CA_2__by_Baltimore_CyberTrust_Root.pem",
                          "Microsoft_IT_TLS_CA_4__by_Baltimore_CyberTrust_Root.pem",
                          "Microsoft_IT_TLS_CA_5__by_Baltimore_CyberTrust_Root.pem",
                          "Microsoft_RSA_TLS_CA_01__by_Baltimore_CyberTrust_Root.pem",
                          "Microsoft_RSA_TLS_CA_02__by_Baltimore_CyberTrust_Root.pem",
                          "Microsoft_TLS_G2_RSA_CA_OCSP_02__by_Microsoft_TLS_RSA_Root_G2.pem",
                          "Microsoft_TLS_G2_RSA_CA_OCSP_04__by_Microsoft_TLS_RSA_Root_G2.pem",
                          "Microsoft_TLS_RSA_Root_G2__by_DigiCert_Global_Root_G2.pem"}) {
      auto certs = crypto::ParseCertificatesPem(Read(absl::StrCat(ct::kAzureRealDir, "/certs/", f)));
      EXPECT_TRUE(certs.ok()) << f;
      if (certs.ok()) {
        for (crypto::X509Ptr& c : *certs) out->push_back(std::move(c));
      }
    }
    return out;
  }();
  return *certs;
}

// What an agent following AIA would send: the issuers of `leaf` and theirs,
// as concatenated DER.
std::string AgentIntermediates(const X509& leaf) {
  std::string out;
  const X509* current = &leaf;
  for (int hop = 0; hop < 3; ++hop) {
    const X509* next = nullptr;
    for (const crypto::X509Ptr& c : RealIntermediates()) {
      if (X509_check_issued(c.get(), const_cast<X509*>(current)) == X509_V_OK) {
        next = c.get();
        break;
      }
    }
    if (next == nullptr) break;
    out += *crypto::CertificateDer(*next);
    current = next;
  }
  return out;
}

class RealSampleTest : public ::testing::TestWithParam<int> {};

TEST_P(RealSampleTest, SignatureChainAndContentPassAtCreatedOn) {
  const int n = GetParam();
  const std::string json = Read(absl::StrCat(ct::kAzureRealDir, "/sample_", n, ".json"));
  absl::StatusOr<crypto::VerifiedSignedData> sd = VerifyAttestedSignature(json);
  ASSERT_TRUE(sd.ok()) << sd.status();
  EXPECT_FALSE(sd->had_signed_attributes);
  absl::StatusOr<AttestedPayload> payload = ParseAttestedPayload(sd->content);
  ASSERT_TRUE(payload.ok()) << payload.status();
  const absl::Time at = payload->created_on;

  for (const std::string& url : crypto::CaIssuerUrls(*sd->signer)) {
    EXPECT_TRUE(IsAllowedCaIssuerUrl(url)) << url;
  }
  const std::string domain = n == 4 ? "metadata.azure.us" : "metadata.azure.com";
  SignerChainVerifier chains(DefaultRoots(), {domain}, nullptr);
  absl::StatusOr<crypto::VerifiedChain> chain =
      chains.Verify(*sd->signer, AgentIntermediates(*sd->signer), at);
  ASSERT_TRUE(chain.ok()) << "sample " << n << ": " << chain.status();
  EXPECT_GE(chain->certificates.size(), 3u);

  absl::StatusOr<AttestedPayload> checked =
      CheckAttestedPayload(sd->content, payload->nonce, at, absl::Minutes(2));
  ASSERT_TRUE(checked.ok()) << checked.status();
  EXPECT_EQ(CheckAttestedPayload(sd->content, "another-nonce", at, absl::Minutes(2)).status().code(),
            absl::StatusCode::kUnauthenticated);
  // Six hours later the document has expired.
  absl::Status late =
      CheckAttestedPayload(sd->content, payload->nonce, at + absl::Hours(7), absl::Minutes(2))
          .status();
  EXPECT_EQ(late.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(late.message()), HasSubstr("attested document: expired at"));

  // The other cloud's domain is refused.
  SignerChainVerifier other(DefaultRoots(), {n == 4 ? "metadata.azure.com" : "metadata.azure.us"},
                            nullptr);
  absl::Status wrong = other.Verify(*sd->signer, AgentIntermediates(*sd->signer), at).status();
  EXPECT_EQ(wrong.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(wrong.message()), HasSubstr("signer certificate: x509: name:"));
}

// The same through the production entry point, AzureChecker::Check, with the
// default roots and a ManualClock at createdOn: steps 2-5 pass, so the join
// stops only at step 6 (there is no matching real token for these VMs).
TEST_P(RealSampleTest, CheckerPassesStepsTwoToFiveAtCreatedOn) {
  const int n = GetParam();
  const std::string json = Read(absl::StrCat(ct::kAzureRealDir, "/sample_", n, ".json"));
  absl::StatusOr<crypto::VerifiedSignedData> sd = VerifyAttestedSignature(json);
  ASSERT_TRUE(sd.ok()) << sd.status();
  absl::StatusOr<AttestedPayload> payload = ParseAttestedPayload(sd->content);
  ASSERT_TRUE(payload.ok()) << payload.status();
  absl::StatusOr<AzureCheckerConfig> config = ParseCheckerConfig(*config::YamlNode::ParseOne(
      n == 4 ? "cloud: usgovernment\n" : "cloud: public\n", "auth.yaml"));
  ASSERT_TRUE(config.ok()) << config.status();
  ManualClock clock(payload->created_on);
  AzureCheckerDeps deps;
  deps.http = std::make_shared<http::FakeHttpClient>();  // no network: nothing is fetched
  deps.clock = &clock;
  absl::StatusOr<std::shared_ptr<AzureChecker>> checker = AzureChecker::Create(*config, deps);
  ASSERT_TRUE(checker.ok()) << checker.status();
  enlist::azure::v1::AzureSolution solution;
  solution.set_attested_data(json);
  solution.set_intermediates(AgentIntermediates(*sd->signer));
  solution.set_access_token("e30.e30.c2ln");  // {}.{}.sig: fails at step 6
  AzureTokenSpec spec({AllowRule{"", "72f988bf-86f1-41af-91ab-2d7cd011db47", {}}});
  absl::Status s = (*checker)->Check(solution, payload->nonce, spec, "real").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("access token: jwt: header:")) << s;
  // A nonce other than the document's fails at step 5 instead.
  s = (*checker)->Check(solution, "another-nonce", spec, "real").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(s.message()), HasSubstr("attested document: nonce does not match"));
}

INSTANTIATE_TEST_SUITE_P(Samples2To17, RealSampleTest, ::testing::Range(2, 18));

TEST(RealSampleTest, Sample1FailsAtTheChainStep) {
  const std::string json = Read(absl::StrCat(ct::kAzureRealDir, "/sample_1.json"));
  absl::StatusOr<crypto::VerifiedSignedData> sd = VerifyAttestedSignature(json);
  ASSERT_TRUE(sd.ok()) << sd.status();
  // (The docs example's vmId is not even a UUID; step 4 stops it first.)
  absl::StatusOr<absl::Time> created = ct::AttestedCreatedOn(sd->content);
  ASSERT_TRUE(created.ok()) << created.status();
  SignerChainVerifier chains(DefaultRoots(), {"metadata.azure.com"}, nullptr);
  absl::Status s = chains.Verify(*sd->signer, "", *created).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(s.message()), HasSubstr("signer certificate: x509: chain:"));
}

TEST(RealSampleTest, NegativesFailAtThePkcs7Step) {
  absl::StatusOr<crypto::VerifiedSignedData> sig = VerifyAttestedSignature(
      Read(absl::StrCat(ct::kAzureRealDir, "/negative/tc_322910a9cf32.json")));
  EXPECT_EQ(sig.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(sig.status().message()),
              HasSubstr("attested data: pkcs7: signature: verification failed"));
  // The vmId-tampered copy carries a stray byte after the DER (see
  // core/crypto/azure_real_test.cc): strict DER stops it in the same step.
  absl::StatusOr<crypto::VerifiedSignedData> content = VerifyAttestedSignature(
      Read(absl::StrCat(ct::kAzureRealDir, "/negative/tc_a469e91acaac.json")));
  EXPECT_EQ(content.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(content.status().message()), HasSubstr("attested data: pkcs7:"));
}

TEST(RealTokenTest, UserAssignedTokenVerifiesAndNamesItsVm) {
  constexpr char kTid[] = "90a38eda-4006-4dd5-924c-6ca55cacc14d";
  http::FakeHttpClient http;
  const std::string keys_url =
      absl::StrCat("https://login.microsoftonline.com/", kTid, "/discovery/v2.0/keys");
  http.SetResponse(absl::StrCat("https://sts.windows.net/", kTid,
                                "/.well-known/openid-configuration"),
                   200, absl::StrCat("{\"jwks_uri\":\"", keys_url, "\"}"));
  http.SetResponse(keys_url, 200, Read("testdata/entra/jwks_tenant_v2_snapshot_2024-01.json"));
  ManualClock clock(absl::FromUnixSeconds(1702160000));  // inside nbf..exp
  jwt::OidcKeyProvider keys(&http, &clock);
  AccessTokenOptions o;
  o.sts_url = "https://sts.windows.net";
  o.login_url = "https://login.microsoftonline.com";
  o.audiences = {"https://management.azure.com/"};
  AccessTokenVerifier verifier(&keys, o);
  const std::string token(
      absl::StripAsciiWhitespace(Read("testdata/entra/user_assigned_arm_2023.jwt")));
  absl::StatusOr<AccessTokenClaims> claims = verifier.Verify(token, clock.Now());
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->tenant, kTid);
  EXPECT_FALSE(claims->v2);
  EXPECT_THAT(claims->xms_mirid, HasSubstr("/userAssignedIdentities/"));
  absl::StatusOr<VmResource> vm = ParseVmResourceId(claims->xms_az_rid);
  ASSERT_TRUE(vm.ok()) << vm.status();
  EXPECT_EQ(vm->subscription, "2b0942f3-9bca-484b-a508-abdae2db5e64");
  EXPECT_EQ(vm->resource_group, "northpole-rg1");
  EXPECT_EQ(vm->vm_name, "ssh-server-vm");
  EXPECT_EQ(vm->kind, VmResource::Kind::kVirtualMachine);
  // The identity's own id is not a VM.
  EXPECT_EQ(ParseVmResourceId(claims->xms_mirid).status().code(), absl::StatusCode::kNotFound);

  // Today it has long expired.
  absl::Status expired = verifier.Verify(token, absl::FromUnixSeconds(1767225600)).status();
  EXPECT_EQ(expired.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(expired.message()), HasSubstr("access token: jwt: token expired"));
  // Another audience configured: refused.
  o.audiences = {"https://management.usgovcloudapi.net/"};
  AccessTokenVerifier gov(&keys, o);
  EXPECT_THAT(std::string(gov.Verify(token, clock.Now()).status().message()),
              HasSubstr("is not the ARM resource"));
}

}  // namespace
}  // namespace enlist::azure
