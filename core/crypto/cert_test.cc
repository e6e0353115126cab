#include "core/crypto/cert.h"

#include <string>

#include "absl/status/status.h"
#include "core/crypto/testing/test_pki.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace enlist::crypto {
namespace {

using ::enlist::crypto::testing::CertDer;
using ::enlist::crypto::testing::CertPem;
using ::enlist::crypto::testing::MakeTestPki;
using ::enlist::crypto::testing::TestPki;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const TestPki& Pki() {
  static const TestPki* pki = new TestPki(MakeTestPki(/*ec=*/true));
  return *pki;
}

TEST(CertTest, DerRoundTripAndDescribe) {
  const std::string der = CertDer(Pki().leaf.get());
  absl::StatusOr<X509Ptr> cert = ParseCertificateDer(der);
  ASSERT_TRUE(cert.ok()) << cert.status();
  EXPECT_EQ(*CertificateDer(**cert), der);
  absl::StatusOr<CertificateInfo> info = DescribeCertificate(**cert);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->subject, "CN=metadata.azure.com");
  EXPECT_EQ(info->issuer, "CN=Enlist Test Intermediate,O=Enlist Test");
  EXPECT_EQ(info->not_before, absl::FromUnixSeconds(1700000000));
  EXPECT_EQ(info->not_after, absl::FromUnixSeconds(1900000000));
  EXPECT_EQ(info->sha256_hex, Sha256Hex(der));
}

TEST(CertTest, NamesAndAia) {
  EXPECT_THAT(DnsNames(*Pki().leaf),
              ElementsAre("eastus.metadata.azure.com", "metadata.azure.com"));
  EXPECT_EQ(CommonName(*Pki().leaf), "metadata.azure.com");
  EXPECT_THAT(CaIssuerUrls(*Pki().leaf),
              ElementsAre("http://www.microsoft.com/pkiops/certs/intermediate.crt",
                          "http://caissuers.microsoft.com/pkiops/certs/intermediate.crt"));
  EXPECT_TRUE(CaIssuerUrls(*Pki().root).empty());
  EXPECT_TRUE(DnsNames(*Pki().root).empty());
}

TEST(CertTest, ConcatenatedDer) {
  const std::string both = CertDer(Pki().intermediate.get()) + CertDer(Pki().root.get());
  absl::StatusOr<std::vector<X509Ptr>> certs = ParseCertificatesDer(both);
  ASSERT_TRUE(certs.ok()) << certs.status();
  ASSERT_EQ(certs->size(), 2u);
  EXPECT_EQ(X509_cmp((*certs)[1].get(), Pki().root.get()), 0);
  absl::StatusOr<std::vector<X509Ptr>> none = ParseCertificatesDer("");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST(CertTest, Pem) {
  const std::string pem =
      "junk before\n" + CertPem(Pki().root.get()) + "between\n" + CertPem(Pki().leaf.get());
  absl::StatusOr<std::vector<X509Ptr>> certs = ParseCertificatesPem(pem);
  ASSERT_TRUE(certs.ok()) << certs.status();
  EXPECT_EQ(certs->size(), 2u);
}

struct RejectCase {
  const char* name;
  std::function<absl::Status()> run;
  const char* message;
};

class CertRejectTest : public ::testing::TestWithParam<RejectCase> {};

TEST_P(CertRejectTest, Rejects) {
  absl::Status st = GetParam().run();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << st;
  EXPECT_THAT(std::string(st.message()), HasSubstr(GetParam().message));
}

std::string LeafDer() { return CertDer(Pki().leaf.get()); }

INSTANTIATE_TEST_SUITE_P(
    Table, CertRejectTest,
    ::testing::Values(
        RejectCase{"garbage", [] { return ParseCertificateDer("garbage").status(); },
                   "x509: certificate: unparsable der"},
        RejectCase{"truncated",
                   [] { return ParseCertificateDer(LeafDer().substr(0, 100)).status(); },
                   "unparsable der"},
        RejectCase{"trailing", [] { return ParseCertificateDer(LeafDer() + "x").status(); },
                   "trailing data after der"},
        RejectCase{"concat_truncated",
                   [] {
                     const std::string d = LeafDer() + LeafDer();
                     return ParseCertificatesDer(d.substr(0, d.size() - 1)).status();
                   },
                   "certificates: certificate 1: der: "},
        RejectCase{
            "concat_not_sequence",
            [] {
              return ParseCertificatesDer(LeafDer() + std::string("\x02\x01\x00", 3)).status();
            },
            "certificate 1: der: expected tag 0x30"},
        RejectCase{"concat_too_many",
                   [] { return ParseCertificatesDer(LeafDer() + LeafDer(), 1).status(); },
                   "certificates: more than 1"},
        RejectCase{"pem_none", [] { return ParseCertificatesPem("hello").status(); },
                   "pem: no certificate found"},
        RejectCase{"pem_bad_base64",
                   [] {
                     return ParseCertificatesPem(
                                "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n")
                         .status();
                   },
                   "pem: certificate 0: malformed block"},
        RejectCase{"pem_too_many",
                   [] {
                     const std::string p = CertPem(Pki().root.get());
                     return ParseCertificatesPem(p + p, 1).status();
                   },
                   "pem: more than 1 certificates"}),
    [](const ::testing::TestParamInfo<RejectCase>& info) { return info.param.name; });

}  // namespace
}  // namespace enlist::crypto
