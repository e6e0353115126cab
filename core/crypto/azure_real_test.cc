// The verifier against real Azure IMDS attested documents
// (testdata/azure-real, provenance in SOURCES.md there): every real document
// verifies, chains to the pinned roots at its own createdOn time, and names
// the metadata domain; the docs example fails the chain; the tampered
// copies fail the signature.
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/crypto/cert.h"
#include "core/crypto/cert_name.h"
#include "core/crypto/chain.h"
#include "core/crypto/pkcs7.h"
#include "core/crypto/testing/azure_fixtures.h"
#include "core/crypto/trust_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace enlist::crypto {
namespace {

using ::testing::HasSubstr;
namespace t = ::enlist::crypto::testing;

std::string Path(const std::string& rel) { return absl::StrCat(t::kAzureRealDir, "/", rel); }

// Roots: the self-signed certs of certs/ plus Baltimore and DigiCert G3.
const TrustStore& Roots() {
  static const std::shared_ptr<const TrustStore>* roots = [] {
    std::string pem;
    for (const char* f :
         {"DigiCert_Global_Root_CA__selfsigned.pem", "DigiCert_Global_Root_G2__selfsigned.pem",
          "Microsoft_ECC_Root_Certificate_Authority_2017__selfsigned.pem",
          "Microsoft_RSA_Root_Certificate_Authority_2017__selfsigned.pem",
          "Microsoft_TLS_RSA_Root_G2__selfsigned.pem", "Baltimore_CyberTrust_Root.pem",
          "DigiCert_Global_Root_G3.pem"}) {
      absl::StatusOr<std::string> data = t::ReadFileBytes(Path(absl::StrCat("certs/", f)));
      EXPECT_TRUE(data.ok()) << data.status();
      pem += data.value_or("");
    }
    auto ts = TrustStore::FromPem(pem);
    EXPECT_TRUE(ts.ok()) << ts.status();
    return new std::shared_ptr<const TrustStore>(*ts);
  }();
  return **roots;
}

// Intermediates: every non-root cert of certs/ (the matching issuer is
// picked by path building, as it would be from an agent's bundle).
const std::vector<X509Ptr>& AllIntermediates() {
  static const std::vector<X509Ptr>* certs = [] {
    auto* out = new std::vector<X509Ptr>();
    for (const char* f : {"Microsoft_Azure_RSA_TLS_Issuing_CA_03__by_DigiCert_Global_Root_G2.pem",
                          "Microsoft_Azure_RSA_TLS_Issuing_CA_03__by_Microsoft_RSA_Root_"
                          "Certificate_Authority_2017.pem",
                          "Microsoft_Azure_RSA_TLS_Issuing_CA_04__by_DigiCert_Global_Root_G2.pem",
                          "Microsoft_Azure_RSA_TLS_Issuing_CA_04__by_Microsoft_RSA_Root_"
                          "Certificate_Authority_2017.pem",
                          "Microsoft_Azure_RSA_TLS_Issuing_CA_07__by_DigiCert_Global_Root_G2.pem",
                          "Microsoft_Azure_RSA_TLS_Issuing_CA_07__by_Microsoft_RSA_Root_"
                          "Certificate_Authority_2017.pem",
                          "Microsoft_Azure_RSA_TLS_Issuing_CA_08__by_DigiCert_Global_Root_G2.pem",
                          "Microsoft_Azure_RSA_TLS_Issuing_CA_08__by_Microsoft_RSA_Root_"
                          "Certificate_Authority_2017.pem",
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
      absl::StatusOr<std::string> data = t::ReadFileBytes(Path(absl::StrCat("certs/", f)));
      EXPECT_TRUE(data.ok()) << data.status();
      auto certs = ParseCertificatesPem(data.value_or(""));
      EXPECT_TRUE(certs.ok()) << f << ": " << certs.status();
      if (certs.ok()) {
        for (X509Ptr& c : *certs) out->push_back(std::move(c));
      }
    }
    return out;
  }();
  return *certs;
}

// Only the intermediates that issued `leaf` (and their issuers), as an
// agent following AIA would send: matched by issuer name, so the test also
// shows the chain does not depend on unrelated certificates.
std::vector<X509Ptr> MatchingIntermediates(const X509& leaf) {
  std::vector<X509Ptr> out;
  std::vector<const X509*> frontier = {&leaf};
  for (int hop = 0; hop < 3 && !frontier.empty(); ++hop) {
    std::vector<const X509*> next;
    for (const X509* child : frontier) {
      for (const X509Ptr& c : AllIntermediates()) {
        if (X509_NAME_cmp(X509_get_subject_name(c.get()), X509_get_issuer_name(child)) == 0) {
          X509_up_ref(c.get());
          out.emplace_back(c.get());
          next.push_back(c.get());
        }
      }
    }
    frontier = next;
  }
  return out;
}

absl::StatusOr<VerifiedSignedData> VerifyFile(const std::string& rel) {
  absl::StatusOr<std::string> json = t::ReadFileBytes(Path(rel));
  if (!json.ok()) return json.status();
  absl::StatusOr<std::string> der = t::AttestedSignatureDer(*json);
  if (!der.ok()) return der.status();
  return VerifySignedData(*der);
}

class RealSampleTest : public ::testing::TestWithParam<int> {};

TEST_P(RealSampleTest, SignatureChainAndNameVerify) {
  const int n = GetParam();
  absl::StatusOr<VerifiedSignedData> sd = VerifyFile(absl::StrCat("sample_", n, ".json"));
  ASSERT_TRUE(sd.ok()) << sd.status();
  EXPECT_FALSE(sd->had_signed_attributes);
  EXPECT_EQ(sd->digest_algorithm, DigestAlgorithm::kSha256);
  EXPECT_EQ(sd->certificates.size(), 1u);
  EXPECT_THAT(sd->content, HasSubstr("\"vmId\":"));

  absl::StatusOr<absl::Time> created = t::AttestedCreatedOn(sd->content);
  ASSERT_TRUE(created.ok()) << created.status();
  std::vector<X509Ptr> intermediates = MatchingIntermediates(*sd->signer);
  ASSERT_FALSE(intermediates.empty()) << "no issuer in certs/ for sample " << n;
  absl::StatusOr<VerifiedChain> chain = VerifyChain(*sd->signer, intermediates, Roots(), *created);
  ASSERT_TRUE(chain.ok()) << chain.status();
  EXPECT_GE(chain->certificates.size(), 3u);
  EXPECT_LE(chain->valid_from, *created);
  EXPECT_GE(chain->valid_until, *created);

  const std::string domain = n == 4 ? "metadata.azure.us" : "metadata.azure.com";
  EXPECT_TRUE(CheckCertificateName(*sd->signer, {domain}).ok());
  const std::string other = n == 4 ? "metadata.azure.com" : "metadata.azure.us";
  EXPECT_EQ(CheckCertificateName(*sd->signer, {other}).code(), absl::StatusCode::kUnauthenticated);

  // Real leaves carry caIssuers URLs of the documented shapes.
  std::vector<std::string> urls = CaIssuerUrls(*sd->signer);
  ASSERT_FALSE(urls.empty());
  for (const std::string& u : urls) {
    EXPECT_TRUE(absl::StartsWith(u, "http://www.microsoft.com/pki") ||
                absl::StartsWith(u, "http://caissuers.microsoft.com/pkiops/certs/"))
        << u;
  }

  // A day after the leaf's notAfter the same chain is expired.
  absl::StatusOr<VerifiedChain> late =
      VerifyChain(*sd->signer, intermediates, Roots(), chain->valid_until + absl::Hours(24));
  EXPECT_EQ(late.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(late.status().message()),
              HasSubstr("x509: chain: certificate has expired"));
}

INSTANTIATE_TEST_SUITE_P(Samples2To17, RealSampleTest, ::testing::Range(2, 18));

TEST(RealSampleTest, Sample5HasTwoCaIssuerUrlsInOrder) {
  absl::StatusOr<VerifiedSignedData> sd = VerifyFile("sample_5.json");
  ASSERT_TRUE(sd.ok()) << sd.status();
  EXPECT_THAT(
      CaIssuerUrls(*sd->signer),
      ::testing::ElementsAre(
          "http://www.microsoft.com/pkiops/certs/Microsoft%20TLS%20G2%20RSA%20CA%20OCSP%2002.crt",
          "http://caissuers.microsoft.com/pkiops/certs/"
          "Microsoft%20TLS%20G2%20RSA%20CA%20OCSP%2002.crt"));
}

// SPIRE-style pinning: the cross-signed Microsoft TLS RSA Root G2 as the only
// anchor, which needs non-self-signed anchors allowed.
TEST(RealSampleTest, Sample5ChainsToPinnedCrossSignedRoot) {
  absl::StatusOr<VerifiedSignedData> sd = VerifyFile("sample_5.json");
  ASSERT_TRUE(sd.ok()) << sd.status();
  absl::StatusOr<absl::Time> created = t::AttestedCreatedOn(sd->content);
  ASSERT_TRUE(created.ok());
  absl::StatusOr<std::string> pem =
      t::ReadFileBytes(Path("certs/Microsoft_TLS_RSA_Root_G2__by_DigiCert_Global_Root_G2.pem"));
  ASSERT_TRUE(pem.ok());
  auto anchors = TrustStore::FromPem(*pem);
  ASSERT_TRUE(anchors.ok()) << anchors.status();
  std::vector<X509Ptr> intermediates = MatchingIntermediates(*sd->signer);
  EXPECT_EQ(VerifyChain(*sd->signer, intermediates, **anchors, *created).status().code(),
            absl::StatusCode::kUnauthenticated);
  ChainOptions o;
  o.allow_non_self_signed_anchors = true;
  absl::StatusOr<VerifiedChain> chain =
      VerifyChain(*sd->signer, intermediates, **anchors, *created, o);
  ASSERT_TRUE(chain.ok()) << chain.status();
  EXPECT_EQ(chain->certificates.size(), 3u);
}

TEST(RealSampleTest, DocsExampleSignatureOkButChainFails) {
  absl::StatusOr<VerifiedSignedData> sd = VerifyFile("sample_1.json");
  ASSERT_TRUE(sd.ok()) << sd.status();
  absl::StatusOr<absl::Time> created = t::AttestedCreatedOn(sd->content);
  ASSERT_TRUE(created.ok()) << created.status();
  absl::StatusOr<VerifiedChain> chain = VerifyChain(*sd->signer, {}, Roots(), *created);
  EXPECT_EQ(chain.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(chain.status().message()), HasSubstr("signed certificate (depth 0"));
}

absl::StatusOr<std::string> FileDer(const std::string& rel) {
  absl::StatusOr<std::string> json = t::ReadFileBytes(Path(rel));
  if (!json.ok()) return json.status();
  return t::AttestedSignatureDer(*json);
}

// sample_7 with one signature byte changed.
TEST(NegativeTest, TamperedSignatureFailsAtSignature) {
  absl::StatusOr<VerifiedSignedData> sd = VerifyFile("negative/tc_322910a9cf32.json");
  ASSERT_FALSE(sd.ok());
  EXPECT_EQ(sd.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(sd.status().message()),
              HasSubstr("pkcs7: signature: verification failed"));
}

// sample_7 with one vmId byte changed. The fixture was base64-encoded from a
// file with a trailing newline, so its DER carries one byte after the
// ContentInfo: strict DER rejects that first. Without the stray byte the
// document fails at the signature, as the tampered content must.
TEST(NegativeTest, TamperedContentFailsAtSignature) {
  absl::StatusOr<std::string> der = FileDer("negative/tc_a469e91acaac.json");
  ASSERT_TRUE(der.ok()) << der.status();
  absl::StatusOr<VerifiedSignedData> as_is = VerifySignedData(*der);
  EXPECT_EQ(as_is.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(as_is.status().message()),
              HasSubstr("pkcs7: content info: der: input: trailing data (1 bytes)"));
  ASSERT_EQ(der->back(), '\n');
  der->pop_back();
  absl::StatusOr<VerifiedSignedData> sd = VerifySignedData(*der);
  ASSERT_FALSE(sd.ok());
  EXPECT_EQ(sd.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(sd.status().message()),
              HasSubstr("pkcs7: signature: verification failed"));
}

}  // namespace
}  // namespace enlist::crypto
