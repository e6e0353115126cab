#include "core/crypto/cert_name.h"

#include "absl/status/status.h"
#include "core/crypto/testing/test_pki.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace enlist::crypto {
namespace {

using ::testing::HasSubstr;
namespace t = ::enlist::crypto::testing;

struct NameCase {
  const char* name;
  const char* domain;
  bool match;
};

class NameInDomainTest : public ::testing::TestWithParam<NameCase> {};

TEST_P(NameInDomainTest, Matches) {
  EXPECT_EQ(NameInDomain(GetParam().name, GetParam().domain), GetParam().match)
      << GetParam().name << " in " << GetParam().domain;
}

INSTANTIATE_TEST_SUITE_P(
    Table, NameInDomainTest,
    ::testing::Values(NameCase{"metadata.azure.com", "metadata.azure.com", true},
                      NameCase{"eastus.metadata.azure.com", "metadata.azure.com", true},
                      NameCase{"a.b.metadata.azure.com", "metadata.azure.com", true},
                      NameCase{"EastUS.Metadata.Azure.COM", "metadata.azure.com", true},
                      NameCase{"metadata.azure.com.", "metadata.azure.com", true},
                      NameCase{"*.metadata.azure.com", "metadata.azure.com", true},
                      NameCase{"evilmetadata.azure.com", "metadata.azure.com", false},
                      NameCase{"metadata.azure.com.evil.com", "metadata.azure.com", false},
                      NameCase{"azure.com", "metadata.azure.com", false},
                      NameCase{".metadata.azure.com", "metadata.azure.com", false},
                      NameCase{"*.azure.com", "metadata.azure.com", false},
                      NameCase{"eastus.metadata.azure.us", "metadata.azure.com", false},
                      NameCase{"", "metadata.azure.com", false},
                      NameCase{"metadata.azure.com", "", false}));

X509Ptr Cert(const std::string& cn, std::vector<std::string> dns) {
  static EvpPkeyPtr* key = new EvpPkeyPtr(t::NewEcKey());
  t::CertSpec spec;
  spec.common_name = cn;
  spec.dns_names = std::move(dns);
  return t::IssueCert(spec, key->get(), nullptr, key->get());
}

const std::vector<std::string> kAzure = {"metadata.azure.com"};

TEST(CheckCertificateNameTest, SanDnsName) {
  X509Ptr c = Cert("ignored", {"westus.metadata.azure.com"});
  EXPECT_TRUE(CheckCertificateName(*c, kAzure).ok());
}

TEST(CheckCertificateNameTest, CommonNameOnlyWithoutSan) {
  X509Ptr c = Cert("metadata.azure.com", {});
  EXPECT_TRUE(CheckCertificateName(*c, kAzure).ok());
}

TEST(CheckCertificateNameTest, CommonNameIgnoredWhenSanPresent) {
  X509Ptr c = Cert("metadata.azure.com", {"example.com"});
  absl::Status st = CheckCertificateName(*c, kAzure);
  EXPECT_EQ(st.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(st.message()),
              HasSubstr("x509: name: certificate names [example.com] not in allowed domains "
                        "[metadata.azure.com]"));
}

TEST(CheckCertificateNameTest, EvilSuffixRejected) {
  X509Ptr c = Cert("evilmetadata.azure.com", {"evilmetadata.azure.com"});
  absl::Status st = CheckCertificateName(*c, kAzure);
  EXPECT_EQ(st.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(st.message()), HasSubstr("[evilmetadata.azure.com] not in allowed"));
}

TEST(CheckCertificateNameTest, AnyOfSeveralDomains) {
  X509Ptr c = Cert("x", {"usgovvirginia.metadata.azure.us"});
  EXPECT_EQ(CheckCertificateName(*c, kAzure).code(), absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(CheckCertificateName(*c, {"metadata.azure.com", "metadata.azure.us"}).ok());
}

}  // namespace
}  // namespace enlist::crypto
